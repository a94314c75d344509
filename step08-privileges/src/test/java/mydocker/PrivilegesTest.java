package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attacks of the earlier chapters, which needed only container root's CAP_SYS_ADMIN, fail
 * with the default privileges; each flag that gives a privilege back makes the same attack
 * work again, so the test proves the flag and that the default is what stops it.
 */
class PrivilegesTest {

    private static final Path CORE_PATTERN = Path.of("/proc/sys/kernel/core_pattern");

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to start containers as both users
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static Stream<Arguments> users() {
        return Stream.of(Arguments.of(Named.of("as root", List.of(Mydocker.LAUNCHER.toString()))),
                Arguments.of(Named.of("as uid " + Mydocker.NOBODY, Mydocker.launcher())));
    }

    private static Mydocker.Result run(List<String> user, String... args) {
        return Mydocker.exec(user, null, Map.of(), args);
    }

    private static String[] runArgs(List<String> options, String script) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(options);
        args.addAll(List.of(Mydocker.IMAGE, "sh", "-c", script));
        return args.toArray(String[]::new);
    }

    // Unmask /proc/sys, then open core_pattern for writing (appending nothing: never a value).
    private static final String UNMASK = "umount /proc/timer_list && echo unmasked-timer_list;"
            + " umount /proc/sys && echo unmasked-sys; (exec 3>>/proc/sys/kernel/core_pattern) && echo core_pattern-open";

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void procMasksStayAndCorePatternStaysClosed(List<String> user) throws IOException {
        String before = Files.readString(CORE_PATTERN);
        Mydocker.Result r = run(user, runArgs(List.of(), UNMASK));
        assertEquals(before, Files.readString(CORE_PATTERN), "the host's core_pattern changed:\n" + r);
        assertTrue(r.out().isEmpty(), "an unmount or the open succeeded:\n" + r);
        assertTrue(r.err().contains("can't unmount /proc/timer_list: Operation not permitted"), r.toString());
        assertTrue(r.err().contains("can't unmount /proc/sys: Operation not permitted"), r.toString());
    }

    /** Without the defence the masks come off: the attack is real, and --cap-add gives mount back. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void capAddSysAdminGivesTheUnmountBack(List<String> user) throws IOException {
        String before = Files.readString(CORE_PATTERN);
        Mydocker.Result r = run(user, runArgs(List.of("--cap-add", "sys_admin"), UNMASK));
        assertEquals(before, Files.readString(CORE_PATTERN), "the host's core_pattern changed:\n" + r);
        assertTrue(r.out().contains("unmasked-timer_list\nunmasked-sys\n"), r.toString());
        if (user.size() == 1) { // host root: the settings file is root's and now writable
            assertTrue(r.out().contains("core_pattern-open"), r.toString());
        } else {
            assertTrue(r.err().contains("Permission denied"), r.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void readOnlyVolumeStaysReadOnly(List<String> user) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("ro"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String script = "mount -o remount,rw,bind /vol && echo remounted; touch /vol/written";
        Mydocker.Result r = run(user, runArgs(List.of("-v", dir + ":/vol:ro"), script));
        assertTrue(r.err().contains("Read-only file system"), r.toString());
        assertTrue(!r.out().contains("remounted") && !Files.exists(dir.resolve("written")), r.toString());
        r = run(user, runArgs(List.of("--privileged", "-v", dir + ":/vol:ro"), script));
        assertTrue(r.out().contains("remounted") && Files.exists(dir.resolve("written")),
                "--privileged did not give mount back:\n" + r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void noBlockDeviceNoModuleNoNewUserNamespace(List<String> user) {
        String script = "mknod /tmp/sda b 8 0 && echo made; head -c 4096 /dev/zero > /tmp/m.ko;"
                + " insmod /tmp/m.ko && echo loaded; unshare -U true && echo unshared";
        Mydocker.Result r = run(user, runArgs(List.of(), script));
        assertTrue(r.out().isEmpty(), r.toString());
        assertTrue(r.err().contains("mknod: /tmp/sda: Operation not permitted"), r.toString());
        assertTrue(r.err().contains("insmod: can't insert '/tmp/m.ko': Operation not permitted"), r.toString());
        assertTrue(r.err().contains("unshare(0x10000000): Operation not permitted"), r.toString());
        r = run(user, runArgs(List.of("--cap-add", "SYS_ADMIN"), "unshare -U true && echo unshared"));
        assertEquals("unshared\n", r.out(), "--cap-add SYS_ADMIN did not give unshare back:\n" + r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void statusShowsWhatTheContainerGot(List<String> user) {
        String grep = "grep -E '^(CapBnd|CapEff|CapInh|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";
        Mydocker.Result r = run(user, runArgs(List.of(), grep));
        assertEquals("CapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n", r.out(), r.toString());
        r = run(user, runArgs(List.of("--cap-drop", "ALL", "--cap-add", "cap_kill", "--security-opt",
                "no-new-privileges", "--security-opt", "seccomp=unconfined"), grep));
        assertEquals("CapInh:\t0000000000000000\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0\n", r.out(), r.toString());
        String all = Capabilities.hex(Capabilities.all());
        r = run(user, runArgs(List.of("--privileged"), grep));
        assertEquals("CapInh:\t0000000000000000\nCapEff:\t" + all + "\nCapBnd:\t" + all + "\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n", r.out(), r.toString());
    }

    /** exec ends its plan with the container's own privileges: a joining process gets no more than PID 1. */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void execGetsTheSamePrivilegesAsRun(OverlayTest.User user) throws InterruptedException {
        String grep = "grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status";
        try (RunningContainer c = new RunningContainer(user, user.name("exec-caps"))) {
            Mydocker.Result r = c.exec("sh", "-c", grep);
            assertEquals("CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n",
                    r.out(), r.toString());
            r = c.exec("sh", "-c", UNMASK);
            assertEquals("", r.out(), "exec unmasked /proc or opened core_pattern:\n" + r);
        }
        try (RunningContainer c = new RunningContainer(user, user.name("exec-nnp"), "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges")) {
            Mydocker.Result r = c.exec("sh", "-c", grep);
            assertEquals("CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n",
                    r.out(), r.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void inspectShowsThePrivileges(List<String> user) {
        String name = "priv-" + System.nanoTime();
        Mydocker.Result r = run(user, "run", "--name", name, "--cap-drop", "NET_RAW", "--security-opt",
                "no-new-privileges", Mydocker.IMAGE, "true");
        assertEquals(0, r.status(), r.toString());
        r = run(user, "inspect", name);
        String out = r.out().replaceAll("\\s+", "");
        assertTrue(out.contains("\"noNewPrivileges\":true") && out.contains("\"seccomp\":\"filter(defaultprofile)\"")
                && out.contains("\"CAP_KILL\"") && !out.contains("CAP_NET_RAW") && !out.contains("CAP_SYS_ADMIN"), r.toString());
        run(user, "rm", name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("users")
    void unknownCapabilitiesAreRefusedInOneLine(List<String> user) {
        for (String[] args : List.of(new String[] {"--cap-add", "CAP_FLY"}, new String[] {"--cap-drop", "sys_fly"},
                new String[] {"--security-opt", "apparmor=unconfined"})) {
            Mydocker.Result r = run(user, "run", args[0], args[1], Mydocker.IMAGE, "true");
            assertEquals(125, r.status(), r.toString());
            assertEquals(1, r.err().lines().count(), r.toString());
            assertTrue(r.err().startsWith("mydocker: " + args[0] + " \"" + args[1] + "\": "), r.toString());
            assertTrue(r.err().strip().endsWith("see: mydocker run --help)"), r.toString());
        }
    }

    /**
     * Container root with a range of ids runs a setuid-root program as uid 1000: without
     * no_new_privs it becomes euid 0, with it the setuid bit is ignored. Only root can map a
     * second id here (uid 65534 has no range in /etc/subuid), so this runs as root.
     */
    @Test
    void noNewPrivilegesKeepsASetuidProgramFromRaising() throws Exception {
        Path probe = Probe.build(tmp);
        String script = "cp /t/probe /euid && chown 0:0 /euid && chmod 4755 /euid"
                + " && /t/probe as 1000 /euid";
        List<String> map = List.of("--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536",
                "-v", probe.getParent() + ":/t:ro");
        Mydocker.Result r = Mydocker.exec(List.of(Mydocker.LAUNCHER.toString()), null, Map.of(), runArgs(map, script));
        assertEquals("euid 0\n", r.out(), "the setuid bit did not work without no-new-privileges:\n" + r);
        List<String> nnp = new ArrayList<>(map);
        nnp.addAll(List.of("--security-opt", "no-new-privileges"));
        r = Mydocker.exec(List.of(Mydocker.LAUNCHER.toString()), null, Map.of(), runArgs(nnp, script));
        assertEquals("euid 1000\n", r.out(), "a setuid-root program raised privileges under no-new-privileges:\n" + r);
    }
}
