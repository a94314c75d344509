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
    // <asm/unistd.h>: the mount API's numbers, the same on every architecture
    private static final long SYS_FSOPEN = 430;
    private static final long SYS_FSCONFIG = 431;
    private static final long SYS_FSMOUNT = 432;
    // <linux/mount.h>
    private static final long FSOPEN_CLOEXEC = 1;
    private static final long FSCONFIG_SET_STRING = 1;
    private static final long FSCONFIG_CMD_CREATE = 6;
    private static final long FSMOUNT_CLOEXEC = 1;
    private static final long MOUNT_ATTR_RDONLY = 0x01;
    private static final long MOUNT_ATTR_NOSUID = 0x02;
    private static final String TMPFS_OPTIONS = "mode=755,size=65536k";

    private Dev() {}

    // tag::nodes[]
    /**
     * The container's own device nodes, or -1 for the host's. A chmod of a node bound from the
     * host changes the host's, and run by root the container's root is the host's uid 0 (the
     * default map), which owns them. So root's parent makes the container a tmpfs of its own
     * and the nodes in it, with mknod, which needs CAP_MKNOD in the initial user namespace: the
     * parent has it, the container's root does not. The tmpfs is detached (fsopen, fsmount):
     * no path of the host leads to it, it goes when the last descriptor does, and it is a new
     * filesystem, so a store on a nodev mount (a systemd /tmp) changes nothing. The child moves
     * it onto its /dev. An ordinary user can do neither, and binds the host's nodes: they
     * belong to the host's root, which the container's root is not, so chmod fails. So does
     * root of a user namespace only (mydocker run inside a rootless container). The tmpfs
     * belongs to the container's root, {@code rootUid} and {@code rootGid} on the host, which
     * makes /dev/pts and /dev/shm in it.
     */
    static int nodes(long rootUid, long rootGid) {
        if (Syscalls.C.geteuid() != 0 || !inInitialUserNamespace()) {
            return -1;
        }
        int tmpfs = detachedTmpfs(TMPFS_OPTIONS + ",uid=" + rootUid + ",gid=" + rootGid);
        try {
            for (String node : NODES) {
                mknod(tmpfs, node);
            }
            return tmpfs;
        } catch (RuntimeException e) {
            Syscalls.close(tmpfs);
            throw e;
        }
    }

    /** fsopen, fsconfig, fsmount: a tmpfs mounted nowhere, known only by the descriptor returned. */
    private static int detachedTmpfs(String options) {
        CStrings strings = new CStrings();
        int fs = mountApi("fsopen(\"tmpfs\", FSOPEN_CLOEXEC)", SYS_FSOPEN, strings.string("tmpfs").address(),
                FSOPEN_CLOEXEC, 0, 0);
        try {
            for (String option : options.split(",")) {
                String[] kv = option.split("=");
                mountApi("fsconfig(FSCONFIG_SET_STRING, " + Trace.quote(kv[0]) + ", " + Trace.quote(kv[1]) + ")",
                        SYS_FSCONFIG, fs, FSCONFIG_SET_STRING, strings.string(kv[0]).address(), strings.string(kv[1]).address());
            }
            mountApi("fsconfig(FSCONFIG_CMD_CREATE)", SYS_FSCONFIG, fs, FSCONFIG_CMD_CREATE, 0, 0);
            return mountApi("fsmount(FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID)", SYS_FSMOUNT, fs, FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_NOSUID, 0);
        } finally {
            Syscalls.close(fs);
            java.lang.ref.Reference.reachabilityFence(strings);
        }
    }

    /** The host's node of that name, made again in the tmpfs, mode 0666 whatever the umask. */
    private static void mknod(int tmpfs, String node) {
        String call = "mknodat(<tmpfs>, " + Trace.quote(node) + ", S_IFCHR|0666)";
        int made = FileCalls.C.mknodat(tmpfs, node, S_IFCHR | 0666, rdev(node));
        int errno = made == -1 ? Syscalls.errno() : 0;
        Trace.call(call, made, errno);
        if (made == -1) {
            throw new MydockerException(new SyscallException(call, errno).getMessage()
                    + " (root needs CAP_MKNOD to give the container device nodes of its own;"
                    + " as an ordinary user mydocker binds the host's)");
        }
        // Through the descriptor: the tmpfs has no other path.
        Syscalls.check("chmod(<tmpfs>/" + node + ", 0666)", FileCalls.C.chmod("/proc/self/fd/" + tmpfs + "/" + node, 0666));
    }
    // end::nodes[]

    // tag::dev[]
    /**
     * With {@code nodes} from {@link #nodes()}, that tmpfs is the container's /dev; with -1, a
     * new one with the host's nodes bound in. With -t, the container's terminal
     * ({@code ttyPath}, or null) is bound on /dev/console.
     */
    static void setup(Plan plan, String dev, int nodes, String ttyPath) {
        plan.mkdirat(dev, 0755).tolerate(Errors.EEXIST);
        if (nodes >= 0) {
            plan.moveMount(nodes, dev);
        } else {
            plan.mount("tmpfs", dev, "tmpfs", Syscalls.MS_NOSUID, TMPFS_OPTIONS);
            for (String node : NODES) {
                bind(plan, "/dev/" + node, dev + "/" + node);
            }
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

    /** The initial user namespace maps every id to itself, in one line: 0 0 4294967295. */
    private static boolean inInitialUserNamespace() {
        try {
            return String.join(" ", Files.readString(Path.of("/proc/self/uid_map")).trim().split("\\s+"))
                    .equals("0 0 4294967295");
        } catch (IOException e) {
            return true; // cannot tell: make nodes, or say why not, rather than bind ones root may own
        }
    }

    /** The path of the terminal the parent opened, for the child to bind by name. */
    static String ttyPath(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new MydockerException("finding the terminal's path", e);
        }
    }

    private static long rdev(String node) {
        try {
            return ((Number) Files.getAttribute(Path.of("/dev", node), "unix:rdev")).longValue();
        } catch (IOException e) {
            throw new MydockerException("reading the device number of /dev/" + node, e);
        }
    }

    /** A call of the mount API through the plan's syscall entry: glibc wraps it only since 2.36. */
    private static int mountApi(String call, long number, long a1, long a2, long a3, long a4) {
        long result = Plan.syscall(number, a1, a2, a3, a4, 0);
        int errno = result == -1 ? Plan.errno() : 0;
        Trace.call(call, result, errno);
        if (result == -1) {
            throw new SyscallException(call, errno);
        }
        return (int) result;
    }

    /**
     * A node of the host's, bound read-only: a read-only mount still opens a device for
     * writing, but refuses chmod, chown and touch, which would change the host's inode. Its
     * owner may be the container's root (root of a user namespace whose root is the host's,
     * the caller's own pseudo-terminal).
     */
    private static void bind(Plan plan, String source, String target) {
        plan.mknodFile(target, 0644);
        plan.mount(source, target, null, Syscalls.MS_BIND, null);
        plan.mountSetattr(target, MOUNT_ATTR_RDONLY, "attr_set=MOUNT_ATTR_RDONLY");
    }
}
