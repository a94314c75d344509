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
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_PATH = 010000000;
    // arm64 numbers these two differently from x86-64
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    static final int O_DIRECTORY = ARM64 ? 040000 : 0200000;
    static final int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
    static final int F_SETFD = 2;

    // <sys/mount.h>
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MS_PRIVATE = 1 << 18;
    static final long MS_REMOUNT = 32;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_RELATIME = 1 << 21;
    static final long MS_STRICTATIME = 1 << 24;

    // <sys/statvfs.h>: a mount's flags as fstatvfs reports them
    static final long ST_NOSUID = 2;
    static final long ST_NODEV = 4;
    static final long ST_NOEXEC = 8;
    static final long ST_NOATIME = 1024;
    static final long ST_NODIRATIME = 2048;
    static final long ST_RELATIME = 4096;

    static final int MNT_DETACH = 2;

    static final Flags MOUNT_FLAGS = new Flags("0")
            .add(MS_RDONLY, "MS_RDONLY").add(MS_NOSUID, "MS_NOSUID").add(MS_NODEV, "MS_NODEV").add(MS_NOEXEC, "MS_NOEXEC")
            .add(MS_BIND, "MS_BIND").add(MS_REC, "MS_REC").add(MS_PRIVATE, "MS_PRIVATE").add(MS_REMOUNT, "MS_REMOUNT")
            .add(MS_NOATIME, "MS_NOATIME").add(MS_NODIRATIME, "MS_NODIRATIME").add(MS_RELATIME, "MS_RELATIME")
            .add(MS_STRICTATIME, "MS_STRICTATIME");

    static final Flags OPEN_FLAGS = new Flags("O_RDONLY")
            .add(O_WRONLY, "O_WRONLY").add(O_RDWR, "O_RDWR").add(O_NOCTTY, "O_NOCTTY").add(O_CLOEXEC, "O_CLOEXEC")
            .add(O_CREAT, "O_CREAT").add(O_EXCL, "O_EXCL").add(O_PATH, "O_PATH").add(O_DIRECTORY, "O_DIRECTORY")
            .add(O_NOFOLLOW, "O_NOFOLLOW");

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

    /** open(2) relative to a directory descriptor: a path that cannot climb out of where it starts. */
    static int openat(int dirfd, String path, int flags, int mode) {
        return (int) check("openat(" + dirfd + ", " + Trace.quote(path) + ", " + OPEN_FLAGS.format(flags)
                + ((flags & O_CREAT) != 0 ? ", 0" + Integer.toOctalString(mode) : "") + ")",
                C.openat(dirfd, path, flags, mode));
    }

    static void mkdirat(int dirfd, String path, int mode) {
        check("mkdirat(" + dirfd + ", " + Trace.quote(path) + ", 0" + Integer.toOctalString(mode) + ")",
                C.mkdirat(dirfd, path, mode));
    }

    /** The flags of the mount an open descriptor is on (f_flag of struct statvfs). */
    static long mountFlags(int fd) {
        long[] statvfs = new long[16];
        check("fstatvfs(" + fd + ")", C.fstatvfs(fd, statvfs));
        return statvfs[9];
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
