package mydocker;

/**
 * The exit status of {@code mydocker run}, as docker reports it: the command's own, or
 * 128+N when signal N killed it, and three codes of its own for failures before the command
 * ran.
 */
final class ExitStatus {

    /** The runtime failed before the command started. */
    static final int RUNTIME_ERROR = 125;
    /** The command was found but could not be executed. */
    static final int NOT_EXECUTABLE = 126;
    /** The command was not found. */
    static final int NOT_FOUND = 127;

    private ExitStatus() {}

    // tag::wait-status[]
    /** Decodes a waitpid(2) status: WIFEXITED gives WEXITSTATUS, WIFSIGNALED 128+WTERMSIG. */
    static int of(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
    // end::wait-status[]

    static String describe(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? "exited " + ((status >> 8) & 0xff) : "killed by " + Signals.name(signal);
    }
}
