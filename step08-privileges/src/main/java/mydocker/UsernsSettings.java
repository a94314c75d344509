package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel settings that keep an ordinary user from creating a user namespace, read from
 * /proc/sys when the kernel has said no, so that the error names the setting to change.
 */
final class UsernsSettings {

    static final Path PROC_SYS = Path.of("/proc/sys");

    private UsernsSettings() {}

    // tag::explain[]
    /** {@code failure} with the reason added, if a setting in {@code procSys} explains it. */
    static RuntimeException explain(SyscallException failure, Path procSys) {
        if (failure.errno != Errors.EPERM && failure.errno != Errors.ENOSPC && failure.errno != Errors.EACCES) {
            return failure;
        }
        String why = diagnose(procSys);
        if (why == null) {
            return failure;
        }
        return new MydockerException(failure.call + ": " + Errors.describe(failure.errno) + ": " + why);
    }

    /** The first setting that forbids unprivileged user namespaces, and how to change it; or null. */
    static String diagnose(Path procSys) {
        if ("0".equals(read(procSys.resolve("user/max_user_namespaces")))) {
            return "user namespaces are disabled (user.max_user_namespaces is 0);"
                    + " enable them with: sudo sysctl -w user.max_user_namespaces=15000";
        }
        if ("0".equals(read(procSys.resolve("kernel/unprivileged_userns_clone")))) {
            return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone is 0, the default"
                    + " of Debian 10 and older); enable them with: sudo sysctl -w kernel.unprivileged_userns_clone=1";
        }
        if ("1".equals(read(procSys.resolve("kernel/apparmor_restrict_unprivileged_userns")))) {
            return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns"
                    + " is 1, Ubuntu 23.10 and later); give java an AppArmor profile that allows userns, or turn"
                    + " the restriction off: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0";
        }
        return null;
    }
    // end::explain[]

    /** A setting's value, or null where this kernel does not have it. */
    private static String read(Path setting) {
        try {
            return Files.readString(setting).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
