package mydocker;

/**
 * A failure reported to the user as one line. Either a precondition that is not met ("-t
 * needs a terminal on stdin"), or another failure with the context it happened in, so that
 * the line reads from the outermost step inwards: "starting init: clone(...): EPERM ...".
 */
final class MydockerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The exit status of mydocker run: 125, or 126 and 127 when the command could not be started. */
    final int exitStatus;

    MydockerException(String message) {
        this(ExitStatus.RUNTIME_ERROR, message);
    }

    MydockerException(int exitStatus, String message) {
        super(message);
        this.exitStatus = exitStatus;
    }

    MydockerException(String context, Throwable cause) {
        super(context + ": " + cause.getMessage(), cause);
        this.exitStatus = cause instanceof MydockerException m ? m.exitStatus : ExitStatus.RUNTIME_ERROR;
    }
}
