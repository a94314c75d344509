package mydocker;

import java.util.HashMap;
import java.util.Map;
import jnr.constants.platform.Errno;

/**
 * Errno names and the hints for the failures a learner meets. One table, as bubblewrap's
 * mount_strerror is: each later step adds its rows here.
 */
final class Errors {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int ESRCH = 3;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENOEXEC = 8;
    static final int ECHILD = 10;
    static final int ENODEV = 19;
    static final int ENOSPC = 28;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EROFS = 30;
    static final int EOVERFLOW = 75;
    static final int ELOOP = 40;

    private static final Map<String, String> HINTS = new HashMap<>();

    static {
        hint("clone", EPERM, "the kernel refused the namespaces; unprivileged user namespaces may be"
                + " restricted on this host (sysctl, AppArmor or SELinux)");
        hint("pivot_root", EINVAL, "the new root must be a mount point, and not a shared one");
        hint("sethostname", EPERM, "only a process that owns its UTS namespace may rename it");
    }

    private Errors() {}

    private static void hint(String call, int errno, String text) {
        HINTS.put(call + "/" + errno, text);
    }

    /** The hint for a failed call, or null: looked up by the call's name, e.g. "clone". */
    static String hint(String call, int errno) {
        int paren = call.indexOf('(');
        String name = paren < 0 ? call : call.substring(0, paren);
        return HINTS.get(name + "/" + errno);
    }

    /**
     * What went wrong in a java.nio file call, without repeating the path it names: its
     * AccessDeniedException, for one, carries nothing but the path.
     */
    static String reason(java.io.IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.NotLinkException) {
            return "not a symbolic link";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage();
    }

    /** {@code EPERM (Operation not permitted)} */
    static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || e.name().startsWith("__")) {
            return "errno " + errno;
        }
        return e.name() + " (" + e.description() + ")";
    }
}
