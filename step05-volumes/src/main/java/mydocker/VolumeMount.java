package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Init's side of a volume: a bind mount of the host path onto its mount point in the
 * container's root, made before pivot_root while both trees are still in view.
 */
final class VolumeMount {

    private VolumeMount() {}

    // tag::mount[]
    static void mount(Volume volume, String root) {
        List<String> parts = InRoot.resolve(root, volume.target());
        if (parts.isEmpty()) {
            throw new MydockerException("volume " + volume + ": " + volume.target()
                    + " leads to the container's root through a symbolic link; choose a directory below it");
        }
        boolean directory = volume.directory();
        String name = parts.get(parts.size() - 1);
        int parent = openParent(root, parts.subList(0, parts.size() - 1), volume);
        try {
            int mountPoint = openOrCreate(parent, name, directory, volume);
            try {
                checkType(mountPoint, directory, volume);
                // Onto the descriptor, not a path: whatever the path is by now, the mount lands
                // on the directory checked above (runc's fix for CVE-2021-30465).
                bind(volume, fdPath(mountPoint));
            } finally {
                Syscalls.close(mountPoint);
            }
            if (volume.readOnly()) {
                remountReadOnly(parent, name, volume);
            }
        } finally {
            Syscalls.close(parent);
        }
    }
    // end::mount[]

    // tag::walk[]
    /**
     * Walks down from the root one directory at a time, creating what is missing. O_NOFOLLOW
     * refuses a symlink (none should be left after {@link InRoot#resolve}; one that appears now
     * is a race, not a path to follow), so the walk cannot leave the root.
     */
    private static int openParent(String root, List<String> dirs, Volume volume) {
        int dir = Syscalls.open(root, Syscalls.O_PATH | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC);
        try {
            for (String part : dirs) {
                int next = openOrCreate(dir, part, true, volume);
                Syscalls.close(dir);
                dir = next;
            }
            return dir;
        } catch (RuntimeException e) {
            Syscalls.close(dir);
            throw e;
        }
    }

    /** The mount point, made in the container's layer if the image lacks it: a directory, or an empty file. */
    private static int openOrCreate(int dir, String name, boolean directory, Volume volume) {
        int flags = Syscalls.O_PATH | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC | (directory ? Syscalls.O_DIRECTORY : 0);
        try {
            int fd = Syscalls.C.openat(dir, name, flags, 0);
            if (fd >= 0 || Syscalls.errno() != Errors.ENOENT) {
                return (int) Syscalls.check("openat(" + dir + ", " + Trace.quote(name) + ", "
                        + Syscalls.OPEN_FLAGS.format(flags) + ")", fd);
            }
            if (directory) {
                Syscalls.mkdirat(dir, name, 0755);
            } else {
                Syscalls.close(Syscalls.openat(dir, name, Syscalls.O_CREAT | Syscalls.O_EXCL | Syscalls.O_WRONLY
                        | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC, 0644));
            }
            return Syscalls.openat(dir, name, flags, 0);
        } catch (SyscallException e) {
            throw new MydockerException("volume " + volume + ": making its mount point " + volume.target()
                    + " in the container: " + e.getMessage() + whyRefused(e.errno));
        }
    }
    // end::walk[]

    private static String whyRefused(int errno) {
        return switch (errno) {
            case Errors.ENOTDIR -> " (a part of the path is a file in the image, a directory source meets a file,"
                    + " or a part was swapped for a symbolic link while it was being mounted)";
            case Errors.EOVERFLOW -> " (overlay cannot copy up a directory whose owner has no id in the container's"
                    + " --uidmap; choose a target directly under / or one the image already has)";
            case Errors.ENOENT -> " (nothing can be made inside /proc or /sys; choose a target elsewhere)";
            case Errors.ELOOP -> " (a part of the path became a symbolic link while it was being mounted)";
            case Errors.EACCES, Errors.EPERM, Errors.EROFS -> " (container root may not write there)";
            default -> "";
        };
    }

