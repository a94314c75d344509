package mydocker;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A process named by a descriptor, not by its number (pidfd_open(2), Linux 5.3). A pid is
 * reused once its process is reaped; a pidfd keeps naming the process it was opened for, so
 * a signal sent through it can never reach a newcomer that got the number.
 */
final class Pidfd {

    // <asm/unistd.h>: the same numbers on every architecture
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final short POLLIN = 1;

    private Pidfd() {}

    // tag::open[]
    /**
     * A pidfd for the container's PID 1, or -1 if it is gone. The pid is checked after the
     * open: if it started when the state says PID 1 did, the descriptor names PID 1, and goes
     * on naming it whatever happens to the number.
     */
    static int open(ContainerState c) {
        long fd = Plan.syscall(SYS_PIDFD_OPEN, c.pid(), 0, 0, 0, 0);
        if (fd == -1) {
            int errno = Plan.errno();
            Trace.call("pidfd_open(" + c.pid() + ", 0)", -1, errno);
            if (errno == Errors.ESRCH) {
                return -1;
            }
            throw new SyscallException("pidfd_open(" + c.pid() + ", 0)", errno);
        }
        Trace.call("pidfd_open(" + c.pid() + ", 0)", fd, 0);
        if (!c.pidStart().isEmpty() && !ContainerState.startOf(c.pid()).equals(c.pidStart())) {
            Syscalls.close((int) fd); // the number was reused: that process is not ours to signal
            return -1;
        }
        return (int) fd;
    }
    // end::open[]

    /** pidfd_send_signal(2); a process that has just exited is not an error. */
    static void signal(int pidfd, int signal) {
        long rc = Plan.syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0, 0);
        int errno = rc == -1 ? Plan.errno() : 0;
        Trace.call("pidfd_send_signal(" + pidfd + ", " + Signals.name(signal) + ", NULL, 0)", rc, errno);
        if (rc == -1 && errno != Errors.ESRCH) {
            throw new SyscallException("pidfd_send_signal(" + pidfd + ", " + Signals.name(signal) + ")", errno);
        }
    }

    /** Whether the process exited within {@code timeoutMs} (-1: however long): a pidfd turns readable then. */
    static boolean awaitExit(int pidfd, long timeoutMs) {
        Pointer pollfd = Memory.allocateDirect(Syscalls.RUNTIME, 8, true);
        pollfd.putInt(0, pidfd);
        pollfd.putShort(4, POLLIN);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int wait = timeoutMs < 0 ? -1 : (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            int rc = Syscalls.C.poll(pollfd, 1, wait);
            if (rc == -1 && Syscalls.errno() == Errors.EINTR) {
                continue;
            }
            if (rc == -1) {
                throw new SyscallException("poll(pidfd " + pidfd + ", POLLIN)", Syscalls.errno());
            }
            return rc > 0;
        }
    }
}
