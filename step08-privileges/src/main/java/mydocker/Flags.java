package mydocker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Bit flags printed by name, as strace and the error messages show them: {@code O_RDWR|O_CLOEXEC}. */
final class Flags {

    private final Map<Long, String> names = new LinkedHashMap<>();
    private final String zero;

    Flags(String zero) {
        this.zero = zero;
    }

    Flags add(long bit, String name) {
        names.put(bit, name);
        return this;
    }

    String format(long value) {
        List<String> parts = new ArrayList<>();
        long rest = value;
        for (Map.Entry<Long, String> e : names.entrySet()) {
            long bit = e.getKey();
            if (bit != 0 && (rest & bit) == bit) {
                parts.add(e.getValue());
                rest &= ~bit;
            }
        }
        if (rest != 0) {
            parts.add("0x" + Long.toHexString(rest));
        }
        return parts.isEmpty() ? zero : String.join("|", parts);
    }
}
