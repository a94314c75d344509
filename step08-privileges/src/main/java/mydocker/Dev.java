package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small /dev: a tmpfs holding the few device nodes programs expect, a private devpts for
 * pseudo-terminals, /dev/shm, and the links into /proc/self/fd. Set up before pivot_root,
 * while the nodes to bind are still reachable.
 */
final class Dev {

    private static final String[] NODES = {"null", "zero", "full", "random", "urandom", "tty"};
    private static final String[][] LINKS = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}};

    // <sys/stat.h>
    private static final int S_IFCHR = 0020000;
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> RW_ALL =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-");

    private Dev() {}

    // tag::nodes[]
    /**
     * Where the container's nodes are bound from. A container gets the host's nodes by bind
     * mount, and a chmod of a bound node changes the host's: container root is the host's
     * uid 0 under root's default map. So, run by root, the parent makes the container its
     * own nodes with mknod in the container's directory; the user namespace cannot (mknod
     * needs CAP_MKNOD in the initial one). Rootless, the parent cannot either, and binds the
     * host's: they belong to the host's root, which the container's root is not, so chmod
     * fails. Also the host's where the store's filesystem is mounted nodev.
     */
    static String nodes(Path containerDir) {
        Path dir = containerDir.resolve("dev");
        try {
            Files.createDirectories(dir);
            for (String node : NODES) {
                long rdev = ((Number) Files.getAttribute(Path.of("/dev", node), "unix:rdev")).longValue();
                if (Syscalls.C.mknod(dir.resolve(node).toString(), S_IFCHR | 0666, rdev) == -1) {
                    int errno = Syscalls.errno();
                    if (errno == Errors.EPERM) {
                        return "/dev";
                    }
                    throw new SyscallException("mknod(" + Trace.quote(dir.resolve(node).toString()) + ")", errno);
                }
                Files.setPosixFilePermissions(dir.resolve(node), RW_ALL); // not the umask's
            }
            Trace.print("mknod(" + dir + "/{null,zero,full,random,urandom,tty}) = 0");
            int fd = Syscalls.C.open(dir.resolve("null").toString(), Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
            if (fd == -1) {
                return "/dev"; // EACCES: the store's filesystem is mounted nodev
            }
            Syscalls.C.close(fd);
            return dir.toString();
        } catch (IOException e) {
            throw new MydockerException("making the container's device nodes in " + dir, e);
        }
    }
    // end::nodes[]

    // tag::dev[]
    /** With -t, the container's terminal ({@code ttyPath}, or null) is bound on /dev/console. */
    static void setup(Plan plan, String dev, String nodes, String ttyPath) {
        plan.mkdirat(dev, 0755).tolerate(Errors.EEXIST);
        plan.mount("tmpfs", dev, "tmpfs", Syscalls.MS_NOSUID, "mode=755,size=65536k");
        for (String node : NODES) {
            bind(plan, nodes + "/" + node, dev + "/" + node);
        }
        if (ttyPath != null) {
            // By its path, not by /proc/self/fd: the descriptor's mount is the host namespace's,
            // and the kernel binds only mounts of the caller's namespace (EINVAL otherwise).
            bind(plan, ttyPath, dev + "/console");
        }
        plan.mkdirat(dev + "/pts", 0755);
        plan.mount("devpts", dev + "/pts", "devpts", Syscalls.MS_NOSUID | Syscalls.MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620");
        plan.mkdirat(dev + "/shm", 01777);
        plan.mount("shm", dev + "/shm", "tmpfs", Syscalls.MS_NOSUID | Syscalls.MS_NODEV, "mode=1777,size=65536k");
        for (String[] link : LINKS) {
            plan.symlinkat(link[1], dev + "/" + link[0]);
        }
    }
    // end::dev[]

    /** The path of the terminal the parent opened, for the child to bind by name. */
    static String ttyPath(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new MydockerException("finding the terminal's path", e);
        }
    }

    private static void bind(Plan plan, String source, String target) {
        plan.mknodFile(target, 0644);
        plan.mount(source, target, null, Syscalls.MS_BIND, null);
    }
}
