package mydocker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The default seccomp filter (seccomp(2)), docker's default profile as an allow-list: the calls
 * it names are allowed, a few of them only with the arguments it allows; any other call the
 * table knows fails with EPERM, and one newer than the table with ENOSYS, so that a C library
 * falls back to an older call as it does on an older kernel. As in docker, a call that only a
 * capability makes useful (mount with CAP_SYS_ADMIN) is allowed when the container keeps that
 * capability: --cap-add gives back the call with the capability. The names are docker's
 * (moby/profiles, seccomp/default.json); the numbers come from {@link SyscallTable}.
 */
final class Seccomp {

    // <linux/audit.h>, <linux/seccomp.h>
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    static final int AUDIT_ARCH_I386 = 0x40000003;
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ERRNO = 0x00050000;
    static final int RET_ALLOW = 0x7fff0000;
    /** The x32 ABI runs on x86_64 with this bit in the call's number; its numbers are another table. */
    static final int X32_SYSCALL_BIT = 0x40000000;
    // struct seccomp_data {int nr; u32 arch; u64 instruction_pointer; u64 args[6];}
    static final int NR = 0;
    static final int ARCH = 4;

    static int argLow(int arg) {
        return 16 + 8 * arg; // little-endian: the low half of args[arg] comes first
    }

    // <sched.h>: the namespace flags clone takes (docker's mask, 0x7e020000)
    static final int CLONE_NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
            | 0x20000000 | 0x40000000;
    // <asm-generic/ioctls.h>
    static final int TIOCSTI = 0x5412;
    static final int TIOCLINUX = 0x541c;
    /** The personalities docker allows: PER_LINUX, UNAME26, PER_LINUX32, UNAME26|PER_LINUX32, and the query 0xffffffff. */
    static final int[] PERSONALITIES = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
    // <sys/socket.h>: the families docker refuses (it allows below 38, 39, and above 40)
    static final int AF_ALG = 38;
    static final int AF_VSOCK = 40;

    private static final int ENOSYS = 38;

    // tag::rules[]
    /** Allowed to every container: docker's list, less the calls with rules of their own below. */
    static final List<String> ALLOWED = List.of(
            "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl",
            "bind", "brk", "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32",
            "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
            "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
            "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
            "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
            "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
            "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
            "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
            "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64",
            "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue",
            "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list",
            "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
            "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
            "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
            "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid",
            "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
            "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
            "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
            "io_submit", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
            "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "lremovexattr",
            "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
            "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
            "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify",
            "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
            "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
            "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat",
            "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
            "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
            "preadv2", "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6",
            "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
            "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
            "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
            "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
            "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
            "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
            "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
            "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
            "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
            "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
            "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list", "set_thread_area",
            "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
            "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
            "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
            "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl",
            "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
            "sigreturn", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount",
            "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
            "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
            "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
            "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit",
            "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64",
            "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev");

    /** Allowed to a container that keeps the capability, as docker's profile allows them. */
    static final Map<String, List<String>> WITH_CAPABILITY = withCapability();

