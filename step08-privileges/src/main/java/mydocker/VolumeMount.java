package mydocker;

import java.util.ArrayList;
import java.util.List;

/**
 * The container's side of a volume: a copy of the host's mount tree at the source, attached
 * at its mount point in the container's root, before pivot_root while both are in view.
 * Every path is looked up once, by the kernel, into a descriptor; the mount goes from
 * descriptor to descriptor, so nothing swapped in between the lookups can redirect it.
 */
final class VolumeMount {

    // <fcntl.h>, <linux/openat2.h>, <linux/mount.h>; arm64 numbers O_DIRECTORY differently
    private static final long O_PATH = 010000000;
    private static final long O_DIRECTORY = "aarch64".equals(System.getProperty("os.arch")) ? 040000 : 0200000;
    private static final long O_CLOEXEC = 02000000;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_IN_ROOT = 0x10;
    private static final long AT_EMPTY_PATH = 0x1000;
    private static final long AT_RECURSIVE = 0x8000;
    private static final long OPEN_TREE_CLONE = 1;
    private static final long MOUNT_ATTR_RDONLY = 1;
    private static final long MOVE_MOUNT_F_EMPTY_PATH = 0x04;
    private static final long MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    private VolumeMount() {}

    // tag::mount[]
    static void mount(Plan plan, Volume volume, String root) {
        long kind = volume.directory() ? O_DIRECTORY : 0;
        int rootDir = plan.openat2(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, "O_PATH|O_DIRECTORY|O_CLOEXEC, 0");
        // The parent resolved the source's symlinks: one that appears now is a swap, refused.
        int source = plan.openat2(volume.source(), O_PATH | O_CLOEXEC | kind, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
                "O_PATH" + (volume.directory() ? "|O_DIRECTORY" : "") + "|O_CLOEXEC, RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS");
        plan.explain(e -> new MydockerException("volume " + volume + ": opening the source: " + e.getMessage()
                + (e.errno == Errors.ELOOP ? " (a part of " + volume.source() + " became a symbolic link since it was"
                + " checked; refusing to follow it)" : "")));
        int target = mountPoint(plan, volume, rootDir, kind);
        // A copy of the source's mount and every mount below it (docker's rbind), not yet attached.
        int tree = plan.openTree(source, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH,
                "OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE|AT_EMPTY_PATH");
        plan.explain(e -> failed(volume, "copying the mount at " + volume.source(), e));
        if (volume.readOnly()) {
            // On the detached tree, so it is read-only from the moment it appears, submounts too.
            plan.mountSetattr(tree, AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY,
                    "AT_EMPTY_PATH|AT_RECURSIVE, {attr_set=MOUNT_ATTR_RDONLY}")
                    .explain(e -> failed(volume, "making it read-only", e));
        }
        plan.moveMount(tree, target, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
                "MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_EMPTY_PATH")
                .explain(e -> failed(volume, "attaching it on " + volume.target(), e));
    }
    // end::mount[]

    // tag::mount-point[]
    /**
     * Resolves the target in the container's root: openat2 with RESOLVE_IN_ROOT treats the
     * root as "/" for every symlink and "..", as if the container had already pivoted into
     * it. What is missing is made in the container's layer, one part at a time, relative to
     * the parent just resolved: a directory, or an empty file for a file volume.
     */
    private static int mountPoint(Plan plan, Volume volume, int rootDir, long kind) {
        List<String> parts = new ArrayList<>(List.of(volume.target().substring(1).split("/")));
        int parent = rootDir;
        String path = "";
        for (int i = 0; i < parts.size(); i++) {
            boolean last = i == parts.size() - 1;
            String part = parts.get(i);
            if (last && !volume.directory()) {
                plan.mknodFile(parent, part, 0644);
            } else {
                plan.mkdirat(parent, part, 0755);
            }
            plan.tolerate(Errors.EEXIST).explain(e -> making(volume, e));
            path = path.isEmpty() ? part : path + "/" + part;
            long flags = O_PATH | O_CLOEXEC | (last ? kind : O_DIRECTORY);
            parent = plan.openat2(rootDir, path, flags, RESOLVE_IN_ROOT,
                    Syscalls.OPEN_FLAGS.format((int) flags) + ", RESOLVE_IN_ROOT");
            plan.explain(e -> making(volume, e));
        }
        return parent;
    }
    // end::mount-point[]

    private static MydockerException making(Volume volume, SyscallException e) {
        return new MydockerException("volume " + volume + ": making its mount point " + volume.target()
                + " in the container: " + e.getMessage() + whyRefused(e.errno));
    }

    private static MydockerException failed(Volume volume, String what, SyscallException e) {
        return new MydockerException("volume " + volume + ": " + what + ": " + e.getMessage()
                + (e.errno == Errors.EINVAL ? " (a file source needs a file to cover, a directory source a directory)" : ""));
    }

    private static String whyRefused(int errno) {
        return switch (errno) {
            case Errors.ENOTDIR -> " (a part of the path is a file in the image, or a directory source meets a file)";
            case Errors.EOVERFLOW -> " (overlay cannot copy up a directory whose owner has no id in the container's"
                    + " --uidmap; choose a target directly under / or one the image already has)";
            case Errors.ENOENT -> " (nothing can be made inside /proc or /sys, so choose a target elsewhere;"
                    + " or a part of the path was removed while it was being mounted)";
            case Errors.ELOOP -> " (too many symbolic links on the way: the image has a loop there)";
            case Errors.EACCES, Errors.EPERM, Errors.EROFS -> " (container root may not write there)";
            default -> "";
        };
    }
}
