package mydocker;

/**
 * The container's side: what happens in the cloned child, PID 1 of the new PID namespace,
 * between clone and the command. It is not run here but written down, as the {@link Plan} the
 * child runs: one line per step, in the order the kernel needs.
 */
final class Init {

    private Init() {}

    static void plan(Plan plan, ContainerSpec spec) {
        // tag::init[]
        Exec.closeInherited(plan, spec.stdinFd(), spec.ttyFd()); // first: nothing of the caller's may be reached by a path
        setHostname(plan, spec.hostname());
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
