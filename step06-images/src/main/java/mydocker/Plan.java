package mydocker;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The container's setup as a list of system calls. The parent builds it before clone, one
 * builder call per system call and in the order the kernel needs; the cloned child runs it
 * with the C routine of child.c and nothing else, until its last step, execve, replaces it.
 *
 * <p>A step is a syscall number and up to five arguments. An argument is a constant (a number,
 * or the address of native memory filled here) or the result of an earlier step (a descriptor
 * that openat returned). A step may tolerate named errnos; any other failure ends the child,
 * and the parent, which reads a record of every step from the exec-status pipe, turns it into
 * the message: the step's call with its operands, the errno, and a hint.
 */
final class Plan {

    static final int ARGS = 6;
    /** The record the child writes after each step: the step's index, its errno, its result. */
    static final int RECORD_BYTES = 16;

    // syscall(2) of the C library, called through jffi (jnr-ffi's lower layer) with six longs, for
    // the parent's own calls that jnr-posix lacks. The child never calls it: its calls are the
    // raw system call instructions in child.c.
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final long SYSCALL = Library.getDefault().getSymbolAddress("syscall");
    private static final CallContext SIX_LONGS = CallContext.getCallContext(Type.SINT64,
            new Type[] {Type.SINT64, Type.SINT64, Type.SINT64, Type.SINT64, Type.SINT64, Type.SINT64},
            CallingConvention.DEFAULT, false);
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final long CONSTANT = -1;
    // tag::layout[]
    // struct plan and struct step of child.c, in 64-bit words: the header, then the steps.
    private static final int HEADER_WORDS = 8;
    private static final int STEP_WORDS = 1 + ARGS + ARGS + 3 + 1 + 1;
    // end::layout[]
    private static final long NO_EXPECTATION = Long.MIN_VALUE;
    private static final int TOLERATED = 3;

    // <asm/unistd.h>: the numbers differ between x86_64 and arm64.
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    static final long SYS_READ = ARM64 ? 63 : 0;
    static final long SYS_WRITE = ARM64 ? 64 : 1;
    static final long SYS_CLOSE = ARM64 ? 57 : 3;
    static final long SYS_GETPID = ARM64 ? 172 : 39;
    static final long SYS_EXIT_GROUP = ARM64 ? 94 : 231;
    private static final long SYS_IOCTL = ARM64 ? 29 : 16;
    private static final long SYS_DUP3 = ARM64 ? 24 : 292;
    private static final long SYS_SETSID = ARM64 ? 157 : 112;
    private static final long SYS_SETHOSTNAME = ARM64 ? 161 : 170;
    private static final long SYS_MOUNT = ARM64 ? 40 : 165;
    private static final long SYS_UMOUNT2 = ARM64 ? 39 : 166;
    private static final long SYS_PIVOT_ROOT = ARM64 ? 41 : 155;
    private static final long SYS_CHDIR = ARM64 ? 49 : 80;
    private static final long SYS_FCHDIR = ARM64 ? 50 : 81;
    private static final long SYS_MKDIRAT = ARM64 ? 34 : 258;
    private static final long SYS_MKNODAT = ARM64 ? 33 : 259;
    private static final long SYS_SYMLINKAT = ARM64 ? 36 : 266;
    private static final long SYS_OPENAT2 = 437; // the same on every architecture
    private static final long SYS_OPEN_TREE = 428;
    private static final long SYS_MOVE_MOUNT = 429;
    private static final long SYS_MOUNT_SETATTR = 442;
    // <fcntl.h>
    private static final long AT_FDCWD = -100;
    private static final long SYS_SETGROUPS = ARM64 ? 159 : 116;
    private static final long SYS_SETRESUID = ARM64 ? 147 : 117;
    private static final long SYS_SETRESGID = ARM64 ? 149 : 119;
    private static final long SYS_PRCTL = ARM64 ? 167 : 157;
    private static final long SYS_PPOLL = ARM64 ? 73 : 271;
    private static final long SYS_FUTEX = ARM64 ? 98 : 202;
    private static final long SYS_RT_SIGACTION = ARM64 ? 134 : 13;
    private static final long SYS_RT_SIGPROCMASK = ARM64 ? 135 : 14;
    private static final long SYS_EXECVE = ARM64 ? 221 : 59;
    private static final long SYS_CLOSE_RANGE = 436; // the same on every architecture

