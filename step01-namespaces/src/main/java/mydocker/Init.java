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

        // tag::init[]
        setHostname(spec.hostname());
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

    private static void attachStdio(ContainerSpec spec) {
        if (spec.ttyFd() >= 0) {
            Terminal.becomeControlling(spec.ttyFd());
        } else if (spec.stdinFd() >= 0) {
            Syscalls.dup2(spec.stdinFd(), 0);
            Syscalls.close(spec.stdinFd());
        }
    }
}
