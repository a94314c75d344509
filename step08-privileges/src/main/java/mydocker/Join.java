package mydocker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mydocker exec}'s way into a running container: descriptors of its PID 1's
 * namespaces, opened by the parent before clone and checked to be the container's, and the
 * steps with which the cloned child joins them.
 */
final class Join {

    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_PIDFD_OPEN = 434; // the same on every architecture
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_MEMFD_CREATE = ARM64 ? 279 : 319;
    private static final long SYS_BRK = ARM64 ? 214 : 12;
    // <linux/memfd.h>, <fcntl.h>, <sys/prctl.h>
    private static final long MFD_CLOEXEC = 1;
    private static final long MFD_ALLOW_SEALING = 2;
    private static final long MFD_EXEC = 0x10;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_SEAL_ALL = 0x1 | 0x2 | 0x4 | 0x8; // SEAL, SHRINK, GROW, WRITE
    private static final long PR_SET_DUMPABLE = 4;
    private static final int MM_MAP_BYTES = 104; // struct prctl_mm_map

    // tag::order[]
    /**
     * The order of the setns steps. The user namespace first: the others belong to it, and
     * setns into one of them needs CAP_SYS_ADMIN in its owner, which an ordinary user has only
     * once it is in there (as the owner of the container's user namespace it gets every
     * capability in it by joining). The PID namespace last: it only decides where the next
     * child is born.
     */
    private static final String[] TYPES = {"user", "mnt", "uts", "ipc", "net", "pid"};
    private static final long[] FLAGS = {Namespaces.CLONE_NEWUSER, Namespaces.CLONE_NEWNS,
        Namespaces.CLONE_NEWUTS, Namespaces.CLONE_NEWIPC, Namespaces.CLONE_NEWNET, Namespaces.CLONE_NEWPID};
    private static final String[] NAMES = {"CLONE_NEWUSER", "CLONE_NEWNS", "CLONE_NEWUTS", "CLONE_NEWIPC",
        "CLONE_NEWNET", "CLONE_NEWPID"};
    // end::order[]

    final int pid;
    final int pidfd;
    final int[] nsFds = new int[TYPES.length];
    private final String container;

