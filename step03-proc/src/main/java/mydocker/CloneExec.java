package mydocker;

import java.util.List;
import java.util.function.IntConsumer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * clone(2) a child into new namespaces and have it execve(2) a program at once: the book's
 * {@code exec.Command("/proc/self/exe", "init")} with {@code Cloneflags}, done by hand because
 * a JVM can neither unshare its many threads nor pass clone flags to ProcessBuilder.
 *
 * <p>The child is a copy of this JVM with a single thread and no VM threads. Java code that
 * needs a safepoint, loads a class, allocates or throws can hang it for good (DESIGN.md §3),
 * so everything it touches is prepared here first, and it runs a few raw system calls: it
 * waits for the parent's go-ahead, then execve, and on failure write and exit_group.
 */
final class CloneExec {

    /** How long the child may take from clone to execve before it is presumed stuck. */
    static final int EXEC_TIMEOUT_MS = 3000;

    private static final LibC C = LibC.INSTANCE;

    // <asm/unistd.h>: through syscall(2), so that the child calls one binding only, the one
    // the clone call itself has just linked.
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_READ = ARM64 ? 63 : 0;
    private static final long SYS_CLOSE = ARM64 ? 57 : 3;
    private static final long SYS_WRITE = ARM64 ? 64 : 1;
    private static final long SYS_CLONE = ARM64 ? 220 : 56;
    private static final long SYS_EXECVE = ARM64 ? 221 : 59;
    private static final long SYS_SETGROUPS = ARM64 ? 159 : 116;
    private static final long SYS_SETRESUID = ARM64 ? 147 : 117;
    private static final long SYS_SETRESGID = ARM64 ? 149 : 119;
    private static final long SYS_EXIT_GROUP = ARM64 ? 94 : 231;
    private static final long SYS_PRCTL = ARM64 ? 167 : 157;
    private static final long SYS_PPOLL = ARM64 ? 73 : 271;

    // <sys/prctl.h>
    private static final long PR_SET_PDEATHSIG = 1;

    // <poll.h>
    private static final short POLLIN = 1;

    private final long flags;
    private final IntConsumer beforeExec;
    private final String path;
    private final List<String> argv;
    // Native copies of path, argv and envp, made before clone and held until the child has exec'd.
    private final CStrings strings = new CStrings();
    private final Pointer nativePath;
    private final Pointer nativeArgv;
    private final Pointer nativeEnvp;

    private CloneExec(long flags, String path, List<String> argv, List<String> envp, IntConsumer beforeExec) {
        this.flags = flags;
        this.beforeExec = beforeExec;
        this.path = path;
        this.argv = argv;
        this.nativePath = strings.string(path);
        this.nativeArgv = strings.array(argv);
        this.nativeEnvp = strings.array(envp);
    }

    /**
     * Starts {@code path argv} with environment {@code envp} in a child cloned with
     * {@code flags}, and returns its pid once it has exec'd. {@code beforeExec} runs in the
     * parent while the child waits to exec. A child that does not exec within
     * {@link #EXEC_TIMEOUT_MS} is killed and tried once more.
     */
    static int start(long flags, String path, List<String> argv, List<String> envp, IntConsumer beforeExec) {
        CloneExec child = new CloneExec(flags, path, argv, envp, beforeExec);
        int stalls = stallsRequested();
        for (int attempt = 1; ; attempt++) {
            int pid = child.cloneAndExec(attempt <= stalls);
            if (pid > 0) {
                return pid;
            }
            if (attempt == 2) {
                throw new MydockerException("the cloned child did not reach execve within "
                        + EXEC_TIMEOUT_MS + " ms, twice; the parent JVM was probably not quiet"
                        + " at clone time (see DESIGN.md section 3)");
            }
            System.err.println("mydocker: warning: cloned child " + -pid + " did not reach execve within "
                    + EXEC_TIMEOUT_MS + " ms; killed it, retrying");
        }
    }