    /** One step, as the parent knows it: what to print, and how to explain its failure. */
    record Step(String call, Function<SyscallException, RuntimeException> explain) {}

    private final List<Step> steps = new ArrayList<>();
    private final List<long[]> argLists = new ArrayList<>();
    private final List<long[]> fromLists = new ArrayList<>();
    private final List<int[]> toleratedLists = new ArrayList<>();
    private final List<Long> expectations = new ArrayList<>();
    private final List<Long> numbers = new ArrayList<>();
    /** Descriptors the steps use, which closing the inherited ones must spare. */
    private final java.util.Set<Integer> kept = new java.util.TreeSet<>();
    /** Native memory the steps point into: held until the plan is dropped, after the exec. */
    final CStrings memory = new CStrings();

    private int statusFd = -1;
    /** syscall(2) of the C library, for the parent's calls that jnr-posix has no method for. */
    static long syscall(long number, long a1, long a2, long a3, long a4, long a5) {
        return INVOKER.invokeN6(SIX_LONGS, SYSCALL, number, a1, a2, a3, a4, a5);
    }

    /** The errno of this thread's last failed call through {@link #syscall}. */
    static int errno() {
        return IO.getInt(LibC.INSTANCE.__errno_location());
    }

    // tag::step[]
    /** Adds a step: {@code call} is how --trace and error messages print it. Returns its index. */
    int step(String call, long number, long... arguments) {
        if (arguments.length > ARGS) {
            throw new IllegalArgumentException(call + ": more than " + ARGS + " arguments");
        }
        long[] a = new long[ARGS];
        long[] f = new long[ARGS];
        java.util.Arrays.fill(f, CONSTANT);
        System.arraycopy(arguments, 0, a, 0, arguments.length);
        steps.add(new Step(call, e -> e));
        argLists.add(a);
        fromLists.add(f);
        toleratedLists.add(new int[0]);
        expectations.add(NO_EXPECTATION);
        numbers.add(number);
        return steps.size() - 1;
    }

    /** Argument {@code position} (0-based) of the last step is the result of step {@code earlier}. */
    Plan resultOf(int earlier, int position) {
        int last = steps.size() - 1;
        if (earlier >= last) {
            throw new IllegalArgumentException("step " + last + " can only use the result of an earlier step");
        }
        fromLists.get(last)[position] = earlier;
        return this;
    }

    /** The last step may fail with these errnos, and the plan goes on (a file this kernel lacks). */
    Plan tolerate(int... errnos) {
        if (errnos.length > TOLERATED) {
            throw new IllegalArgumentException("at most " + TOLERATED + " tolerated errnos");
        }
        toleratedLists.set(steps.size() - 1, errnos.clone());
        return this;
    }

    /** The last step must return exactly {@code result}; another result ends the child (a read of 0 bytes). */
    Plan expect(long result) {
        expectations.set(steps.size() - 1, result);
        return this;
    }
    // end::step[]

    /** How the parent explains the last step's failure: context and hints of the concept that added it. */
    Plan explain(Function<SyscallException, RuntimeException> explain) {
        int last = steps.size() - 1;
        steps.set(last, new Step(steps.get(last).call(), explain));
        return this;
    }

    /** A NUL-terminated copy of {@code s}, for a step's argument. */
    long string(String s) {
        return memory.string(s).address();
    }

    /** A NULL-terminated array of C strings (argv, envp). */
    long strings(List<String> list) {
        return memory.array(list).address();
    }

    /** {@code bytes} of zeroed native memory, for a struct argument; filled by the caller. */
    long struct(int bytes) {
        return memory.block(bytes).address();
    }

    // The builder calls, one per system call, each printed as strace would print it.

    Plan close(int fd) {
        step("close(" + fd + ")", SYS_CLOSE, fd);
        return this;
    }

    Plan read(int fd, long buf, int count, String what) {
        step("read(" + fd + ", " + what + ", " + count + ")", SYS_READ, fd, buf, count);
        return this;
    }

