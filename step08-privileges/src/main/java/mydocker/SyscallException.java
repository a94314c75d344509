package mydocker;

/** A kernel call that failed: the call with its operands, the errno, and a hint if one is known. */
final class SyscallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final String call;
    final int errno;

    SyscallException(String call, int errno) {
        super(message(call, errno));
        this.call = call;
        this.errno = errno;
    }

    private static String message(String call, int errno) {
        String hint = Errors.hint(call, errno);
        return call + ": " + Errors.describe(errno) + (hint == null ? "" : ": " + hint);
    }
}