    /** A file source needs a file to cover, a directory source a directory; and never a symlink. */
    private static void checkType(int fd, boolean directory, Volume volume) {
        BasicFileAttributes attributes;
        try {
            // stat through /proc/self/fd/N sees the object the descriptor holds, a symlink included.
            attributes = Files.readAttributes(Path.of(fdPath(fd)), BasicFileAttributes.class);
        } catch (IOException e) {
            throw new MydockerException("volume " + volume + ": reading its mount point", e);
        }
        if (attributes.isSymbolicLink()) {
            throw new MydockerException("volume " + volume + ": " + volume.target()
                    + " became a symbolic link while it was being mounted; refusing to follow it");
        }
        if (attributes.isDirectory() != directory) {
            throw new MydockerException("volume " + volume + ": the source is a " + (directory ? "directory" : "file")
                    + " but " + volume.target() + " in the image is " + (directory ? "not" : "a directory")
                    + "; give a target of the same kind");
        }
    }

    // tag::bind[]
    /** MS_REC brings along what is mounted below the source, as docker's rbind does. */
    private static void bind(Volume volume, String target) {
        try {
            Syscalls.mount(volume.source(), target, null, Syscalls.MS_BIND | Syscalls.MS_REC, null);
        } catch (SyscallException e) {
            throw new MydockerException("volume " + volume + ": bind-mounting " + volume.source() + " on "
                    + volume.target() + ": " + e.getMessage());
        }
    }

    /**
     * A bind mount starts with the source mount's flags, and MS_RDONLY on the first mount call
     * is ignored: read-only takes a remount of the new mount. The remount sets all the flags
     * at once, so it repeats the ones the source has. In a user namespace the kernel locks
     * nosuid, nodev, noexec and the atime mode of mounts inherited from the host, and a
     * remount that would clear one fails with EPERM.
     */
    private static void remountReadOnly(int parent, String name, Volume volume) {
        // Opened again: the name now leads to the root of the new mount, which is what a remount needs.
        int fd = Syscalls.openat(parent, name, Syscalls.O_PATH | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC, 0);
        try {
            long flags = Syscalls.MS_BIND | Syscalls.MS_REMOUNT | Syscalls.MS_RDONLY | lockedFlags(Syscalls.mountFlags(fd));
            Syscalls.mount(null, fdPath(fd), null, flags, null);
        } catch (SyscallException e) {
            throw new MydockerException("volume " + volume + ": making it read-only: " + e.getMessage());
        } finally {
            Syscalls.close(fd);
        }
    }
    // end::bind[]

    // tag::locked[]
    /** The MS_ flags to repeat on a remount, from the ST_ flags fstatvfs reports (not all the same bits). */
    static long lockedFlags(long st) {
        long flags = 0;
        flags |= (st & Syscalls.ST_NOSUID) != 0 ? Syscalls.MS_NOSUID : 0;
        flags |= (st & Syscalls.ST_NODEV) != 0 ? Syscalls.MS_NODEV : 0;
        flags |= (st & Syscalls.ST_NOEXEC) != 0 ? Syscalls.MS_NOEXEC : 0;
        flags |= (st & Syscalls.ST_NODIRATIME) != 0 ? Syscalls.MS_NODIRATIME : 0;
        // Exactly one atime mode, the source's: in a user namespace a remount naming another is refused.
        if ((st & Syscalls.ST_NOATIME) != 0) {
            flags |= Syscalls.MS_NOATIME;
        } else if ((st & Syscalls.ST_RELATIME) != 0) {
            flags |= Syscalls.MS_RELATIME;
        } else {
            flags |= Syscalls.MS_STRICTATIME;
        }
        return flags;
    }
    // end::locked[]

    private static String fdPath(int fd) {
        return "/proc/self/fd/" + fd;
    }
}
