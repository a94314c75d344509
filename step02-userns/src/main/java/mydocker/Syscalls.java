package mydocker;

import java.nio.charset.StandardCharsets;

/**
 * Checked, traced wrappers around {@link LibC}. Each returns on success and throws a
 * {@link SyscallException} naming the call, its operands and the errno on failure; each
 * prints itself under {@code --trace}.
 */
final class Syscalls {

    static final LibC C = LibC.INSTANCE;
    static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(C);

    // <fcntl.h>
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_RDWR = 02;
    static final int O_NOCTTY = 0400;
    static final int O_CLOEXEC = 02000000;
    static final int F_SETFD = 2;

    static final Flags OPEN_FLAGS = new Flags("O_RDONLY")
            .add(O_WRONLY, "O_WRONLY").add(O_RDWR, "O_RDWR").add(O_NOCTTY, "O_NOCTTY").add(O_CLOEXEC, "O_CLOEXEC");

    private Syscalls() {}

    static int errno() {
        return RUNTIME.getLastError();
    }

    /** Traces the call, and throws if it returned -1. */
    static long check(String call, long result) {
        int errno = result == -1 ? errno() : 0;
        Trace.call(call, result, errno);
        if (result == -1) {
            throw new SyscallException(call, errno);
        }
        return result;
    }

    /** Both ends of a new pipe, {read, write}, close-on-exec unless the child is to inherit one. */
    static int[] pipe2(int flags) {
        int[] fds = new int[2];
        check("pipe2(" + OPEN_FLAGS.format(flags).replace("O_RDONLY", "0") + ")", C.pipe2(fds, flags));
        if (Trace.on()) {
            Trace.print("  pipe: read end " + fds[0] + ", write end " + fds[1]);
        }
        return fds;
    }

    /** Lets a child inherit this descriptor across execve. */
    static void inherit(int fd) {
        check("fcntl(" + fd + ", F_SETFD, 0)", C.fcntl(fd, F_SETFD, 0));
    }

    static int open(String path, int flags) {
        return (int) check("open(" + Trace.quote(path) + ", " + OPEN_FLAGS.format(flags) + ")", C.open(path, flags));
    }

    /** Writes {@code content} to a file in one write(2), as /proc/PID/uid_map needs. */
    static void writeFile(String path, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        int fd = C.open(path, O_WRONLY);
        if (fd == -1) {
            check("open(" + Trace.quote(path) + ", O_WRONLY)", fd);
        }
        try {
            check("write(" + path + ", " + Trace.quote(content.strip().replace("\n", "\\n")) + ")",
                    C.write(fd, bytes, bytes.length));
        } finally {
            C.close(fd);
        }
    }

    static void close(int fd) {
        check("close(" + fd + ")", C.close(fd));
    }

    static void dup3(int oldfd, int newfd, int flags) {
        check("dup3(" + oldfd + ", " + newfd + ", " + OPEN_FLAGS.format(flags) + ")", C.dup3(oldfd, newfd, flags));
    }

    static void kill(int pid, int signal) {
        check("kill(" + pid + ", " + Signals.name(signal) + ")", C.kill(pid, signal));
    }

    /** One read(2), retrying EINTR; returns the count, 0 at end of file. */
    static int read(int fd, byte[] buf) {
        while (true) {
            long n = C.read(fd, buf, buf.length);
            if (n == -1 && errno() == Errors.EINTR) {
                continue;
            }
            if (n == -1) {
                throw new SyscallException("read(" + fd + ")", errno());
            }
            return (int) n;
        }
    }

    /** Fills {@code buf} exactly; false at end of file before the first byte. */
    static boolean readFully(int fd, byte[] buf) {
        int done = 0;
        while (done < buf.length) {
            byte[] rest = new byte[buf.length - done];
            int n = read(fd, rest);
            if (n == 0) {
                if (done == 0) {
                    return false;
                }
                throw new MydockerException("read(" + fd + "): end of file after " + done + " of " + buf.length + " bytes");
            }
            System.arraycopy(rest, 0, buf, done, n);
            done += n;
        }
        return true;
    }

    /** Everything up to end of file. */
    static byte[] readAll(int fd) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = read(fd, buf)) > 0; ) {
            all.write(buf, 0, n);
        }
        return all.toByteArray();
    }

    /** Writes all of {@code buf[0..length)}: pipes and terminals take partial writes. */
    static void writeFully(int fd, byte[] buf, int length) {
        int done = 0;
        while (done < length) {
            byte[] rest = done == 0 ? buf : java.util.Arrays.copyOfRange(buf, done, length);
            long n = C.write(fd, rest, length - done);
            if (n == -1 && errno() == Errors.EINTR) {
                continue;
            }
            if (n == -1) {
                throw new SyscallException("write(" + fd + ")", errno());
            }
            done += (int) n;
        }
    }

    /** The raw wait status of a child, retrying EINTR (a forwarded signal may interrupt it). */
    static int waitpid(int pid) {
        int[] status = new int[1];
        while (true) {
            int rc = C.waitpid(pid, status, 0);
            if (rc == -1 && errno() == Errors.EINTR) {
                continue;
            }
            check("waitpid(" + pid + ")", rc);
            if (Trace.on()) {
                Trace.print("  status: " + ExitStatus.describe(status[0]));
            }
            return status[0];
        }
    }

    static boolean isatty(int fd) {
        return C.isatty(fd) == 1;
    }
}