    // tag::clone[]
    /** Returns the child's pid once it has exec'd, or minus its pid if it was stuck and killed. */
    private int cloneAndExec(boolean stall) {
        // The exec-status pipe: close-on-exec, so a successful execve closes the child's
        // write end and the parent reads end-of-file; a failed one leaves an errno in it.
        int[] status = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        int statusRead = status[0];
        int statusWrite = status[1];
        // The go-ahead pipe: the child waits on it until the parent has written its id maps.
        int[] go = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        int goRead = go[0];
        int goWrite = go[1];
        // errno lives in thread-local storage, which the child's copy of this thread keeps
        // at the same address: it can be written to the pipe without calling into Java.
        long errnoAddress = C.__errno_location();
        long execPath = nativePath.address();
        long execArgv = nativeArgv.address();
        long execEnvp = nativeEnvp.address();
        // A struct pollfd for the status pipe's write end, asking for no event (POLLERR, "no
        // reader left", is reported regardless), and a zero struct timespec after it.
        Pointer pollfd = Memory.allocateDirect(Syscalls.RUNTIME, 24, true);
        pollfd.putInt(0, statusWrite);
        long parentCheck = pollfd.address();

        long pid = C.syscall(SYS_CLONE, flags, 0, 0, 0, 0);
        if (pid == 0) {
            // The child. No allocation, no class loading, no printing until execve.
            if (stall) {
                C.syscall(SYS_READ, statusRead, errnoAddress, 4, 0, 0); // fault injection: never returns
            }
            // execve recomputes capabilities: only a process that is uid 0 in its user namespace
            // keeps them (user_namespaces(7)). So wait for the id maps that make it uid 0.
            // errno's bytes serve as the read buffer: nothing may be allocated here.
            C.syscall(SYS_CLOSE, goWrite, 0, 0, 0, 0);
            if (C.syscall(SYS_READ, goRead, errnoAddress, 1, 0, 0) != 1) {
                C.syscall(SYS_EXIT_GROUP, ExitStatus.RUNTIME_ERROR, 0, 0, 0, 0); // the parent is gone
            }
            // Become uid and gid 0 of the namespace: the maps may give container root another
            // host id than ours (root with --uidmap), and only uid 0 keeps capabilities.
            // setgroups drops host groups the maps do not cover; it fails, harmlessly, if denied.
            C.syscall(SYS_SETGROUPS, 0, 0, 0, 0, 0);
            if (C.syscall(SYS_SETRESGID, 0, 0, 0, 0, 0) == 0 && C.syscall(SYS_SETRESUID, 0, 0, 0, 0, 0) == 0) {
                // After setres*id: a change of uid clears the parent-death signal.
                // tag::pdeathsig[]
                // Ask for SIGKILL when the parent dies (PR_SET_PDEATHSIG), so that a killed mydocker run
                // takes its container along: killing PID 1 of a PID namespace kills all of it. The
                // setting survives execve (the uid stays the same); it fires when the parent's cloning
                // thread exits, here the main thread, which waits for the container to the end.
                // A parent that died before prctl sends nothing, so then check that it still holds
                // the exec-status pipe's read end, which it keeps until the exec: POLLERR means no
                // reader is left (the child's own copy is closed first). Inline: a call to a method
                // not yet linked would be linked here, in the child.
                C.syscall(SYS_CLOSE, statusRead, 0, 0, 0, 0);
                C.syscall(SYS_PRCTL, PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0);
                boolean parentAlive = C.syscall(SYS_PPOLL, parentCheck, 1, parentCheck + 8, 0, 0) == 0;
                // end::pdeathsig[]
                if (parentAlive) {
                    C.syscall(SYS_EXECVE, execPath, execArgv, execEnvp, 0, 0);
                }
            }
            C.syscall(SYS_WRITE, statusWrite, errnoAddress, 4, 0, 0);
            C.syscall(SYS_EXIT_GROUP, 127, 0, 0, 0, 0);
        }
        int cloneErrno = pid == -1 ? Syscalls.errno() : 0;
        Syscalls.close(statusWrite);
        Syscalls.close(goRead);
        Trace.call("clone(" + Namespaces.NAMES.format(flags) + ")", pid, cloneErrno);
        if (pid == -1) {
            Syscalls.close(statusRead);
            Syscalls.close(goWrite);
            throw new SyscallException("clone(" + Namespaces.NAMES.format(flags) + ")", cloneErrno);
        }
        try {
            letExec((int) pid, goWrite);
            return awaitExec((int) pid, statusRead);
        } finally {
            Syscalls.close(statusRead);
        }
    }
    // end::clone[]

