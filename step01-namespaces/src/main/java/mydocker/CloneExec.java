package mydocker;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.PageManager;
import com.kenai.jffi.Type;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * clone(2) a child into new namespaces and have it run the container's setup plan, whose last
 * step is execve(2) of the command. The book re-executes {@code /proc/self/exe init} for this;
 * runc runs C code (nsexec) before Go starts. Here the parent prepares the setup as a list of
 * system calls ({@link Plan}) and calls a small C routine (src/main/c/child.c) that clones and,
 * in the child, runs that list: the child runs no Java, and no second JVM starts.
 */
final class CloneExec {

    /** How often the parent looks at a child that has not finished its plan. */
    static final int WATCH_MS = 100;
    /** A child that has not exec'd this long after its go-ahead is killed and reported. */
    static final int DEADLINE_MS = 30_000;

    private static final LibC C = LibC.INSTANCE;
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));

    // <sys/prctl.h>, <poll.h>
    private static final long PR_SET_PDEATHSIG = 1;
    private static final short POLLIN = 1;

    // tag::entry[]
    // long mydocker_clone_run(struct plan *), called through jffi, jnr-ffi's lower layer.
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final CallContext ONE_POINTER = CallContext.getCallContext(Type.SINT64,
            new Type[] {Type.POINTER}, CallingConvention.DEFAULT, false);
    /** child.c's routine: loaded by the first start, so that an unknown architecture is a message. */
    private static long cloneRun;
    // end::entry[]

    private final long flags;
    private final IntConsumer beforeGoAhead;
    private final Plan plan = new Plan();
    private final int[] status;
    private final int[] go;
    private boolean goPending;

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
        if (cloneRun == 0) cloneRun = loadChildCode();
        busyParent();
        CloneExec child = new CloneExec(flags, beforeGoAhead);
        child.prelude();
        setUp.accept(child.plan);
        long plan = child.plan.seal(flags, child.status[1], Trace.on());
        return child.cloneAndRun(plan);
    }

    // tag::prelude[]
    /** The child's first steps, before the container's: wait for the parent, and die with it. */
    private void prelude() {
        if (System.getenv("MYDOCKER_FAULT_HANG_CHILD") != null) {
            // Fault injection for the deadline: FUTEX_WAIT on a word that stays 0 never returns.
            plan.futexWait(plan.struct(4), "<fault injection>");
        }
        // The child's copies of the parent's ends: the status pipe's read end must have only
        // the parent as holder, or POLLERR below could not tell that the parent is gone.
        plan.close(status[0]);
        plan.close(go[1]);
        plan.read(go[0], plan.struct(1), 1, "<go-ahead>").expect(1);
        plan.close(go[0]);
        // tag::pdeathsig[]
        // Ask for SIGKILL when the parent dies, so that a killed mydocker run takes its
        // container along: killing PID 1 of a PID namespace kills all of it. The setting
        // survives execve and fires when the parent's cloning thread exits: the main thread,
        // which waits for the container to the end. A parent that died before this sent
        // nothing, so check that it still holds the status pipe's read end: ppoll with no
        // events asked reports POLLERR (1) when no reader is left, 0 while there is one.
        plan.prctl("PR_SET_PDEATHSIG, SIGKILL", PR_SET_PDEATHSIG, Signals.SIGKILL);
        long pollfd = plan.struct(24); // struct pollfd {fd, events 0}, then a zero struct timespec
        Pointer.wrap(Syscalls.RUNTIME, pollfd).putInt(0, status[1]);
        plan.ppoll(pollfd, "{" + status[1] + "}, 1, {0, 0}").expect(0);
        plan.keep(status[1]); // each step's record goes there
        // end::pdeathsig[]
    }
    // end::prelude[]

    // tag::clone[]
    /** Returns the child's pid once it has exec'd; throws the failure of its setup. */
    private int cloneAndRun(long planAddress) {
        // Only the parent returns: with the pid, or minus clone's errno.
        long pid = INVOKER.invokeN1(ONE_POINTER, cloneRun, planAddress);
        int cloneErrno = pid < 0 ? (int) -pid : 0;
        pid = pid < 0 ? -1 : pid;
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
     * file (it exec'd) or a failed step. A child that has not exec'd {@link #DEADLINE_MS} after
     * its go-ahead is killed and reported: no step of a setup takes that long.
     */
    private int watch(int pid) {
        long goAt = System.nanoTime() + faultCount("MYDOCKER_FAULT_SLOW_GO_AHEAD") * 1_000_000L;
        long deadline = Long.MAX_VALUE;
        byte[] record = new byte[Plan.RECORD_BYTES];
        int last = -1;
        while (true) {
            if (goPending && System.nanoTime() >= goAt) {
                goAhead(pid);
                deadline = System.nanoTime() + deadlineMs() * 1_000_000L;
            }
            if (!readable(status[0], WATCH_MS)) {
                if (System.nanoTime() > deadline) {
                    Syscalls.kill(pid, Signals.SIGKILL);
                    Syscalls.waitpid(pid);
                    throw new MydockerException("the cloned child " + pid + " had not finished its setup " + deadlineMs()
                            + " ms after its go-ahead; killed it (--trace shows the steps it ran)");
                }
                continue;
            }
            if (!Syscalls.readFully(status[0], record)) {
                Trace.child(plan.describe(last + 1).call(), 0, 0, " (exec-status pipe closed)");
                return pid;
            }
            last = reportStep(pid, record);
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
        if (plan.fails(index, result, errno)) {
            Syscalls.waitpid(pid);
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

    /** The deadline, or the one that fault injection sets: MYDOCKER_FAULT_HANG_CHILD=MS. */
    private static long deadlineMs() {
        String ms = System.getenv("MYDOCKER_FAULT_HANG_CHILD");
        return ms == null ? DEADLINE_MS : Long.parseLong(ms);
    }

    // tag::load[]
    /**
     * Copies child.c's machine code for this architecture into a page of its own, then makes
     * that page executable and no longer writable. Returns the routine's address.
     */
    private static long loadChildCode() {
        String hex = ARM64 ? ChildCode.AARCH64
                : "amd64".equals(System.getProperty("os.arch")) ? ChildCode.X86_64 : null;
        if (hex == null) {
            throw new MydockerException("no machine code for the cloned child on " + System.getProperty("os.arch")
                    + "; mydocker runs on x86-64 and arm64 (src/main/c/child.c, scripts/child-code.sh)");
        }
        byte[] code = new byte[hex.length() / 2];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        PageManager pages = PageManager.getInstance();
        long page = pages.allocatePages(1, PageManager.PROT_READ | PageManager.PROT_WRITE);
        if (page == 0 || code.length > pages.pageSize()) {
            throw new MydockerException("mmap of a page for the cloned child's code failed");
        }
        MemoryIO.getInstance().putByteArray(page, code, 0, code.length);
        pages.protectPages(page, 1, PageManager.PROT_READ | PageManager.PROT_EXEC);
        return page;
    }
    // end::load[]

    /**
     * Fault injection for the tests and bench/clone-hang.sh: MYDOCKER_FAULT_BUSY_PARENT=1 keeps
     * a thread allocating in the parent while it clones, so that collections, safepoints and
     * compilations are under way at the moment of clone. The child must not notice.
     */
    private static void busyParent() {
        if (System.getenv("MYDOCKER_FAULT_BUSY_PARENT") == null) {
            return;
        }
        Thread busy = new Thread(CloneExec::allocateForever, "busy-parent");
        busy.setDaemon(true);
        busy.start();
    }

    private static volatile Object sink;

    private static void allocateForever() {
        for (long i = 0; ; i++) {
            sink = new long[(int) (i % 4096)];
        }
    }

    /** Fault injection for the tests: MYDOCKER_FAULT_SLOW_GO_AHEAD=MS. */
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
            return rc > 0; // not traced: it is the deadline's tick, not a step of the container's

        }
    }
}
