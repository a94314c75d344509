package mydocker;

/**
 * pivot_root(2): makes the container's root filesystem "/" and takes the host's away. chroot
 * only changes how paths resolve for one process, and the old root stays reachable; pivot_root
 * moves the whole mount namespace onto the new root, and the old one can then be unmounted.
 */
final class PivotRoot {

    // <asm/unistd.h>: glibc has no wrapper
    private static final long SYS_PIVOT_ROOT = "aarch64".equals(System.getProperty("os.arch")) ? 41 : 155;

    private PivotRoot() {}

    // tag::pivot[]
    static void into(String newRoot) {
        // The new root must be a mount point, and not shared: bind it onto itself.
        Syscalls.mount(newRoot, newRoot, null, Syscalls.MS_BIND | Syscalls.MS_REC, null);
        Syscalls.chdir(newRoot);
        // pivot_root(".", ".") stacks the old root on top of the new one, so there is no
        // put_old directory to create; unmounting "." then removes the old root (credit: LXC).
        pivotRoot(".", ".");
        Syscalls.umount2(".", Syscalls.MNT_DETACH);
        Syscalls.chdir("/");
    }
    // end::pivot[]

    private static void pivotRoot(String newRoot, String putOld) {
        CStrings strings = new CStrings();
        long rc = Syscalls.C.syscall(SYS_PIVOT_ROOT, strings.string(newRoot).address(), strings.string(putOld).address(),
                0, 0, 0);
        Syscalls.check("pivot_root(" + Trace.quote(newRoot) + ", " + Trace.quote(putOld) + ")", rc);
    }
}
