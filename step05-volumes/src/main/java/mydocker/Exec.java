package mydocker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The last thing init does: replace itself with the user's command, which so becomes PID 1.
 * Like execvp, a name without a slash is looked up in the command's PATH.
 */
final class Exec {

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // <asm/unistd.h>, the same number on every architecture; <linux/close_range.h>
    private static final long SYS_CLOSE_RANGE = 436;
    private static final long CLOSE_RANGE_CLOEXEC = 1 << 2;

    private Exec() {}

    // tag::exec[]
    /** Executes {@code command}; returns only by throwing, with exit status 126 or 127. */
    static void execve(List<String> command, List<String> env) {
        String path = resolve(command.get(0), env);
        closeInheritedOnExec();
        CStrings strings = new CStrings();
        Trace.before("execve(" + Trace.quote(path) + ", " + Trace.quote(command) + ", [" + env.size() + " vars])");
        Syscalls.C.execve(strings.string(path), strings.array(command), strings.array(env));
        int errno = Syscalls.errno();
        int status = errno == Errors.ENOENT ? ExitStatus.NOT_FOUND : ExitStatus.NOT_EXECUTABLE;
        throw new MydockerException(status, "exec " + Trace.quote(path) + ": " + Errors.describe(errno));
    }
    // end::exec[]

    /** PATH lookup, as execvp(3) and Go's exec.LookPath do it. */
    static String resolve(String name, List<String> env) {
        if (name.contains("/")) {
            return name;
        }
        String path = env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5))
                .findFirst().orElse(DEFAULT_PATH);
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new MydockerException(ExitStatus.NOT_FOUND,
                "exec " + Trace.quote(name) + ": executable file not found in $PATH (" + path + ")");
    }

    // tag::close-range[]
    /**
     * The JVMs before it held descriptors of their own (jar files, the spec pipe); none of
     * them is the container's business. Marks all but stdio close-on-exec (Linux 5.11+).
     */
    private static void closeInheritedOnExec() {
        Syscalls.check("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)",
                Syscalls.C.syscall(SYS_CLOSE_RANGE, 3, 0xFFFFFFFFL, CLOSE_RANGE_CLOEXEC, 0, 0));
    }
    // end::close-range[]
}
