package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * clone(2) a child into new namespaces and have it run the container's setup plan, whose last
 * step is execve(2) of the command. The book re-executes {@code /proc/self/exe init} for this;
 * runc runs C code (nsexec) before Go starts. Here the child is a copy of this JVM that runs
 * one loop over a list of system calls prepared before clone ({@link Plan}), so no second JVM
 * starts.
 */
final class CloneExec {

    /** How often the parent looks at a child that has not finished its plan. */
    static final int WATCH_MS = 100;
    /** A hung child is killed and cloned again, at most this many times in all. */
    static final int ATTEMPTS = 3;

    private static final LibC C = LibC.INSTANCE;

    // <asm/unistd.h>: through syscall(2), the one binding the child calls.
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_CLONE = ARM64 ? 220 : 56;
    private static final long SYS_FUTEX = ARM64 ? 98 : 202;

    // <sys/prctl.h>, <poll.h>
    private static final long PR_SET_PDEATHSIG = 1;
    private static final short POLLIN = 1;

    private static boolean rehearsed;

    private final long flags;
    private final IntConsumer beforeGoAhead;
    private final Plan plan = new Plan();
    private final int[] status;
    private final int[] go;
    private boolean goPending;
    private long hangWord;
    /** The process the plan forked (exec's), once its caller reported it; 0 before. */
    private int forked;

    private CloneExec(long flags, IntConsumer beforeGoAhead) {
        this.flags = flags;
        this.beforeGoAhead = beforeGoAhead;
        // The exec-status pipe: close-on-exec, so a successful execve closes the child's write
        // end and the parent reads end-of-file after the child's records of its steps.
        this.status = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        // The go-ahead pipe: the child waits on it until the parent is ready for it.
        this.go = Syscalls.pipe2(Syscalls.O_CLOEXEC);
    }

    /**
     * Clones a child with {@code flags} and has it run the plan that {@code setUp} builds, after
     * the steps this class puts first. {@code beforeGoAhead} runs in the parent with the
     * child's pid while the child waits. Returns the pid once the child has exec'd; throws
     * the explained failure of the step that failed.
     */
    static int start(long flags, Consumer<Plan> setUp, IntConsumer beforeGoAhead) {
        return start(flags, plan -> {}, setUp, beforeGoAhead);
    }

    /**
     * The same, with {@code join}'s steps in the prelude before the child takes uid and gid 0:
     * exec's child joins the container's user namespace there, in which those ids exist. If
     * the plan forks, the pid returned is the forked process's.
     */
    static int start(long flags, Consumer<Plan> join, Consumer<Plan> setUp, IntConsumer beforeGoAhead) {
        rehearse();
        int hangs = faultCount("MYDOCKER_FAULT_HANG_CHILD");
        for (int attempt = 1; ; attempt++) {
            // Each attempt its own pipes and its own plan, which names their descriptors.
            CloneExec child = new CloneExec(flags, beforeGoAhead);
            child.prelude(join);
            setUp.accept(child.plan);
            child.plan.seal(child.status[1], C.__errno_location(), Trace.on());
            child.hang(attempt <= hangs);
            int pid = child.cloneAndRun();
            if (pid > 0) {
                return pid;
            }
            if (attempt == ATTEMPTS) {
                throw new MydockerException("the cloned child hung before its first step, " + ATTEMPTS
                        + " times; the JVM was not quiet at clone time (another thread was allocating)");
            }
            System.err.println("mydocker: warning: cloned child " + -pid + " hung in a futex before its"
                    + " first step; killed it, cloning again");
        }
    }