    Plan dup3(int oldfd, int newfd) {
        step("dup3(" + oldfd + ", " + newfd + ", 0)", SYS_DUP3, oldfd, newfd, 0);
        return this;
    }

    Plan ioctl(int fd, String request, long number, long arg) {
        step("ioctl(" + fd + ", " + request + ", " + arg + ")", SYS_IOCTL, fd, number, arg);
        return this;
    }

    Plan setsid() {
        step("setsid()", SYS_SETSID);
        return this;
    }

    Plan sethostname(String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        step("sethostname(" + Trace.quote(name) + ")", SYS_SETHOSTNAME, string(name), bytes.length);
        return this;
    }

    /** setgroups(0, NULL): no supplementary groups. */
    Plan setgroups() {
        step("setgroups(0, [])", SYS_SETGROUPS, 0, 0);
        return this;
    }

    Plan setresgid(int gid) {
        step("setresgid(" + gid + ", " + gid + ", " + gid + ")", SYS_SETRESGID, gid, gid, gid);
        return this;
    }

    Plan setresuid(int uid) {
        step("setresuid(" + uid + ", " + uid + ", " + uid + ")", SYS_SETRESUID, uid, uid, uid);
        return this;
    }

    /** mount(2); a null source, type or data is NULL. */
    Plan mount(String source, String target, String fstype, long flags, String data) {
        step("mount(" + quoteOrNull(source) + ", " + Trace.quote(target) + ", " + quoteOrNull(fstype) + ", "
                + Syscalls.MOUNT_FLAGS.format(flags) + ", " + quoteOrNull(data) + ")",
                SYS_MOUNT, stringOrNull(source), string(target), stringOrNull(fstype), flags, stringOrNull(data));
        return this;
    }

    private long stringOrNull(String s) {
        return s == null ? 0 : string(s);
    }

    private static String quoteOrNull(String s) {
        return s == null ? "NULL" : Trace.quote(s);
    }

    Plan umount2(String target, String flags, long number) {
        step("umount2(" + Trace.quote(target) + ", " + flags + ")", SYS_UMOUNT2, string(target), number);
        return this;
    }

    Plan pivotRoot(String newRoot, String putOld) {
        step("pivot_root(" + Trace.quote(newRoot) + ", " + Trace.quote(putOld) + ")", SYS_PIVOT_ROOT,
                string(newRoot), string(putOld));
        return this;
    }

    Plan chdir(String path) {
        step("chdir(" + Trace.quote(path) + ")", SYS_CHDIR, string(path));
        return this;
    }

    /** fchdir to the descriptor that step {@code opened} returned. */
    Plan fchdir(int opened) {
        step("fchdir(<" + describe(opened).call() + ">)", SYS_FCHDIR, 0);
        resultOf(opened, 0);
        return this;
    }

    Plan mkdirat(String path, int mode) {
        step("mkdir(" + Trace.quote(path) + ", 0" + Integer.toOctalString(mode) + ")", SYS_MKDIRAT, AT_FDCWD,
                string(path), mode);
        return this;
    }

    /** mknodat with S_IFREG: an empty file, without opening it, as a bind mount's target. */
    Plan mknodFile(String path, int mode) {
        step("mknod(" + Trace.quote(path) + ", S_IFREG|0" + Integer.toOctalString(mode) + ")", SYS_MKNODAT, AT_FDCWD,
                string(path), 0100000 | mode, 0);
        return this;
    }

    Plan symlinkat(String target, String link) {
        step("symlink(" + Trace.quote(target) + ", " + Trace.quote(link) + ")", SYS_SYMLINKAT, string(target),
                AT_FDCWD, string(link));
        return this;
    }

    /** mount_setattr(AT_FDCWD, path, 0, {attr_set}, sizeof): sets flags of the one mount at {@code path}. */
    Plan mountSetattr(String path, long attrSet, String how) {
        long attr = struct(32); // struct mount_attr {u64 attr_set, attr_clr, propagation, userns_fd}
        jnr.ffi.Pointer.wrap(Syscalls.RUNTIME, attr).putLong(0, attrSet);
        step("mount_setattr(AT_FDCWD, " + Trace.quote(path) + ", 0, {" + how + "})", SYS_MOUNT_SETATTR, AT_FDCWD,
                string(path), 0, attr, 32);
        return this;
    }

