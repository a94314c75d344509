package mydocker;

/**
 * {@code mydocker init}: the container's side, PID 1 of the new PID namespace. It reads the
 * spec, sets the container up in the order the kernel needs, and execs the user's command.
 */
final class Init {

    private Init() {}

    static void main() {
        String pipe = System.getenv(Container.INIT_PIPE_ENV);
        if (pipe == null) {
            throw new MydockerException("init is started by mydocker run, inside a new container; it is not run by hand");
        }
        int fd = Integer.parseInt(pipe);
        // Blocks until the parent has written the spec and closed its end.
        byte[] encoded = Syscalls.readAll(fd);
        ContainerSpec spec = ContainerSpec.decode(encoded);
        Trace.enable(spec.trace(), "init");
        Trace.print("read(" + fd + ", <spec>) = " + encoded.length + ", then end of file");
        Syscalls.close(fd);

        try {
            setUp(spec);
        } catch (SyscallException e) {
            // Ubuntu's AppArmor lets the clone succeed and refuses the privileged calls after it.
            throw UsernsSettings.explain(e, UsernsSettings.PROC_SYS);
        }
    }

    private static void setUp(ContainerSpec spec) {
        // tag::init[]
        MountPropagation.makePrivate(); // first: no mount of ours may reach the host
        OverlayRoot.mount(spec.lowerdirs(), spec.upper(), spec.work(), spec.root());
        Proc.mount(spec.root() + "/proc");  // while the host's /proc is still there to compare
        Proc.mask(spec.root() + "/proc");   // what runc masks: host-wide files hidden, settings read-only
        Sysfs.mountReadOnly(spec.root() + "/sys");
        Dev.setup(spec.root() + "/dev", spec.ttyFd());
        for (Volume volume : spec.volumes()) {
            VolumeMount.mount(volume, spec.root()); // after /proc and /dev, whose mounts would hide one below them
        }
        PivotRoot.into(spec.root());        // last: everything above needs the host's tree
        setHostname(spec.hostname());
        enterWorkingDir(spec.workingDir());
        attachStdio(spec);              // after setup, so errors before it still reach the caller's stderr
        Signals.resetForExec();
        CloneExec.keepParentDeathSignal(); // in the thread that execs: the first thread's ends here
        Exec.execve(spec.command(), spec.env());
        // end::init[]
    }

    // tag::hostname[]
    /** The UTS namespace holds a copy of the host's name; renaming it here leaves the host's alone. */
    private static void setHostname(String hostname) {
        if (!hostname.isEmpty()) {
            Syscalls.sethostname(hostname);
        }
    }
    // end::hostname[]

    /** The image's WorkingDir, or /: a config may name a directory its layers lack, and that is the image's fault. */
    private static void enterWorkingDir(String dir) {
        try {
            Syscalls.chdir(dir.isEmpty() ? "/" : dir);
        } catch (SyscallException e) {
            throw new MydockerException("the image's working directory: " + e.getMessage()
                    + " (its layers lack it: add the directory to the image, or fix WorkingDir in its config)");
        }
    }

    private static void attachStdio(ContainerSpec spec) {
        if (spec.ttyFd() >= 0) {
            Terminal.becomeControlling(spec.ttyFd());
        } else if (spec.stdinFd() >= 0) {
            Syscalls.dup2(spec.stdinFd(), 0);
            Syscalls.close(spec.stdinFd());
        }
    }
}
