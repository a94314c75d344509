package mydocker;

/**
 * pivot_root(2): makes the container's root filesystem "/" and takes the host's away. chroot
 * only changes how paths resolve for one process, and the old root stays reachable; pivot_root
 * moves the whole mount namespace onto the new root, and the old one can then be unmounted.
 */
final class PivotRoot {

    private PivotRoot() {}

    // tag::pivot[]
    static void into(Plan plan, String newRoot) {
        // The new root must be a mount point, and not shared: bind it onto itself.
        plan.mount(newRoot, newRoot, null, Syscalls.MS_BIND | Syscalls.MS_REC, null);
        plan.chdir(newRoot);
        // pivot_root(".", ".") stacks the old root on top of the new one, so there is no
        // put_old directory to create; unmounting "." then removes the old root (credit: LXC).
        plan.pivotRoot(".", ".");
        plan.umount2(".", "MNT_DETACH", Syscalls.MNT_DETACH);
        plan.chdir("/");
    }
    // end::pivot[]
}
