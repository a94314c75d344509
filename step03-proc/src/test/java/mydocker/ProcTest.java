package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The container's own /proc: only its processes, mounted safely, and the host's left alone. */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class ProcTest {

    private static final String LIST = "ps -e -o pid=,comm=; echo; ls /proc | grep -c '^[0-9]'";

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void onlyTheContainersProcessesAsAnOrdinaryUser() {
        assertOnlyContainerProcesses(Mydocker.run("run", "sh", "-c", LIST));
    }

    @Test
    void onlyTheContainersProcessesAsRoot() {
        assertOnlyContainerProcesses(Mydocker.runAsRoot("run", "sh", "-c", LIST));
    }

    private static void assertOnlyContainerProcesses(Mydocker.Result r) {
        assertEquals(0, r.status(), r.toString());
        String[] parts = r.out().split("\n\n");
        List<String> ps = parts[0].lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList();
        assertEquals("1 sh", ps.get(0), "PID 1 is the command:\n" + r);
        assertEquals(List.of("sh", "ps"), ps.stream().map(l -> l.split(" ")[1]).toList(), r.toString());
        int pids = Integer.parseInt(parts[1].strip());
        assertTrue(pids <= 4, "/proc lists " + pids + " processes, not the container's few:\n" + r);
    }

    @Test
    void procSelfAndPid1AndMountsDescribeTheContainer() {
        Mydocker.Result r = Mydocker.run("run", "sh", "-c",
                "readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; tr '\\0' ' ' </proc/1/cmdline; echo;"
                        + " grep '^proc /proc ' /proc/mounts | tail -n 1"); // the host's lies underneath
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(lines.get(0), lines.get(1), "/proc/self and /proc/1 are in one PID namespace:\n" + r);
        assertTrue(!lines.get(0).equals(Mydocker.host("readlink", "/proc/self/ns/pid").strip()),
                "the container's /proc/self is in the host's PID namespace");
        assertTrue(lines.get(2).startsWith("sh -c readlink /proc/self/ns/pid"), "PID 1 is the command:\n" + r);
        assertTrue(lines.get(3).startsWith("proc /proc proc rw,nosuid,nodev,noexec"), r.toString());
    }

    @Test
    void procIsMountedNosuidNodevNoexec() {
        Mydocker.Result r = Mydocker.run("run", "sh", "-c", "grep ' /proc ' /proc/self/mountinfo | tail -n 1");
        String options = r.out().split(" ")[5];
        for (String flag : List.of("nosuid", "nodev", "noexec")) {
            assertTrue(List.of(options.split(",")).contains(flag), "no " + flag + " on /proc: " + r.out());
        }
    }

    @Test
    void hostProcAndMountTableUnchanged() throws IOException {
        String before = Files.readString(Path.of("/proc/self/mountinfo"));
        for (int i = 0; i < 3; i++) {
            assertEquals(0, Mydocker.run("run", "true").status());
            assertEquals(0, Mydocker.runAsRoot("run", "true").status());
        }
        assertEquals(before, Files.readString(Path.of("/proc/self/mountinfo")), "the host's mount table changed");
        assertTrue(Files.exists(Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "status")),
                "the host's /proc no longer shows the host's processes");
    }

    /** systemd makes / shared; without MS_PRIVATE first, mounts would cross over. */
    @Test
    void hostUnchangedUnderSharedPropagation() {
        Mydocker.requireCommand("unshare");
        String nobody = Mydocker.launcherCommand();
        String root = Mydocker.LAUNCHER.toString();
        String script = "findmnt -no PROPAGATION / ; before=$(cat /proc/self/mountinfo);"
                + " for i in 1 2; do " + nobody + " run true && " + root + " run -h box true || exit 9; done;"
                + " [ \"$before\" = \"$(cat /proc/self/mountinfo)\" ] && echo mounts-same;"
                + " [ -e /proc/$$/status ] && echo host-proc-ok";
        Mydocker.Result r = Mydocker.exec(List.of("unshare", "-m", "--propagation", "shared", "sh", "-c", script),
                null, Map.of());
        assertEquals("shared\nmounts-same\nhost-proc-ok\n", r.out(), r.toString());
    }

    /** MS_PRIVATE's other half: a mount the host makes while the container runs stays outside. */
    @Test
    void hostMountsMadeLaterStayOutside() {
        Mydocker.requireCommand("unshare");
        Mydocker.requireCommand("pgrep");
        String script = "out=$(mktemp); " + Mydocker.launcherCommand() + " run sh -c"
                + " 'sleep 7; grep -c mydocker-marker /proc/self/mountinfo' >$out &"
                + " until pgrep -f '^sleep 7$' >/dev/null; do sleep 0.1; done;"
                + " mount -t tmpfs mydocker-marker /mnt && grep -c mydocker-marker /proc/self/mountinfo;"
                + " wait; cat $out; rm $out";
        Mydocker.Result r = Mydocker.exec(List.of("unshare", "-m", "--propagation", "shared", "sh", "-c", script),
                null, Map.of());
        assertEquals("1\n0\n", r.out(), "mounted on the host, then counted inside:\n" + r);
    }

    /** Inside docker /proc/kcore and friends are masked by mounts, and the kernel refuses a new proc. */
    @Test
    void overMountedProcIsExplained() {
        Mydocker.requireCommand("unshare");
        String script = "mount --bind /dev/null /proc/meminfo && exec " + Mydocker.launcherCommand() + " run true";
        Mydocker.Result r = Mydocker.exec(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script),
                null, Map.of());
        assertEquals(125, r.status(), r.toString());
        Function<String, Boolean> says = r.err()::contains;
        assertTrue(says.apply("mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL): EPERM"),
                r.toString());
        assertTrue(says.apply("/proc/meminfo is covered by another mount (moby issue 26070)"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
    }
}
