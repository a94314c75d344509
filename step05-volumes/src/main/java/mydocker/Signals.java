package mydocker;

import sun.misc.Signal;

/**
 * Signals on both sides: the parent forwards what it receives to the container's PID 1, and
 * the plan hands the command a clean signal state.
 */
final class Signals {

    // <signal.h>
    static final int SIGHUP = 1;
    static final int SIGINT = 2;
    static final int SIGQUIT = 3;
    static final int SIGKILL = 9;
    static final int SIGPIPE = 13;
    static final int SIGTERM = 15;
    static final int SIGCHLD = 17;
    static final int SIGTSTP = 20;
    static final int SIGTTIN = 21;
    static final int SIGTTOU = 22;
    static final int SIGWINCH = 28;
    private static final int SIG_SETMASK = 2;
    private static final int SIGSET_BYTES = 8;        // the kernel's sigset_t: 64 signals
    private static final int SIGACTION_BYTES = 32;    // struct kernel_sigaction with that sigset
    private static final int GLIBC_SIGACTION_BYTES = 152;
    private static final long SIG_IGN = 1;

    private Signals() {}

    static String name(int signal) {
        jnr.constants.platform.Signal s = jnr.constants.platform.Signal.valueOf(signal);
        return s == null || s.name().startsWith("__") ? "signal " + signal : s.name();
    }

    // tag::forward[]
    /**
     * Passes SIGINT, SIGTERM and SIGHUP on to the container's PID 1, as docker run does. The
     * kernel only delivers them there if PID 1 has a handler: a PID namespace's init does
     * not die of a signal it has not asked for (pid_namespaces(7)).
     */
    static void forward(int pid) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            Signal signal = new Signal(name);
            stopIgnoring(signal.getNumber());
            Signal.handle(signal, s -> Syscalls.kill(pid, s.getNumber()));
        }
    }

    /**
     * nohup starts mydocker with SIGHUP ignored, and a script's background job with SIGINT,
     * and the JVM installs no handler over a signal ignored at its start: it would never
     * reach the container. docker's CLI forwards them all the same (Go's signal.Notify takes an
     * ignored signal over), and so does run: an ignored one is set back to its default first.
     */
    private static void stopIgnoring(int signal) {
        long[] old = new long[GLIBC_SIGACTION_BYTES / 8];
        if (Syscalls.C.sigaction(signal, null, old) == 0 && old[0] == SIG_IGN) {
            Syscalls.C.sigaction(signal, new long[old.length], null); // all zero: SIG_DFL
        }
    }
    // end::forward[]

    /** Runs {@code action} on each SIGWINCH: the caller's window changed size. */
    static void onWindowChange(Runnable action) {
        Signal.handle(new Signal("WINCH"), s -> action.run());
    }

    // tag::reset[]
    /**
     * execve keeps the signal mask and every signal set to SIG_IGN. A JVM blocks some
     * signals in its threads, and one started from a background shell ignores SIGINT, so
     * both are reset or the container's shell could not be interrupted with Ctrl-C.
     */
    static void resetForExec(Plan plan) {
        long empty = plan.struct(SIGSET_BYTES);
        plan.rtSigprocmask("SIG_SETMASK", SIG_SETMASK, empty);
        long sigaction = plan.struct(SIGACTION_BYTES); // all zero: SIG_DFL, no flags, empty mask
        for (int signal : new int[] {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU}) {
            plan.rtSigaction(name(signal), signal, sigaction);
        }
    }
    // end::reset[]
}