    private static Map<String, List<String>> withCapability() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        // mounts old and new, namespaces, and other calls that act on the whole system
        m.put("SYS_ADMIN", List.of("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                "fspick", "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
                "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
                "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"));
        m.put("DAC_READ_SEARCH", List.of("open_by_handle_at"));
        m.put("SYS_BOOT", List.of("reboot"));
        m.put("SYS_CHROOT", List.of("chroot"));
        m.put("SYS_MODULE", List.of("delete_module", "init_module", "finit_module"));
        m.put("SYS_PACCT", List.of("acct"));
        m.put("SYS_PTRACE", List.of("kcmp", "pidfd_getfd", "process_madvise"));
        m.put("SYS_RAWIO", List.of("iopl", "ioperm"));
        m.put("SYS_TIME", List.of("settimeofday", "stime", "clock_settime", "clock_settime64"));
        m.put("SYS_TTY_CONFIG", List.of("vhangup"));
        m.put("SYS_NICE", List.of("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"));
        m.put("SYSLOG", List.of("syslog"));
        m.put("BPF", List.of("bpf"));
        m.put("PERFMON", List.of("perf_event_open"));
        return m;
    }
    // end::rules[]

    private Seccomp() {}

    private static int eperm() {
        return RET_ERRNO | Errors.EPERM;
    }

    /** The numbers the container may call without conditions, in {@code table}'s numbering. */
    static TreeSet<Integer> allowedNumbers(Map<String, Integer> table, long caps) {
        List<String> names = new ArrayList<>(ALLOWED);
        WITH_CAPABILITY.forEach((cap, calls) -> {
            if (Capabilities.has(caps, Capabilities.NAMES.indexOf(cap))) {
                names.addAll(calls);
            }
        });
        TreeSet<Integer> numbers = new TreeSet<>();
        for (String name : names) {
            Integer nr = table.get(name);
            if (nr != null) { // a call this architecture lacks (arch_prctl on i386)
                numbers.add(nr);
            }
        }
        return numbers;
    }

    // tag::filter[]
    /**
     * The default filter for a container that keeps {@code caps}: one block for x86_64's
     * numbers and one for i386's (a 64-bit process may make 32-bit calls with int 0x80, and
     * docker filters those by the same list); x32 is refused, any other architecture killed.
     */
    static Bpf defaultFilter(long caps) {
        Bpf x86_64 = block(SyscallTable.X86_64, caps, true);
        Bpf i386 = block(SyscallTable.I386, caps, false);
        Bpf f = new Bpf();
        f.ld(ARCH, "A = arch");
        f.jeq(AUDIT_ARCH_X86_64, 3, 0, "x86_64?");
        f.jeq(AUDIT_ARCH_I386, 0, 1, "i386?");
        f.ja(x86_64.size() + 1, "to i386's block"); // past the kill and x86_64's block
        f.ret(RET_KILL_PROCESS, "another architecture: kill");
        return f.append(x86_64).append(i386);
    }

    /** One architecture's rules, entered with A = arch; every path through it ends in a ret. */
    private static Bpf block(Map<String, Integer> table, long caps, boolean x86_64) {
        Bpf f = new Bpf();
        f.ld(NR, "A = syscall number");
        if (x86_64) {
            f.jge(X32_SYSCALL_BIT, 0, 1, "x32 ABI?");
            f.ret(eperm(), "x32: EPERM");
        }
        int highest = SyscallTable.highest(table);
        String[] names = new String[highest + 1]; // for the listing's notes
        table.forEach((name, nr) -> names[nr] = name);
        f.jge(highest + 1, 0, 1, "newer than the table?");
        f.ret(RET_ERRNO | ENOSYS, "ENOSYS: the C library falls back");
        argumentRules(f, table, caps);
        // Runs of consecutive numbers as one range: A >= lo and not A >= hi + 1.
        List<int[]> runs = new ArrayList<>();
        for (int nr : allowedNumbers(table, caps)) {
            if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == nr - 1) {
                runs.get(runs.size() - 1)[1] = nr;
            } else {
                runs.add(new int[] {nr, nr});
            }
        }
        for (int[] run : runs) {
            if (run[0] == run[1]) {
                f.jeq(run[0], 0, 1, names[run[0]]);
            } else {
                f.jge(run[0], 0, 2, names[run[0]].concat(" ..."));
                f.jge(run[1] + 1, 1, 0, "... ".concat(names[run[1]]));
            }
            f.ret(RET_ALLOW, "ALLOW");
        }
        return f.ret(eperm(), "not on the list: EPERM");
    }

    /** The calls docker allows only with some arguments; each ends in a ret, or falls to the next check. */
    private static void argumentRules(Bpf f, Map<String, Integer> table, long caps) {
        // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes libc fall back to clone.
        if (!Capabilities.has(caps, Capabilities.SYS_ADMIN)) {
            f.jeq(table.get("clone3"), 0, 1, "clone3");
            f.ret(RET_ERRNO | ENOSYS, "ENOSYS");
            f.jeq(table.get("clone"), 0, 4, "clone");
            f.ld(argLow(0), "A = flags (low half of args[0])");
            f.jset(CLONE_NEW_NAMESPACES, 0, 1, "any CLONE_NEW*?");
            f.ret(eperm(), "EPERM");
            f.ret(RET_ALLOW, "ALLOW");
        }
        int n = PERSONALITIES.length;
        f.jeq(table.get("personality"), 0, n + 3, "personality");
        f.ld(argLow(0), "A = persona (args[0], an unsigned int)");
        for (int i = 0; i < n; i++) {
            f.jeq(PERSONALITIES[i], n - i, 0, "allowed persona");
        }
        f.ret(eperm(), "EPERM");
        f.ret(RET_ALLOW, "ALLOW");
        // The family is an int: only the low half counts, whatever a caller puts above it.
        f.jeq(table.get("socket"), 0, 5, "socket");
        f.ld(argLow(0), "A = family (low half of args[0])");
        f.jeq(AF_ALG, 2, 0, "AF_ALG");
        f.jeq(AF_VSOCK, 1, 0, "AF_VSOCK: not network-namespaced");
        f.ret(RET_ALLOW, "ALLOW");
        f.ret(eperm(), "EPERM");
        // The request is an unsigned int: only the low half counts, whatever a caller puts above it.
        f.jeq(table.get("ioctl"), 0, 5, "ioctl");
        f.ld(argLow(1), "A = request (low half of args[1])");
        f.jeq(TIOCSTI, 2, 0, "TIOCSTI");
        f.jeq(TIOCLINUX, 1, 0, "TIOCLINUX");
        f.ret(RET_ALLOW, "ALLOW");
        f.ret(eperm(), "EPERM");
        // Every path that loaded an argument ended in a ret: A is still the number.
    }
    // end::filter[]

    /** Whether this machine runs the calls the filter was written for. */
    static boolean supported() {
        return "amd64".equals(System.getProperty("os.arch")) || "x86_64".equals(System.getProperty("os.arch"));
    }
}