    /** move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH): attaches a detached mount the parent made. */
    Plan moveMount(int fd, String target) {
        step("move_mount(" + fd + ", \"\", AT_FDCWD, " + Trace.quote(target) + ", MOVE_MOUNT_F_EMPTY_PATH)",
                SYS_MOVE_MOUNT, fd, string(""), AT_FDCWD, string(target), 0x04 /* MOVE_MOUNT_F_EMPTY_PATH */);
        return this;
    }

    /**
     * openat2(AT_FDCWD, path, {flags, 0, resolve}): {@code how} names the flags and resolve
     * bits for the trace. Returns the step's index, whose result is the descriptor.
     */
    int openat2(String path, long flags, long resolve, String how) {
        long openHow = struct(24); // struct open_how {u64 flags; u64 mode; u64 resolve;}
        jnr.ffi.Pointer p = jnr.ffi.Pointer.wrap(Syscalls.RUNTIME, openHow);
        p.putLong(0, flags);
        p.putLong(16, resolve);
        return step("openat2(AT_FDCWD, " + Trace.quote(path) + ", {" + how + "})", SYS_OPENAT2, AT_FDCWD,
                string(path), openHow, 24);
    }

    /** mkdirat relative to the directory step {@code dir} opened. */
    Plan mkdirat(int dir, String name, int mode) {
        step("mkdirat(<" + describe(dir).call() + ">, " + Trace.quote(name) + ", 0" + Integer.toOctalString(mode) + ")",
                SYS_MKDIRAT, 0, string(name), mode);
        return resultOf(dir, 0);
    }

    /** mknodat(dir, name, S_IFREG|mode): an empty file for a file volume to cover. */
    Plan mknodFile(int dir, String name, int mode) {
        step("mknodat(<" + describe(dir).call() + ">, " + Trace.quote(name) + ", S_IFREG|0" + Integer.toOctalString(mode)
                + ")", SYS_MKNODAT, 0, string(name), 0100000 | mode, 0);
        return resultOf(dir, 0);
    }

    /** openat2 relative to the directory step {@code dir} opened (with RESOLVE_IN_ROOT, that directory is "/"). */
    int openat2(int dir, String path, long flags, long resolve, String how) {
        long openHow = struct(24);
        jnr.ffi.Pointer p = jnr.ffi.Pointer.wrap(Syscalls.RUNTIME, openHow);
        p.putLong(0, flags);
        p.putLong(16, resolve);
        int index = step("openat2(<" + describe(dir).call() + ">, " + Trace.quote(path) + ", {" + how + "})",
                SYS_OPENAT2, 0, string(path), openHow, 24);
        resultOf(dir, 0);
        return index;
    }

    /** open_tree(fd, "", flags): a detached copy of the mount tree at the descriptor step {@code from} opened. */
    int openTree(int from, long flags, String how) {
        int index = step("open_tree(<" + describe(from).call() + ">, \"\", " + how + ")", SYS_OPEN_TREE, 0,
                string(""), flags);
        resultOf(from, 0);
        return index;
    }

    /** mount_setattr(tree, "", flags, {attr_set}, sizeof): flags of every mount in the tree. */
    Plan mountSetattr(int tree, long flags, long attrSet, String how) {
        long attr = struct(32); // struct mount_attr {u64 attr_set, attr_clr, propagation, userns_fd}
        jnr.ffi.Pointer.wrap(Syscalls.RUNTIME, attr).putLong(0, attrSet);
        step("mount_setattr(<open_tree>, \"\", " + how + ")", SYS_MOUNT_SETATTR, 0, string(""), flags, attr, 32);
        return resultOf(tree, 0);
    }

    /** move_mount(tree, "", onto, "", flags): attaches the detached tree on the descriptor step {@code onto} opened. */
    Plan moveMount(int tree, int onto, long flags, String how) {
        step("move_mount(<open_tree>, \"\", <" + describe(onto).call() + ">, \"\", " + how + ")", SYS_MOVE_MOUNT,
                0, string(""), 0, string(""), flags);
        resultOf(tree, 0);
        return resultOf(onto, 2);
    }

