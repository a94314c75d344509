package mydocker;

/**
 * Mount propagation (mount_namespaces(7)): a new mount namespace starts as a copy of the
 * host's mount table, and copies of shared mounts stay in a peer group with the originals,
 * so that mounts made on one side appear on the other.
 */
final class MountPropagation {

    private MountPropagation() {}

    // tag::private[]
    /**
     * Makes every mount in the container's namespace private, recursively: nothing the host
     * mounts later shows up here, and nothing mounted here shows up on the host. On a systemd
     * host / is shared. Since step02 the container's mount namespace belongs to its own user
     * namespace, so the kernel already turned its copies of shared mounts into slaves, which
     * keep its mounts in but still let the host's in; step01, with no user namespace, would
     * have mounted its proc over the host's /proc.
     */
    static void makePrivate(Plan plan) {
        plan.mount(null, "/", null, Syscalls.MS_REC | Syscalls.MS_PRIVATE, null);
    }
    // end::private[]
}
