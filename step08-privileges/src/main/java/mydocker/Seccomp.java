package mydocker;

import java.util.List;

/**
 * The default seccomp filter (seccomp(2)): the system calls docker's default profile refuses,
 * refused here with EPERM, and everything else allowed. As in docker, a call that only a
 * capability would make useful (mount with CAP_SYS_ADMIN) is allowed when the container keeps
 * that capability: --cap-add gives back the call with the capability.
 */
final class Seccomp {

    // <linux/audit.h>, <linux/seccomp.h>
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
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

    private static final int NONE = -1;
    private static final int ENOSYS = 38;

    /** A refused call: its x86_64 number, and the capability that makes docker allow it, or NONE. */
    record Rule(String name, int nr, int allowedWith) {}

    // tag::rules[]
    static final List<Rule> REFUSED = List.of(
            // the kernel's keyring is not namespaced: a container could read the host's keys
            new Rule("keyctl", 250, NONE), new Rule("add_key", 248, NONE), new Rule("request_key", 249, NONE),
            // mounts, old and new API: a mask of /proc or a read-only volume undone
            new Rule("mount", 165, cap("SYS_ADMIN")), new Rule("umount2", 166, cap("SYS_ADMIN")),
            new Rule("pivot_root", 155, cap("SYS_ADMIN")), new Rule("open_tree", 428, cap("SYS_ADMIN")),
            new Rule("move_mount", 429, cap("SYS_ADMIN")), new Rule("fsopen", 430, cap("SYS_ADMIN")),
            new Rule("fsconfig", 431, cap("SYS_ADMIN")), new Rule("fsmount", 432, cap("SYS_ADMIN")),
            new Rule("fspick", 433, cap("SYS_ADMIN")), new Rule("mount_setattr", 442, cap("SYS_ADMIN")),
            // new namespaces: a new user namespace gives back every capability inside it
            new Rule("unshare", 272, cap("SYS_ADMIN")), new Rule("setns", 308, cap("SYS_ADMIN")),
            new Rule("swapon", 167, cap("SYS_ADMIN")), new Rule("swapoff", 168, cap("SYS_ADMIN")),
            new Rule("quotactl", 179, cap("SYS_ADMIN")), new Rule("fanotify_init", 300, cap("SYS_ADMIN")),
            new Rule("open_by_handle_at", 304, cap("DAC_READ_SEARCH")),
            new Rule("reboot", 169, cap("SYS_BOOT")), new Rule("kexec_load", 246, cap("SYS_BOOT")),
            new Rule("kexec_file_load", 320, cap("SYS_BOOT")),
            new Rule("init_module", 175, cap("SYS_MODULE")), new Rule("finit_module", 313, cap("SYS_MODULE")),
            new Rule("delete_module", 176, cap("SYS_MODULE")),
            new Rule("bpf", 321, cap("SYS_ADMIN")), new Rule("perf_event_open", 298, cap("PERFMON")),
            new Rule("userfaultfd", 323, NONE), new Rule("acct", 163, cap("SYS_PACCT")),
            new Rule("settimeofday", 164, cap("SYS_TIME")), new Rule("clock_settime", 227, cap("SYS_TIME")),
            new Rule("adjtimex", 159, cap("SYS_TIME")), new Rule("clock_adjtime", 305, cap("SYS_TIME")),
            new Rule("iopl", 172, cap("SYS_RAWIO")), new Rule("ioperm", 173, cap("SYS_RAWIO")),
            new Rule("kcmp", 312, cap("SYS_PTRACE")), new Rule("process_vm_readv", 310, cap("SYS_PTRACE")),
            new Rule("process_vm_writev", 311, cap("SYS_PTRACE")), new Rule("vhangup", 153, cap("SYS_TTY_CONFIG")),
            new Rule("syslog", 103, cap("SYSLOG")), new Rule("lookup_dcookie", 212, cap("SYS_ADMIN")),
            new Rule("uselib", 134, NONE), new Rule("ustat", 136, NONE), new Rule("sysfs", 139, NONE),
            new Rule("_sysctl", 156, NONE), new Rule("nfsservctl", 180, NONE));
    // end::rules[]

    static final int SYS_CLONE = 56;
    static final int SYS_CLONE3 = 435;
    static final int SYS_PERSONALITY = 135;
    static final int SYS_IOCTL = 16;

    private Seccomp() {}

    private static int cap(String name) {
        return Capabilities.NAMES.indexOf(name);
    }

    private static int eperm() {
        return RET_ERRNO | Errors.EPERM;
    }

    // tag::filter[]
    /** The default filter for a container that keeps {@code caps}. */
    static Bpf defaultFilter(long caps) {
        Bpf f = new Bpf();
        // Numbers mean other calls on another architecture: only x86_64's are checked here.
        f.ld(ARCH, "A = arch");
        f.jeq(AUDIT_ARCH_X86_64, 1, 0, "x86_64?");
        f.ret(RET_KILL_PROCESS, "another architecture: kill");
        f.ld(NR, "A = syscall number");
        f.jge(X32_SYSCALL_BIT, 0, 1, "x32 ABI?");
        f.ret(eperm(), "x32: EPERM");
        for (Rule r : REFUSED) {
            if (r.allowedWith() != NONE && Capabilities.has(caps, r.allowedWith())) {
                continue;
            }
            f.jeq(r.nr(), 0, 1, r.name());
            f.ret(eperm(), "EPERM");
        }
        // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes libc fall back to clone.
        if (!Capabilities.has(caps, Capabilities.SYS_ADMIN)) {
            f.jeq(SYS_CLONE3, 0, 1, "clone3");
            f.ret(RET_ERRNO | ENOSYS, "ENOSYS");
            f.jeq(SYS_CLONE, 0, 4, "clone");
            f.ld(argLow(0), "A = flags (low half of args[0])");
            f.jset(CLONE_NEW_NAMESPACES, 0, 1, "any CLONE_NEW*?");
            f.ret(eperm(), "EPERM");
            f.ret(RET_ALLOW, "ALLOW");
        }
        int n = PERSONALITIES.length;
        f.jeq(SYS_PERSONALITY, 0, n + 3, "personality");
        f.ld(argLow(0), "A = persona (args[0], an unsigned int)");
        for (int i = 0; i < n; i++) {
            f.jeq(PERSONALITIES[i], n - i, 0, "allowed persona");
        }
        f.ret(eperm(), "EPERM");
        f.ret(RET_ALLOW, "ALLOW");
        // The request is an unsigned int: only the low half counts, whatever a caller puts above it.
        f.jeq(SYS_IOCTL, 0, 5, "ioctl");
        f.ld(argLow(1), "A = request (low half of args[1])");
        f.jeq(TIOCSTI, 2, 0, "TIOCSTI");
        f.jeq(TIOCLINUX, 1, 0, "TIOCLINUX");
        f.ret(RET_ALLOW, "ALLOW");
        f.ret(eperm(), "EPERM");
        f.ret(RET_ALLOW, "ALLOW");
        return f;
    }
    // end::filter[]

    /** Whether this machine runs the calls the filter was written for. */
    static boolean supported() {
        return "amd64".equals(System.getProperty("os.arch")) || "x86_64".equals(System.getProperty("os.arch"));
    }
}