    Plan prctl(String option, long number, long arg) {
        step("prctl(" + option + ")", SYS_PRCTL, number, arg);
        return this;
    }

    /** ppoll(fds, 1, timeout, NULL): {@code pollfd} is a struct pollfd followed by a struct timespec. */
    Plan ppoll(long pollfd, String what) {
        step("ppoll(" + what + ")", SYS_PPOLL, pollfd, 1, pollfd + 8);
        return this;
    }

    Plan futexWait(long word, String what) {
        step("futex(" + what + ", FUTEX_WAIT, 0)", SYS_FUTEX, word, 0 /* FUTEX_WAIT */, 0, 0);
        return this;
    }

    Plan rtSigprocmask(String how, long number, long set) {
        step("rt_sigprocmask(" + how + ", {})", SYS_RT_SIGPROCMASK, number, set, 0, 8);
        return this;
    }

    Plan rtSigaction(String signal, int number, long action) {
        step("rt_sigaction(" + signal + ", SIG_DFL)", SYS_RT_SIGACTION, number, action, 0, 8);
        return this;
    }

    Plan closeRange(long first, long last) {
        step("close_range(" + first + ", " + (last == 0xFFFFFFFFL ? "~0U" : last) + ", 0)",
                SYS_CLOSE_RANGE, first, last, 0);
        return this;
    }

    /** execve(path, argv, envp), with argv and envp already made by {@link #strings}. */
    Plan execve(String path, List<String> argv, long argvAddress, long envpAddress, int envCount) {
        step("execve(" + Trace.quote(path) + ", " + Trace.quote(argv) + ", [" + envCount + " vars])",
                SYS_EXECVE, string(path), argvAddress, envpAddress);
        return this;
    }

    /** {@code fd} is used by a step: closing the inherited descriptors spares it. */
    Plan keep(int fd) {
        kept.add(fd);
        return this;
    }

    java.util.Set<Integer> kept() {
        return kept;
    }

    int size() {
        return steps.size();
    }

    Step describe(int index) {
        return steps.get(index);
    }

    boolean tolerates(int index, int errno) {
        for (int e : toleratedLists.get(index)) {
            if (e == errno) {
                return true;
            }
        }
        return false;
    }

    boolean fails(int index, long result, int errno) {
        long expectation = expectations.get(index);
        return result == -1 ? !tolerates(index, errno) : expectation != NO_EXPECTATION && result != expectation;
    }

    // tag::seal[]
    /**
     * Writes the plan into native memory as child.c reads it, with the clone flags and the
     * descriptor its records go to: a record of the failed step, or with --trace of every
     * step. Returns its address, the one argument of the C routine.
     */
    long seal(long cloneFlags, int statusWriteFd, boolean trace) {
        statusFd = statusWriteFd;
        int count = steps.size();
        jnr.ffi.Pointer p = memory.block(8 * (HEADER_WORDS + count * STEP_WORDS));
        p.putLong(0, cloneFlags);
        p.putLong(8, count);
        p.putLong(16, statusWriteFd);
        p.putLong(24, trace ? 1 : 0);
        p.putLong(32, -1); // fork_step: no step forks
        p.putLong(40, ExitStatus.RUNTIME_ERROR); // the child's exit status when a step failed
        for (int i = 0; i < count; i++) {
            long at = 8L * (HEADER_WORDS + i * STEP_WORDS);
            p.putLong(at, numbers.get(i));
            for (int k = 0; k < ARGS; k++) {
                p.putLong(at + 8 * (1 + k), argLists.get(i)[k]);
                p.putLong(at + 8 * (1 + ARGS + k), fromLists.get(i)[k]);
            }
            int[] t = toleratedLists.get(i);
            for (int k = 0; k < t.length; k++) {
                p.putLong(at + 8 * (1 + 2 * ARGS + k), t[k]);
            }
            p.putLong(at + 8 * (STEP_WORDS - 2), expectations.get(i));
        }
        return p.address();
    }
    // end::seal[]
}
