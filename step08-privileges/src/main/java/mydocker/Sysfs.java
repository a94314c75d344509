package mydocker;

/** A read-only /sys, for tools that look there (sysfs(5)); optional, as docker's is. */
final class Sysfs {

    private Sysfs() {}

    // tag::sysfs[]
    /**
     * The kernel lets a user namespace mount sysfs only if it also owns the network
     * namespace, which the container has; where it still refuses, the container goes without.
     */
    static void mountReadOnly(Plan plan, String target) {
        plan.mkdirat(target, 0755).tolerate(Errors.EEXIST);
        plan.mount("sysfs", target, "sysfs", Syscalls.MS_RDONLY | Syscalls.MS_NOSUID | Syscalls.MS_NODEV | Syscalls.MS_NOEXEC,
                null).tolerate(Errors.EPERM, Errors.EACCES);
    }
    // end::sysfs[]
}
