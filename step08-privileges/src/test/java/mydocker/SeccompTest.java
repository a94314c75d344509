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

    /** What the kernel's classic-BPF interpreter does with the four kinds of instruction the builder makes. */
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

    @Test
    void refusesDockersListWithEperm() {
        for (Seccomp.Rule rule : Seccomp.REFUSED) {
            assertEquals(EPERM, x86(DEFAULT, rule.nr()), rule.name());
        }
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, 0 /* read */));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, 59 /* execve */));
    }

    @Test
    void aCapabilityKeptAllowsItsCalls() {
        long withAdmin = DEFAULT | Capabilities.bit(Capabilities.SYS_ADMIN);
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, 165 /* mount */));
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, 272 /* unshare */));
        assertEquals(Seccomp.RET_ALLOW, x86(withAdmin, Seccomp.SYS_CLONE, 0x10000000L));
        assertEquals(EPERM, x86(withAdmin, 250 /* keyctl: refused with any capability */));
    }

    @Test
    void cloneOfNewNamespacesRefusedClone3Enosys() {
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, Seccomp.SYS_CLONE, 0x01200011L)); // fork's flags
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_CLONE, 0x10000000L | 17)); // CLONE_NEWUSER
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_CLONE, 0x00020000L)); // CLONE_NEWNS
        assertEquals(ENOSYS, x86(DEFAULT, Seccomp.SYS_CLONE3));
    }

    @Test
    void personalityOnlyDockersValues() {
        for (long p : new long[] {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL}) {
            assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, Seccomp.SYS_PERSONALITY, p), Long.toHexString(p));
        }
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_PERSONALITY, 0x0400000L)); // READ_IMPLIES_EXEC
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_PERSONALITY, 0x0040000L)); // ADDR_NO_RANDOMIZE
    }

    @Test
    void tiocstiRefusedWhateverTheHighBits() {
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_IOCTL, 0, Seccomp.TIOCSTI));
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_IOCTL, 0, 0x100000000L | Seccomp.TIOCSTI));
        assertEquals(EPERM, x86(DEFAULT, Seccomp.SYS_IOCTL, 0, Seccomp.TIOCLINUX));
        assertEquals(Seccomp.RET_ALLOW, x86(DEFAULT, Seccomp.SYS_IOCTL, 0, 0x5401 /* TCGETS */));
    }

    @Test
    void anotherArchitectureIsKilledAndX32Refused() {
        int i386 = 0x40000003;
        assertEquals(Seccomp.RET_KILL_PROCESS, evaluate(Seccomp.defaultFilter(DEFAULT), i386, 0));
        assertEquals(EPERM, x86(DEFAULT, Seccomp.X32_SYSCALL_BIT | 0 /* x32 read */));
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
