package mydocker;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * {@code -t}: a pseudo-terminal for the container. The parent keeps the master side and
 * relays bytes between it and its own stdin and stdout; the container gets the slave side as
 * its controlling terminal, so its shell sees a terminal and Ctrl-C reaches its foreground job
 * through the terminal's line discipline. See pty(7) and termios(3).
 */
final class Terminal {

    // <asm-generic/ioctls.h>
    private static final long TIOCSCTTY = 0x540E;
    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    // <termios.h>
    private static final int TCSANOW = 0;
    private static final int TERMIOS_BYTES = 64; // sizeof(struct termios) is 60 on Linux
    private static final int WINSIZE_BYTES = 8;

    private static final LibC C = LibC.INSTANCE;

    final int master;
    final int slave;
    private Pointer savedTermios;
    private Thread output;

    private Terminal(int master, int slave) {
        this.master = master;
        this.slave = slave;
    }

    // tag::openpt[]
    /** A new pseudo-terminal pair; the container's plan makes the slave its stdin, stdout and stderr. */
    static Terminal open() {
        int master = (int) Syscalls.check("posix_openpt(O_RDWR|O_NOCTTY|O_CLOEXEC)",
                C.posix_openpt(Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC));
        Syscalls.check("grantpt(" + master + ")", C.grantpt(master));
        Syscalls.check("unlockpt(" + master + ")", C.unlockpt(master));
        byte[] name = new byte[64];
        int rc = C.ptsname_r(master, name, name.length);
        if (rc != 0) {
            throw new SyscallException("ptsname_r(" + master + ")", rc);
        }
        String path = new String(name, StandardCharsets.UTF_8).substring(0, indexOfNul(name));
        int slave = Syscalls.open(path, Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC);
        return new Terminal(master, slave);
    }
    // end::openpt[]

    /** The slave belongs to the container now; the parent's copy would keep it from ever hanging up. */
    void closeSlave() {
        Syscalls.close(slave);
    }

    /** Gives the container the caller's window size (rows and columns). */
    void copyWindowSize() {
        Pointer winsize = Memory.allocateDirect(Syscalls.RUNTIME, WINSIZE_BYTES, true);
        if (C.ioctl(0, TIOCGWINSZ, winsize) == 0) {
            Syscalls.check("ioctl(" + master + ", TIOCSWINSZ, {rows=" + winsize.getShort(0) + ", cols="
                    + winsize.getShort(2) + "})", C.ioctl(master, TIOCSWINSZ, winsize));
        }
    }

    // tag::raw[]
    /**
     * Puts the caller's terminal in raw mode: keys go to the container unprocessed, so Ctrl-C
     * becomes a byte for the container's terminal rather than a SIGINT for this process.
     */
    void makeCallerRaw() {
        savedTermios = Memory.allocateDirect(Syscalls.RUNTIME, TERMIOS_BYTES, true);
        Syscalls.check("tcgetattr(0)", C.tcgetattr(0, savedTermios));
        Pointer raw = Memory.allocateDirect(Syscalls.RUNTIME, TERMIOS_BYTES, true);
        byte[] copy = new byte[TERMIOS_BYTES];
        savedTermios.get(0, copy, 0, copy.length);
        raw.put(0, copy, 0, copy.length);
        C.cfmakeraw(raw);
        Syscalls.check("tcsetattr(0, TCSANOW, raw)", C.tcsetattr(0, TCSANOW, raw));
    }

    /** Puts the caller's terminal back as it was; safe to call more than once. */
    synchronized void restoreCaller() {
        if (savedTermios != null) {
            Syscalls.check("tcsetattr(0, TCSANOW, saved)", C.tcsetattr(0, TCSANOW, savedTermios));
            savedTermios = null;
        }
    }
    // end::raw[]

    // tag::relay[]
    /** Copies the container's output to stdout and, with -i, stdin to the container. */
    void relay(boolean input) {
        output = copier("pty-output", master, 1);
        output.start();
        if (input) {
            copier("pty-input", 0, master).start();
        }
    }

    /** Waits until the container's side has closed and all its output has been written. */
    void awaitOutput() throws InterruptedException {
        if (output != null) {
            output.join(5000);
        }
    }

    private static Thread copier(String name, int from, int to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            while (true) {
                // EIO from the master once every slave descriptor is closed: the container is gone.
                long n = C.read(from, buf, buf.length);
                if (n == -1 && Syscalls.errno() == Errors.EINTR) {
                    continue;
                }
                if (n <= 0) {
                    return;
                }
                try {
                    Syscalls.writeFully(to, buf, (int) n);
                } catch (SyscallException e) {
                    return;
                }
            }
        }, name);
        t.setDaemon(true);
        return t;
    }
    // end::relay[]

    // tag::controlling[]
    /**
     * The container's side: a new session whose controlling terminal is the slave, which also
     * becomes stdin, stdout and stderr. setsid first: only a session leader without a terminal
     * may acquire one (TIOCSCTTY in tty_ioctl(4)).
     */
    static void becomeControlling(Plan plan, int slave) {
        plan.setsid();
        plan.ioctl(slave, "TIOCSCTTY", TIOCSCTTY, 0);
        for (int fd = 0; fd <= 2; fd++) {
            plan.dup3(slave, fd);
        }
        plan.close(slave);
    }
    // end::controlling[]

    private static int indexOfNul(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return bytes.length;
    }
}