    private Join(ContainerState state) {
        this.pid = state.pid();
        this.container = state.name();
        this.pidfd = (int) Plan.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0);
        if (pidfd == -1) {
            throw notRunning(state);
        }
    }

    // tag::open[]
    /**
     * A pidfd of the container's PID 1, then its namespace files. The pid in the state may
     * have been reused since: the process must be PID 1 of a PID namespace and a child of the
     * mydocker run the state names, itself checked by its start time. The pidfd, opened first,
     * then says that this process was still alive after the namespace files were opened, so
     * the pid was not reused between the check and the opens.
     */
    static Join open(ContainerState state) {
        Join join = new Join(state);
        try {
            for (int i = 0; i < TYPES.length; i++) {
                String path = "/proc/" + join.pid + "/ns/" + TYPES[i];
                join.nsFds[i] = Syscalls.open(path, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
            }
            if (!isContainersInit(state) || Plan.syscall(SYS_PIDFD_SEND_SIGNAL, join.pidfd, 0, 0, 0, 0) == -1) {
                throw notRunning(state);
            }
            return join;
        } catch (RuntimeException e) {
            join.close();
            if (e instanceof SyscallException && !new java.io.File("/proc/" + join.pid).exists()) {
                throw notRunning(state);
            }
            throw e;
        }
    }
    // end::open[]

    private static boolean isContainersInit(ContainerState state) {
        try {
            String stat = Files.readString(Path.of("/proc/" + state.pid() + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ppid = Long.parseLong(fields[1]);
            boolean runnerIsOurs = !state.runnerStart().isEmpty()
                    && ContainerState.startOf(state.runner()).equals(state.runnerStart());
            String nspid = Files.readAllLines(Path.of("/proc/" + state.pid() + "/status")).stream()
                    .filter(l -> l.startsWith("NSpid:")).findFirst().orElse("");
            return ppid == state.runner() && runnerIsOurs && nspid.matches("NSpid:\\s+\\d+\\s+1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static MydockerException notRunning(ContainerState state) {
        return new MydockerException("container " + state.name() + " is not running"
                + " (mydocker ps -a shows it; start a new one with mydocker run)");
    }

    /** The environment its PID 1 was started with: what a command run in it gets, as docker's exec. */
    List<String> environment() {
        try {
            byte[] bytes = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
            List<String> env = new ArrayList<>();
            for (String e : new String(bytes, StandardCharsets.UTF_8).split("\0")) {
                if (e.indexOf('=') > 0) {
                    env.add(e);
                }
            }
            return env;
        } catch (IOException e) {
            throw new MydockerException("reading the environment of container " + container + " (/proc/" + pid
                    + "/environ): " + e.getMessage());
        }
    }

    // tag::join[]
    /**
     * The child's steps into the container, in the prelude, before it becomes uid 0 there.
     * Non-dumpable first: from now until its execve the process is a copy of the host's java,
     * and no process of the container may open its /proc/PID/exe, fd or mem (ptrace access
     * then needs CAP_SYS_PTRACE in the host's user namespace). Then the descriptors not
     * needed are closed, the user namespace joined, the executable swapped for the sealed
     * empty file ({@link #swapExe}), and the other namespaces joined.
     */
    void steps(Plan plan, Exe exe, int... needed) {
        plan.prctl("PR_SET_DUMPABLE, 0", PR_SET_DUMPABLE, 0);
        int[] keep = new int[nsFds.length + 1 + needed.length];
        System.arraycopy(nsFds, 0, keep, 0, nsFds.length);
        keep[nsFds.length] = exe.fd;
        System.arraycopy(needed, 0, keep, nsFds.length + 1, needed.length);
        Exec.closeInherited(plan, keep);
        for (int i = 0; i < TYPES.length; i++) {
            plan.setns(nsFds[i], FLAGS[i], NAMES[i]);
            plan.explain(explainSetns(TYPES[i]));
            plan.close(nsFds[i]);
            if (i == 0) {
                exe.swap(plan); // needs CAP_CHECKPOINT_RESTORE, which the user namespace gives
            }
        }
    }
    // end::join[]

    private java.util.function.Function<SyscallException, RuntimeException> explainSetns(String type) {
        return e -> new MydockerException("joining the " + type + " namespace of container " + container + ": "
                + e.getMessage() + (e.errno == Errors.EPERM
                        ? " (only the user who started the container, or root, can exec in it)" : ""));
    }

    void close() {
        for (int fd : nsFds) {
            if (fd > 0) {
                Syscalls.close(fd);
            }
        }
        Syscalls.close(pidfd);
    }

    // tag::exe[]
    /**
     * What /proc/PID/exe of the joining process will name: a sealed, empty memfd instead of
     * the host's java. The child unmaps java's own segments (the kernel refuses to replace an
     * executable that is still mapped; the JVM runs from libjvm, never from the small launcher)
     * and sets the memfd as its executable with PR_SET_MM_MAP, passing the memory layout the
     * kernel already has. A script that names {@code /proc/self/exe} as its interpreter then
     * finds an empty file (ENOEXEC), and a process that opens the link gets the memfd, which
     * no one can write (F_SEAL_WRITE): the host's java is out of reach. runc gets the same by
     * re-executing itself from a sealed memfd copy; a JVM cannot afford a second start.
     */
    static final class Exe {
        final int fd;
        private final List<long[]> mappings = new ArrayList<>();
        private final long[] layout = new long[11];

        private Exe(int fd) {
            this.fd = fd;
        }

        static Exe prepare() {
            jnr.ffi.Pointer name0 = new CStrings().string("mydocker-exec");
            long name = name0.address();
            long fd = Plan.syscall(SYS_MEMFD_CREATE, name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC, 0, 0, 0);
            if (fd == -1 && Plan.errno() == Errors.EINVAL) { // before Linux 6.3, which added MFD_EXEC
                fd = Plan.syscall(SYS_MEMFD_CREATE, name, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0, 0);
            }
            Syscalls.check("memfd_create(\"mydocker-exec\", MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_EXEC)", fd);
            java.lang.ref.Reference.reachabilityFence(name0);
            Exe exe = new Exe((int) fd);
            Syscalls.check("fcntl(" + fd + ", F_ADD_SEALS, F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE)",
                    Syscalls.C.fcntl((int) fd, F_ADD_SEALS, F_SEAL_ALL));
            try {
                String self = Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
                for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                    String[] f = line.split("\\s+", 6);
                    if (f.length == 6 && f[5].equals(self)) {
                        String[] range = f[0].split("-");
                        long start = Long.parseUnsignedLong(range[0], 16);
                        exe.mappings.add(new long[] {start, Long.parseUnsignedLong(range[1], 16) - start});
                    }
                }
                String stat = Files.readString(Path.of("/proc/self/stat"));
                String[] s = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // proc(5) numbers the fields from 1, pid and comm being 1 and 2; s[0] is field 3.
                int[] fields = {26, 27, 45, 46, 47, -1, 28, 48, 49, 50, 51};
                for (int i = 0; i < fields.length; i++) {
                    exe.layout[i] = fields[i] < 0 ? Plan.syscall(SYS_BRK, 0, 0, 0, 0, 0)
                            : Long.parseUnsignedLong(s[fields[i] - 3]);
                }
            } catch (IOException e) {
                throw new MydockerException("reading this process's memory layout in /proc/self: " + e.getMessage());
            }
            return exe;
        }

        private void swap(Plan plan) {
            for (long[] m : mappings) {
                plan.munmap(m[0], m[1], "java");
            }
            long map = plan.struct(MM_MAP_BYTES);
            jnr.ffi.Pointer p = jnr.ffi.Pointer.wrap(Syscalls.RUNTIME, map);
            for (int i = 0; i < layout.length; i++) {
                p.putLong(i * 8L, layout[i]);
            }
            p.putLong(88, 0);  // auxv: kept as it is
            p.putInt(96, 0);   // auxv_size
            p.putInt(100, fd); // exe_fd
            plan.prctlSetMmMap(map, MM_MAP_BYTES, "exe_fd=" + fd);
            plan.explain(e -> new MydockerException("replacing the joining process's executable (CVE-2019-5736): "
                    + e.getMessage() + " (exec needs it to keep the host's java out of the container's reach)"));
            plan.close(fd);
        }

        void close() {
            Syscalls.close(fd);
        }
    }
    // end::exe[]
}