    // tag::prelude[]
    /** The child's first steps, before the container's: wait for the parent, and die with it. */
    private void prelude(Consumer<Plan> join) {
        plan.statusFd(status[1]);
        plan.keep(status[1]); // each step's record goes there
        if (faultCount("MYDOCKER_FAULT_HANG_CHILD") > 0) {
            // Fault injection for the watchdog: FUTEX_WAIT blocks while the word is 0, as a
            // child caught by a safepoint at clone does; hang(false) sets it to 1 (EAGAIN).
            hangWord = plan.struct(4);
            plan.futexWait(hangWord, "<fault injection>").tolerate(Errors.EAGAIN);
        }
        // The child's copies of the parent's ends: the status pipe's read end must have only
        // the parent as holder, or POLLERR below could not tell that the parent is gone.
        plan.close(status[0]);
        plan.close(go[1]);
        plan.read(go[0], plan.struct(1), 1, "<go-ahead>").expect(1); // the id maps are written
        plan.close(go[0]);
        join.accept(plan);
        // execve recomputes capabilities: only a process that is uid 0 in its user namespace
        // keeps them (user_namespaces(7)). The maps may give container root another host id
        // than ours (root with --uidmap), so become uid and gid 0 of the namespace. setgroups
        // drops host groups the maps do not cover; it fails, harmlessly, where it is denied.
        plan.setgroups().tolerate(Errors.EPERM);
        plan.setresgid(0);
        plan.setresuid(0);          // before prctl: a change of uid clears the parent-death signal
        // tag::pdeathsig[]
        // Ask for SIGKILL when the parent dies, so that a killed mydocker run takes its
        // container along: killing PID 1 of a PID namespace kills all of it. The setting
        // survives execve and fires when the parent's cloning thread exits: the main thread,
        // which waits for the container to the end. A parent that died before this sent
        // nothing, so check that it still holds the status pipe's read end: ppoll with no
        // events asked reports POLLERR (1) when no reader is left, 0 while there is one.
        dieWithParent(plan);
        // end::pdeathsig[]
    }
    // end::prelude[]

    /** PR_SET_PDEATHSIG, then the check that the parent still holds the status pipe's read end. */
    static void dieWithParent(Plan plan) {
        plan.prctl("PR_SET_PDEATHSIG, SIGKILL", PR_SET_PDEATHSIG, Signals.SIGKILL);
        long pollfd = plan.struct(24); // struct pollfd {fd, events 0}, then a zero struct timespec
        Pointer.wrap(Syscalls.RUNTIME, pollfd).putInt(0, plan.statusFd());
        plan.ppoll(pollfd, "{" + plan.statusFd() + "}, 1, {0, 0}").expect(0);
    }

    // tag::clone[]
    /** Returns the child's pid once it has exec'd, or minus its pid if it hung and was killed. */
    private int cloneAndRun() {
        long pid = Plan.syscall(SYS_CLONE, flags, 0, 0, 0, 0);
        if (pid == 0) {
            // The child: nothing but the plan, then exit if a step failed.
            plan.runInChild();
            Plan.syscall(Plan.SYS_EXIT_GROUP, ExitStatus.RUNTIME_ERROR, 0, 0, 0, 0);
        }
        int cloneErrno = pid == -1 ? Plan.errno() : 0;
        Syscalls.close(status[1]);
        Syscalls.close(go[0]);
        goPending = true;
        Trace.call("clone(" + Namespaces.NAMES.format(flags) + ")", pid, cloneErrno);
        if (pid == -1) {
            Syscalls.close(status[0]);
            closeGoAhead();
            throw new SyscallException("clone(" + Namespaces.NAMES.format(flags) + ")", cloneErrno);
        }
        try {
            beforeGoAhead.accept((int) pid);
            return watch((int) pid);
        } catch (RuntimeException e) {
            if (goPending) {
                Syscalls.kill((int) pid, Signals.SIGKILL); // it waits still; it must not go on alone
                Syscalls.waitpid((int) pid);
            }
            throw e;
        } finally {
            Syscalls.close(status[0]);
            closeGoAhead();
        }
    }
    // end::clone[]

    // tag::watch[]
    /**
     * Gives the child its go-ahead and reads the record of each step it runs, until end of
     * file (it exec'd) or a failed step. A child caught by a safepoint at clone blocks in a
     * futex before its first step and never moves again; one that is runnable, or waits in
     * read for its go-ahead, is only slow, and is left alone however long it takes.
     */
    private int watch(int pid) {
        long goAt = System.nanoTime() + faultCount("MYDOCKER_FAULT_SLOW_GO_AHEAD") * 1_000_000L;
        byte[] record = new byte[Plan.RECORD_BYTES];
        int last = -1;
        while (true) {
            if (goPending && System.nanoTime() >= goAt) {
                goAhead(pid);
            }
            if (!readable(status[0], WATCH_MS)) {
                if (inFutex(pid)) {
                    Syscalls.kill(pid, Signals.SIGKILL);
                    Syscalls.waitpid(pid);
                    return -pid;
                }
                continue;
            }
            if (!Syscalls.readFully(status[0], record)) {
                Trace.child(plan.describe(last + 1).call(), 0, 0, " (exec-status pipe closed)");
                return forked > 0 ? forked : pid;
            }
            last = Math.max(last, reportStep(pid, record)); // a fork's two processes write in either order
        }
    }
    // end::watch[]

