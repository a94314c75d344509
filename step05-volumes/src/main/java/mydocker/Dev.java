package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small /dev: a tmpfs holding the few device nodes programs expect, a private devpts for
 * pseudo-terminals, /dev/shm, and the links into /proc/self/fd. Set up before pivot_root,
 * while the host's /dev is still there to bind from.
 */
final class Dev {

    private static final String[] NODES = {"null", "zero", "full", "random", "urandom", "tty"};
    private static final String[][] LINKS = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}};

    private Dev() {}

    // tag::dev[]
    /**
     * Device nodes cannot be made in a user namespace (mknod needs CAP_MKNOD in the initial
     * one), so each is bind-mounted from the host, as rootless podman does. With -t, the
     * container's terminal is bound on /dev/console.
     */
    static void setup(String dev, int ttyFd) {
        mkdirs(dev);
        Syscalls.mount("tmpfs", dev, "tmpfs", Syscalls.MS_NOSUID, "mode=755,size=65536k");
        for (String node : NODES) {
            bind("/dev/" + node, dev + "/" + node);
        }
        if (ttyFd >= 0) {
            // By its path, not by /proc/self/fd: the descriptor's mount is the host namespace's,
            // and the kernel binds only mounts of the caller's namespace (EINVAL otherwise).
            bind(ttyPath(ttyFd), dev + "/console");
        }
        mkdirs(dev + "/pts");
        Syscalls.mount("devpts", dev + "/pts", "devpts", Syscalls.MS_NOSUID | Syscalls.MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620");
        mkdirs(dev + "/shm");
        Syscalls.mount("shm", dev + "/shm", "tmpfs", Syscalls.MS_NOSUID | Syscalls.MS_NODEV, "mode=1777,size=65536k");
        for (String[] link : LINKS) {
            symlink(link[1], dev + "/" + link[0]);
        }
    }
    // end::dev[]

    private static String ttyPath(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new MydockerException("finding the terminal's path", e);
        }
    }

    private static void bind(String source, String target) {
        try {
            Files.createFile(Path.of(target));
        } catch (IOException e) {
            throw new MydockerException("creating " + target, e);
        }
        Syscalls.mount(source, target, null, Syscalls.MS_BIND, null);
    }

    private static void symlink(String target, String link) {
        try {
            Files.createSymbolicLink(Path.of(link), Path.of(target));
        } catch (IOException e) {
            throw new MydockerException("creating " + link, e);
        }
    }

    private static void mkdirs(String dir) {
        try {
            Files.createDirectories(Path.of(dir));
        } catch (IOException e) {
            throw new MydockerException("creating " + dir, e);
        }
    }
}
