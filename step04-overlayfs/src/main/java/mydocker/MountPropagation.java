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
     * Makes every mount in the container's namespace private, recursively: nothing mounted
     * here shows up on the host, and nothing the host mounts later shows up here. On a
     * systemd host / is shared, and without this a root container's proc would be mounted
     * over the host's /proc too. A container in its own user namespace gets slave copies of
     * shared mounts, which already keep its mounts in, but still let the host's in.
     */
    static void makePrivate() {
        Syscalls.mount(null, "/", null, Syscalls.MS_REC | Syscalls.MS_PRIVATE, null);
    }
    // end::private[]
}
