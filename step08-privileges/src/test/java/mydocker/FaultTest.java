package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a killed {@code mydocker run} leaves: its container dies with it (PR_SET_PDEATHSIG),
 * the next command finds the state it could not write and repairs it, and rm cleans it. And
 * what an init that fails halfway through its set-up (a working directory, a volume) leaves:
 * one line, exit 125, and nothing.
 */
class FaultTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void killedRunTakesItsContainerAlongAsAnOrdinaryUser() throws Exception {
        killRunAndRepair(Mydocker.launcher(), "killed-nobody");
    }

    @Test
    void killedRunTakesItsContainerAlongAsRoot() throws Exception {
        killRunAndRepair(List.of(Mydocker.LAUNCHER.toString()), "killed-root");
    }

    @Test
    void killedRunWithRmLeavesNothingOnceNoticed() throws Exception {
        List<String> who = Mydocker.launcher();
        Path store = Mydocker.store(who);
        long pid = startAndKill(who, "killed-rm", "--rm");
        Mydocker.Result ps = Mydocker.exec(who, null, Map.of(), "ps", "-a");
        assertEquals(0, ps.status(), ps.toString());
        assertFalse(ps.out().contains("killed-rm"), ps.toString());
        assertTrue(ps.err().contains("container killed-rm lost its mydocker run"), ps.toString());
        assertFalse(containerDir(store, "killed-rm").isPresent(), "--rm: its directory must go");
        assertFalse(ProcessHandle.of(pid).isPresent(), "the container's init is still there");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void initFailingAfterItsMountsLeavesNothing(OverlayTest.User user) throws Exception {
        // A working directory the image lacks: init has mounted the overlay, /proc, /sys and
        // /dev, and pivoted, before its chdir fails.
        assertFailsCleanly(user, List.of("run", "--rm", "-w", "/mydocker-fault-nowhere", Mydocker.IMAGE, "true"),
                "the working directory: openat2(");
        assertFalse(Files.exists(Path.of("/mydocker-fault-nowhere")), "a working directory made on the host");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void aVolumeTheKernelRefusesLeavesNothing(OverlayTest.User user) throws Exception {
        // Nothing can be made in /proc: init has mounted all but this volume when it fails.
        Path source = Files.createDirectory(Archives.readable(tmp).resolve("volume"));
        Archives.readable(source);
        assertFailsCleanly(user, List.of("run", "--rm", "-v", source + ":/proc/mydocker-fault", Mydocker.IMAGE, "true"),
                "volume " + source + ":/proc/mydocker-fault: making its mount point");
        assertEquals(List.of(), ImageImportTest.list(source), "the failed volume wrote into its source");
    }

    /**
     * Runs a command that init cannot carry out: exit 125, one line that starts with {@code reason},
     * no mount left in the host's mount table and, with --rm, no container directory.
     */
    static void assertFailsCleanly(OverlayTest.User user, List<String> args, String reason) throws IOException {
        Mydocker.importImage();
        List<String> mounts = mountPoints();
        List<String> containers = ImageImportTest.list(user.store.resolve("containers"));
        Mydocker.Result r = user.mydocker(args.toArray(String[]::new));
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: " + reason), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(mounts, mountPoints(), "the failed container left a mount on the host");
        assertEquals(containers, ImageImportTest.list(user.store.resolve("containers")),
                "--rm: the failed container left its directory");
    }

    /** The host's mount points, from this process's mount namespace. */
    static List<String> mountPoints() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4]).sorted().toList();
    }

    private static void killRunAndRepair(List<String> who, String name) throws Exception {
        Path store = Mydocker.store(who);
        long pid = startAndKill(who, name);
        Mydocker.Result ps = Mydocker.exec(who, null, Map.of(), "ps", "-a");
        assertEquals(0, ps.status(), ps.toString());
        assertTrue(ps.out().lines().anyMatch(l -> l.contains(name) && l.contains("Exited (137)")), ps.toString());
        assertTrue(ps.err().contains("container " + name + " lost its mydocker run"), ps.toString());
        assertTrue(Files.readString(containerDir(store, name).orElseThrow().resolve("state.json"))
                .contains("\"status\":\"exited\""), "the repaired state must be saved");
        Mydocker.Result again = Mydocker.exec(who, null, Map.of(), "ps", "-a");
        assertEquals("", again.err(), "repaired once, not at every command");
        Mydocker.Result rm = Mydocker.exec(who, null, Map.of(), "rm", name);
        assertEquals(0, rm.status(), rm.toString());
        assertFalse(containerDir(store, name).isPresent(), "rm must remove its directory");
        assertFalse(ProcessHandle.of(pid).isPresent(), "the container's init is still there");
    }

    /**
     * Starts {@code sleep 1000} in a container, waits until its state says running, SIGKILLs
     * the mydocker run, and returns the container's init pid once it is gone too.
     */
    private static long startAndKill(List<String> who, String name, String... options) throws Exception {
        Path store = Mydocker.store(who);
        List<String> args = new java.util.ArrayList<>(List.of("run", "--name", name));
        args.addAll(List.of(options));
        args.addAll(List.of(Mydocker.IMAGE, "sleep", "1000"));
        Process run = Mydocker.start(who, Map.of(), args.toArray(String[]::new));
        long pid = 0;
        for (int i = 0; i < 600 && pid == 0; i++) {
            pid = runningPid(store, name);
            Thread.sleep(100);
        }
        if (pid == 0) {
            run.destroyForcibly();
            fail("the container did not start within a minute");
        }
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "init pid " + pid);
        run.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
        run.waitFor();
        for (int i = 0; i < 100 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(100);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                "the container (init pid " + pid + ") outlived its killed mydocker run");
        return pid;
    }

    private static final Pattern PID = Pattern.compile("\"status\":\"running\".*\"pid\":(\\d+)");

    private static long runningPid(Path store, String name) throws IOException {
        var dir = containerDir(store, name);
        if (dir.isEmpty()) {
            return 0;
        }
        try {
            Matcher m = PID.matcher(Files.readString(dir.get().resolve("state.json")));
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        }
    }

    private static java.util.Optional<Path> containerDir(Path store, String name) throws IOException {
        try (var dirs = Files.list(store.resolve("containers"))) {
            for (Path dir : dirs.toList()) {
                Path state = dir.resolve("state.json");
                if (Files.exists(state) && Files.readString(state).contains("\"name\":\"" + name + "\"")) {
                    return java.util.Optional.of(dir);
                }
            }
        }
        return java.util.Optional.empty();
    }
}
