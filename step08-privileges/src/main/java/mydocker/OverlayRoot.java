package mydocker;

import java.util.List;

/**
 * The container's root filesystem: overlayfs (filesystems/overlayfs in the kernel docs)
 * stacking the image's read-only layers under the container's own writable one.
 */
final class OverlayRoot {

    private OverlayRoot() {}

    // tag::mount[]
    /**
     * Mounts the union on {@code merged}. lowerdir lists the layers topmost first; writes go
     * to upperdir, copied up from below on first write; workdir is overlay's scratch space and
     * must be on upperdir's filesystem. userxattr keeps whiteouts and opaque markers in
     * user.overlay.* xattrs, the only ones a user namespace may write (Linux 5.11+).
     */
    static void mount(Plan plan, List<String> lowerdirs, String upper, String work, String merged) {
        String options = "userxattr,lowerdir=" + String.join(":", lowerdirs) + ",upperdir=" + upper + ",workdir=" + work;
        plan.mount("overlay", merged, "overlay", 0, options)
                .explain(e -> new MydockerException(e.getMessage() + ": " + whyRefused(e.errno)));
    }
    // end::mount[]

    private static String whyRefused(int errno) {
        if (errno == Errors.ENODEV) {
            return "this kernel has no overlay filesystem (grep overlay /proc/filesystems; modprobe overlay)";
        }
        if (errno == Errors.EACCES) {
            return "container root cannot reach a layer or its own directory: every directory above them"
                    + " must let it search (inside the store, mydocker sees to it); with --uidmap, so must your home";
        }
        if (errno == Errors.EPERM) {
            return "overlay in a user namespace needs Linux 5.11 or newer and the userxattr option";
        }
        return "the kernel refused the options; dmesg says which (usual reasons: workdir not on upperdir's"
                + " filesystem, a layer directory missing, or a kernel older than 5.11 without userxattr)";
    }
}