    // tag::keep-pdeathsig[]
    /**
     * Init, just before it execs the command: the parent-death signal asked for in the child
     * belongs to that first thread only. Init's JVM execs from its main thread, another one,
     * and execve keeps the exec'ing thread's setting, none. The first thread's covers the
     * process until the execve ends it, so asking again here leaves no gap.
     */
    static void keepParentDeathSignal() {
        Syscalls.check("prctl(PR_SET_PDEATHSIG, SIGKILL)",
                C.syscall(SYS_PRCTL, PR_SET_PDEATHSIG, Signals.SIGKILL, 0, 0, 0));
    }
    // end::keep-pdeathsig[]

    // tag::go-ahead[]
    /** Runs beforeExec for the waiting child, then lets it exec; kills it if beforeExec fails. */
    private void letExec(int pid, int goWrite) {
        try {
            beforeExec.accept(pid);
            Syscalls.writeFully(goWrite, new byte[] {1}, 1);
            Trace.print("  child " + pid + ": go-ahead written, it may exec now");
        } catch (RuntimeException e) {
            Syscalls.kill(pid, Signals.SIGKILL);
            Syscalls.waitpid(pid);
            throw e;
        } finally {
            Syscalls.close(goWrite);
        }
    }
    // end::go-ahead[]

    // tag::exec-status[]
    /** Reads the exec-status pipe: end-of-file means exec'd, four bytes are the child's errno. */
    private int awaitExec(int pid, int statusRead) {
        if (!readable(statusRead, EXEC_TIMEOUT_MS)) {
            // Stuck between clone and execve: a lock or safepoint held by a thread that does
            // not exist in the child. It will never move on its own.
            Syscalls.kill(pid, Signals.SIGKILL);
            Syscalls.waitpid(pid);
            return -pid;
        }
        byte[] errno = new byte[4];
        int n = Syscalls.read(statusRead, errno);
        String call = "execve(" + Trace.quote(path) + ", " + Trace.quote(argv) + ")";
        if (n == 0) {
            if (Trace.on()) {
                Trace.print("  child " + pid + ": " + call + " = 0 (exec-status pipe closed)");
            }
            return pid;
        }
        Syscalls.waitpid(pid);
        int code = (errno[0] & 0xff) | (errno[1] & 0xff) << 8 | (errno[2] & 0xff) << 16 | (errno[3] & 0xff) << 24;
        throw new SyscallException(call, code);
    }
    // end::exec-status[]

    /** Fault injection for the watchdog's test: the first N children stall instead of exec'ing. */
    private static int stallsRequested() {
        String n = System.getenv("MYDOCKER_FAULT_STALL_CHILD");
        return n == null ? 0 : Integer.parseInt(n);
    }

    private static boolean readable(int fd, int timeoutMs) {
        Pointer pollfd = Memory.allocateDirect(Syscalls.RUNTIME, 8, true);
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLIN);
        while (true) {
            int rc = C.poll(pollfd, 1, timeoutMs);
            if (rc == -1 && Syscalls.errno() == Errors.EINTR) {
                continue;
            }
            Syscalls.check("poll(" + fd + ", POLLIN, " + timeoutMs + ")", rc);
            return rc > 0;
        }
    }
}
