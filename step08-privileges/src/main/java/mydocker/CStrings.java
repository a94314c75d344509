package mydocker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * C strings, NULL-terminated arrays of them (execve's argv and envp) and structs in native memory.
 * Every block is held here, so that none is freed while a pointer to it is still in use.
 */
final class CStrings {

    private final List<Pointer> keep = new ArrayList<>();

    Pointer string(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Memory.allocateDirect(Syscalls.RUNTIME, bytes.length + 1, true);
        p.put(0, bytes, 0, bytes.length);
        keep.add(p);
        return p;
    }

    /** {@code bytes} of zeroed memory, for a struct. */
    Pointer block(int bytes) {
        Pointer p = Memory.allocateDirect(Syscalls.RUNTIME, bytes, true);
        keep.add(p);
        return p;
    }

    Pointer array(List<String> strings) {
        int size = Syscalls.RUNTIME.addressSize();
        Pointer array = Memory.allocateDirect(Syscalls.RUNTIME, (long) (strings.size() + 1) * size, true);
        for (int i = 0; i < strings.size(); i++) {
            array.putPointer((long) i * size, string(strings.get(i)));
        }
        keep.add(array);
        return array;
    }
}
