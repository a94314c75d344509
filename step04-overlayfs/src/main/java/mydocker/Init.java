package mydocker;

/**
 * The container's side: what happens in the cloned child, PID 1 of the new PID namespace,
 * between clone and the command. It is not run here but written down, as the {@link Plan} the
 * child runs: one line per step, in the order the kernel needs.
 */
final class Init {

    // <fcntl.h>, <linux/openat2.h>; arm64 numbers O_DIRECTORY differently from x86-64
    private static final long O_PATH = 010000000;
    private static final long O_DIRECTORY = "aarch64".equals(System.getProperty("os.arch")) ? 040000 : 0200000;
    private static final long O_CLOEXEC = 02000000;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_IN_ROOT = 0x10;

    private Init() {}

    static void plan(Plan plan, ContainerSpec spec) {
        // tag::init[]
        Exec.closeInherited(plan, spec.stdinFd(), spec.ttyFd(), spec.devNodes()); // first: nothing of the caller's may be reached by a path
        MountPropagation.makePrivate(plan); // before any mount: no mount of ours may reach the host
        OverlayRoot.mount(plan, spec.lowerdirs(), spec.upper(), spec.work(), spec.root());
        Dev.setup(plan, spec.root() + "/dev", spec.devNodes(), spec.ttyPath()); // before the masks: they are its null
        Proc.mount(plan, spec.root() + "/proc");  // while the host's /proc is still there to compare
        Proc.mask(plan, spec.root() + "/proc", spec.root() + "/dev/null"); // what runc masks: host-wide files hidden, settings read-only
        Sysfs.mountReadOnly(plan, spec.root() + "/sys");
        PivotRoot.into(plan, spec.root());        // last: everything above needs the host's tree
        setHostname(plan, spec.hostname());
        enterWorkingDir(plan, spec.workingDir()); // after pivot_root: the image's path, resolved in its root
        attachStdio(plan, spec);        // a new session always: the caller's terminal is not the container's
        Signals.resetForExec(plan);
        Exec.execve(plan, spec.command(), spec.env());
        // end::init[]
    }

    // tag::hostname[]
    /** The UTS namespace holds a copy of the host's name; renaming it here leaves the host's alone. */
    private static void setHostname(Plan plan, String hostname) {
        if (!hostname.isEmpty()) {
            plan.sethostname(hostname);
        }
    }
    // end::hostname[]

    // tag::workdir[]
    /**
     * The working directory that -w or the image names, or /. The caller or the image chose the
     * path, so the kernel resolves it with the container's root as "/" for every symlink and
     * "..", and refuses the /proc/PID/fd links that lead out of it (CVE-2024-21626 ran a
     * container in a host directory that way).
     */
    private static void enterWorkingDir(Plan plan, String dir) {
        int opened = plan.openat2(dir.isEmpty() ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC,
                RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, "O_PATH|O_DIRECTORY|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS");
        plan.explain(e -> new MydockerException("the working directory: " + e.getMessage()
                + " (the image's layers lack it: give -w a directory the image has, or add it to the image)"));
        plan.fchdir(opened);
    }
    // end::workdir[]

    // tag::stdio[]
    /**
     * setsid makes PID 1 leader of a new session without a controlling terminal, so
     * {@code /dev/tty} gives ENXIO inside and the caller's terminal cannot be read or pushed
     * input with TIOCSTI. With -t the container's own pty becomes its terminal; without -i
     * stdin is /dev/null.
     */
    private static void attachStdio(Plan plan, ContainerSpec spec) {
        if (spec.ttyFd() >= 0) {
            Terminal.becomeControlling(plan, spec.ttyFd());
        } else {
            plan.setsid();
            if (spec.stdinFd() >= 0) {
                plan.dup3(spec.stdinFd(), 0);
                plan.close(spec.stdinFd());
            }
        }
    }
    // end::stdio[]
}
