package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The default filter, run here by a small classic-BPF interpreter on the struct seccomp_data
 * the kernel would give it, and in containers.
 */
class SeccompTest {

    private static final int EPERM = Seccomp.RET_ERRNO | 1;
    private static final int ENOSYS = Seccomp.RET_ERRNO | 38;
    private static final long DEFAULT = Capabilities.DEFAULT;

    @TempDir
    Path tmp;

    /** What the kernel's classic-BPF interpreter does with the five kinds of instruction the builder makes. */
    static int evaluate(Bpf program, int arch, int nr, long... args) {
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch);
        for (int i = 0; i < args.length; i++) {
            data.putLong(16 + 8 * i, args[i]);
        }
        List<Bpf.Insn> code = program.instructions();
        int a = 0;
        for (int pc = 0; pc < code.size(); pc++) {
            Bpf.Insn i = code.get(pc);
            switch (i.code()) {
                case Bpf.LD_W_ABS -> a = data.getInt(i.k());
                case Bpf.JA -> pc += i.k();
                case Bpf.JEQ_K -> pc += a == i.k() ? i.jt() : i.jf();
                case Bpf.JGE_K -> pc += Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf();
                case Bpf.JSET_K -> pc += (a & i.k()) != 0 ? i.jt() : i.jf();
                case Bpf.RET_K -> {
                    return i.k();
                }
                default -> throw new AssertionError("unknown instruction " + i);
            }
        }
        throw new AssertionError("the program ran off its end");
    }

    private static int x86(long caps, int nr, long... args) {
        return evaluate(Seccomp.defaultFilter(caps), Seccomp.AUDIT_ARCH_X86_64, nr, args);
    }

    private static int i386(long caps, int nr, long... args) {
        return evaluate(Seccomp.defaultFilter(caps), Seccomp.AUDIT_ARCH_I386, nr, args);
    }

    private static int nr(String name) {
        return SyscallTable.X86_64.get(name);
    }

    /** docker's list: every call on it is allowed, on both tables; the calls of the argument rules with allowed arguments. */
    @Test
    void everyCallOfDockersListIsAllowed() {
        for (String name : Seccomp.ALLOWED) {
            Integer x = SyscallTable.X86_64.get(name);
            Integer i = SyscallTable.I386.get(name);
            if (x != null) {
                assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, x), name + " on x86_64");
            }
            if (i != null) {
                assertEquals(Seccomp.RET_ALLOW, i386(DEFAULT, i), name + " on i386");
            }
        }
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("socket"), 2 /* AF_INET */));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("socket"), 1 /* AF_UNIX */));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("socket"), 39 /* AF_NFC */));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("ioctl"), 0, 0x5401 /* TCGETS */));
        assertEquals(Seccomp.RET_ALLOW, i386(DEFAULT, 20 /* i386 getpid */));
    }

    /** A call the table knows and the list lacks: EPERM; a number above the table's highest: ENOSYS. */
    @Test
    void callsOffTheListGetTheDefaultActions() {
        for (String name : List.of("open_tree_attr", "keyctl", "add_key", "request_key", "userfaultfd", "uselib",
                "kexec_load", "pidfd_getfd", "process_madvise", "mbind", "set_mempolicy", "get_mempolicy", "mount",
                "open_tree", "unshare", "setns", "quotactl_fd", "socketcall")) {
            Integer x = SyscallTable.X86_64.get(name);
            if (x != null) {
                assertEquals(EPERM, x86(DEFAULT, x), name + " on x86_64");
            }
        }
        int highest = SyscallTable.highest(SyscallTable.X86_64);
        assertEquals(EPERM, x86(DEFAULT, 467 /* open_tree_attr, Linux 6.15 */));
        assertEquals(ENOSYS, x86(DEFAULT, highest + 1));
        assertEquals(ENOSYS, x86(DEFAULT, 1000));
        assertEquals(EPERM, i386(DEFAULT, SyscallTable.I386.get("socketcall")));
        assertEquals(ENOSYS, i386(DEFAULT, SyscallTable.highest(SyscallTable.I386) + 1));
    }

    @Test
    void aCapabilityKeptAllowsItsCalls() {
        long withAdmin = DEFAULT | Capabilities.bit(Capabilities.SYS_ADMIN);
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, nr("mount")));
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, nr("unshare")));
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, nr("clone"), 0x10000000L));
        long withPtrace = DEFAULT | Capabilities.bit(Capabilities.NAMES.indexOf("SYS_PTRACE"));
        assertEquals(Seccomp.RET_ALLOW, x86(withPtrace, nr("pidfd_getfd")));
        long withNice = DEFAULT | Capabilities.bit(Capabilities.NAMES.indexOf("SYS_NICE"));
        assertEquals(Seccomp.RET_ALLOW, x86(withNice, nr("mbind")));
        assertEquals(EPERM, x86(DEFAULT, nr("mbind")));
    }

    @Test
    void cloneOfNewNamespacesRefusedClone3Enosys() {
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("clone"), 0x01200011L)); // fork's flags
        assertEquals(EPERM, x86(DEFAULT, nr("clone"), 0x10000000L | 17)); // CLONE_NEWUSER
        assertEquals(EPERM, x86(DEFAULT, nr("clone"), 0x00020000L)); // CLONE_NEWNS
        assertEquals(ENOSYS, x86(DEFAULT, nr("clone3")));
        assertEquals(EPERM, i386(DEFAULT, SyscallTable.I386.get("clone"), 0x10000000L)); // CLONE_NEWUSER
    }

    @Test
    void personalityOnlyDockersValues() {
        for (long p : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) {
            assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("personality"), p), Long.toHexString(p));
        }
        assertEquals(EPERM, x86(DEFAULT, nr("personality"), 0x0400000L)); // READ_IMPLIES_EXEC
        assertEquals(EPERM, x86(DEFAULT, nr("personality"), 0x0040000L)); // ADDR_NO_RANDOMIZE
    }

    /** AF_VSOCK reaches the host's hypervisor sockets, which no network namespace holds; AF_ALG as docker. */
    @Test
    void socketFamiliesVsockAndAlgRefusedWhateverTheHighBits() {
        assertEquals(EPERM, x86(DEFAULT, nr("socket"), Seccomp.AF_VSOCK));
        assertEquals(EPERM, x86(DEFAULT, nr("socket"), 0x100000000L | Seccomp.AF_VSOCK));
        assertEquals(EPERM, x86(DEFAULT, nr("socket"), Seccomp.AF_ALG));
        assertEquals(EPERM, i386(DEFAULT, SyscallTable.I386.get("socket"), Seccomp.AF_VSOCK));
    }

    @Test
    void tiocstiRefusedWhateverTheHighBits() {
        assertEquals(EPERM, x86(DEFAULT, nr("ioctl"), 0, Seccomp.TIOCSTI));
        assertEquals(EPERM, x86(DEFAULT, nr("ioctl"), 0, 0x100000000L | Seccomp.TIOCSTI));
        assertEquals(EPERM, x86(DEFAULT, nr("ioctl"), 0, Seccomp.TIOCLINUX));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, nr("ioctl"), 0, 0x5401 /* TCGETS */));
    }

    @Test
    void anotherArchitectureIsKilledAndX32Refused() {
        int arm64 = 0xc00000b7;
        assertEquals(Seccomp.RET_KILL_PROCESS, evaluate(Seccomp.defaultFilter(DEFAULT), arm64, 0));
        assertEquals(EPERM, x86(DEFAULT, Seccomp.X32_SYSCALL_BIT | 0 /* x32 read */));
    }

    /** The table against a few numbers every x86_64 and i386 kernel has had. */
    @Test
    void theTablesNumbers() {
        assertEquals(0, nr("read"));
        assertEquals(59, nr("execve"));
        assertEquals(435, nr("clone3"));
        assertEquals(20, SyscallTable.I386.get("getpid"));
        assertEquals(102, SyscallTable.I386.get("socketcall"));
        assertEquals(467, SyscallTable.highest(SyscallTable.X86_64));
    }

    /** What inspect stores is enough to give a later process in the container the same privileges. */
    @Test
    void settingsSurviveTheirJson() {
        Privileges.Settings s = new Privileges.Settings(DEFAULT & ~Capabilities.bit(13), Capabilities.lastCap(), true,
                true, false);
        assertEquals(s, Privileges.Settings.fromJson(s.toJson()));
        Privileges.Settings p = new Privileges.Settings(Capabilities.all(), Capabilities.lastCap(), false, false, true);
        assertEquals(p, Privileges.Settings.fromJson(p.toJson()));
    }

    /** The listing the chapter shows: printed here from the same builder the run installs. */
    @Test
    void listing() {
        List<String> lines = Seccomp.defaultFilter(DEFAULT).listing();
        lines.forEach(System.out::println);
        assertEquals(Seccomp.defaultFilter(DEFAULT).size(), lines.size());
        assertTrue(lines.get(0).contains("ld  [4]"), lines.get(0));
    }

    /**
     * In a container, with the probe's raw calls: AF_VSOCK refused (docker refuses family 40;
     * this VM has /dev/vsock, and vsock is not network-namespaced), open_tree_attr (Linux 6.15)
     * and a number no kernel has yet get the default actions, and an i386 getpid by int 0x80
     * runs, as in docker (it used to kill the process).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.PrivilegesTest#users")
    void theAllowListInAContainer(List<String> user) throws Exception {
        Mydocker.requireRoot();
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path probe = Probe.build(tmp);
        String[] run = {"run", "-v", probe.getParent() + ":/t:ro", Mydocker.IMAGE, "sh", "-c",
                "/t/probe vsock; /t/probe syscall 467; /t/probe syscall 1000; /t/probe syscall 39; /t/probe i386-getpid"};
        Mydocker.Result r = Mydocker.exec(user, null, Map.of(), run);
        assertEquals(0, r.status(), r.toString());
        assertEquals("socket(AF_VSOCK): Operation not permitted\nsyscall 467: Operation not permitted\n"
                + "syscall 1000: Function not implemented\nsyscall 39: ok\ni386 getpid: ok\n", r.out(), r.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.PrivilegesTest#users")
    void tiocstiInAContainer(List<String> user) throws Exception {
        Mydocker.requireRoot();
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path probe = Probe.build(tmp);
        String[] run = {"run", "-v", probe.getParent() + ":/t:ro", Mydocker.IMAGE, "/t/probe", "tiocsti"};
        Mydocker.Result r = Mydocker.exec(user, null, Map.of(), run);
        assertEquals("TIOCSTI: Operation not permitted\nTIOCSTI|1<<32: Operation not permitted\n", r.out(), r.toString());
        // Without the filter the request reaches the driver, which has no terminal to push into.
        String[] unconfined = {"run", "--security-opt", "seccomp=unconfined", "-v", probe.getParent() + ":/t:ro",
                Mydocker.IMAGE, "/t/probe", "tiocsti"};
        r = Mydocker.exec(user, null, Map.of(), unconfined);
        assertEquals("TIOCSTI: Inappropriate ioctl for device\nTIOCSTI|1<<32: Inappropriate ioctl for device\n",
                r.out(), r.toString());
    }
}