    /** Prints a step's record under --trace; throws the explained failure if the step failed. */
    private int reportStep(int pid, byte[] record) {
        int index = intAt(record, 0);
        int errno = intAt(record, 4);
        long result = intAt(record, 8) & 0xffffffffL | (long) intAt(record, 12) << 32;
        Plan.Step step = plan.describe(index);
        Trace.child(step.call(), result, errno, "");
        if (index == plan.forkStep() && result > 0) {
            Syscalls.waitpid(pid); // the fork's caller, which exits once it has written this
            forked = (int) result;
            return index;
        }
        if (plan.fails(index, result, errno)) {
            Syscalls.waitpid(forked > 0 ? forked : pid);
            if (result != -1) {
                throw new MydockerException(step.call() + " returned " + result + " in the cloned child;"
                        + " the parent's side of the setup went away");
            }
            throw step.explain().apply(new SyscallException(step.call(), errno));
        }
        return index;
    }

    private void goAhead(int pid) {
        Syscalls.writeFully(go[1], new byte[] {1}, 1);
        Trace.print("  child " + pid + ": go-ahead written");
        closeGoAhead();
    }

    private void closeGoAhead() {
        if (goPending) {
            Syscalls.close(go[1]);
            goPending = false;
        }
    }

    /** The first field of /proc/PID/syscall is the number of the call it is blocked in. */
    private static boolean inFutex(int pid) {
        try {
            String line = Files.readString(Path.of("/proc/" + pid + "/syscall"));
            return line.startsWith(SYS_FUTEX + " ");
        } catch (IOException e) {
            return false; // gone, or not ours to read: not known to be hung
        }
    }

    private void hang(boolean hang) {
        if (hangWord != 0) {
            Pointer.wrap(Syscalls.RUNTIME, hangWord).putInt(0, hang ? 0 : 1);
        }
    }

    // tag::rehearse[]
    /**
     * A dry run of the child's loop, in the parent: a harmless plan whose steps succeed, fail
     * with a tolerated errno, use an earlier result, and fail. Afterwards every method and
     * class the child touches is loaded and linked, so the child never asks the VM for it.
     */
    private static void rehearse() {
        if (rehearsed) {
            return;
        }
        int[] sink = new int[2];
        Syscalls.check("pipe2(O_CLOEXEC) (for the rehearsal)", C.pipe2(sink, Syscalls.O_CLOEXEC));
        Plan dry = new Plan();
        int pid = dry.step("getpid()", Plan.SYS_GETPID);
        dry.close(-1).tolerate(Errors.EBADF);
        dry.step("getpid()", Plan.SYS_GETPID);
        dry.resultOf(pid, 0);
        dry.close(-1);
        dry.seal(sink[1], C.__errno_location(), true);
        // Once: a method run often enough here would be compiled, and a compilation under way
        // at clone holds locks the child could need (measured: 4 hung children in 60 after 50 runs).
        dry.runInChild();
        Syscalls.readFully(sink[0], new byte[4 * Plan.RECORD_BYTES]);
        C.close(sink[0]);
        C.close(sink[1]);
        rehearsed = true;
    }
    // end::rehearse[]

    /** Fault injection for the tests: MYDOCKER_FAULT_HANG_CHILD=N, MYDOCKER_FAULT_SLOW_GO_AHEAD=MS. */
    private static int faultCount(String name) {
        String n = System.getenv(name);
        return n == null ? 0 : Integer.parseInt(n);
    }

    private static int intAt(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
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
            if (rc == -1) {
                throw new SyscallException("poll(" + fd + ", POLLIN, " + timeoutMs + ")", Syscalls.errno());
            }
            return rc > 0; // not traced: it is the watchdog's tick, not a step of the container's

        }
    }
}
