package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** run -d: the id at once, the container in a session of its own, its end recorded by the waiter. */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class DetachTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void theExitStatusAndTimesAreRecorded(List<String> who) {
        String name = "exit3-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sh", "-c", "sleep 1; exit 3");
        String line = Detached.awaitExited(who, name, 3);
        assertTrue(line.matches(".*Exited \\(3\\) .* ago .*"), line);
        assertEquals(3, Detached.field(who, name, "exitCode"));
        assertFalse(Detached.text(who, name, "startedAt").isEmpty());
        assertFalse(Detached.text(who, name, "finishedAt").isEmpty());
        assertEquals("exited", Detached.text(who, name, "status"));
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    /**
     * The waiter lives as long as its container, and holds only its stdio and what its own JVM
     * opens: no descriptor of the shim's JVM (the JDK's socket pair was one), none of a caller
     * that left one open without close-on-exec (here a shell's fd 7).
     */
    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void theWaiterKeepsNoDescriptorOfTheShimOrTheCaller(List<String> who) throws Exception {
        String name = "descriptors-" + who.size();
        List<String> holding = new ArrayList<>(who.subList(0, who.size() - 1)); // [setpriv ...] mydocker
        holding.addAll(List.of("sh", "-c", "exec 7</etc/hostname; exec \"$@\"", "sh", who.get(who.size() - 1)));
        Detached.start(holding, "--name", name, Mydocker.IMAGE, "sleep", "1000");
        long waiter = Detached.parentOf(Detached.field(who, name, "pid"));
        List<String> unexpected = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/" + waiter + "/fd"))) {
            for (Path fd : fds.toList()) {
                String target = Files.readSymbolicLink(fd).toString();
                boolean own = target.endsWith("/lib/modules") || target.endsWith("/mydocker.jar")
                        || target.equals("/dev/random") || target.equals("/dev/urandom") || target.contains("/container.log");
                if (Integer.parseInt(fd.getFileName().toString()) > 2 && !own) {
                    unexpected.add(fd.getFileName() + " -> " + target);
                }
            }
        } finally {
            Detached.as(who, "rm", "-f", name);
        }
        assertEquals(List.of(), unexpected, "descriptors the waiter kept from the shim or the caller");
    }

    /**
     * What close_range cannot cover: a file that another thread of the shim's JVM opens between
     * it and the exec of the waiter. With a dynamic number of compiler threads, the JVM weighs
     * starting another by reading the cgroup's memory files, through descriptors that are not
     * close-on-exec, while the program runs; a waiter once inherited memory.stat that way. The
     * launcher fixes the number of compiler threads, and -Xlog:os+container shows every read.
     */
    @Test
    void theLaunchersJvmReadsNoCgroupFileOnceMydockerRuns() throws Exception {
        // Made by the JVM under test, which may run as an ordinary user, in the tests' /tmp (1777).
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "cgroup-reads-" + ProcessHandle.current().pid() + ".log");
        Files.deleteIfExists(log);
        Mydocker.Result r = Mydocker.runWithEnv(
                Map.of("JAVA_TOOL_OPTIONS", "-Xlog:os+container=trace,class+load=info:file=" + log + ":uptime"),
                "run", "--rm", Mydocker.IMAGE, "true");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = Files.readAllLines(log);
        Files.delete(log);
        int main = 0;
        while (main < lines.size() && !lines.get(main).contains(" mydocker.Main ")) main++;
        assertTrue(main < lines.size(), "mydocker.Main never loaded:\n" + String.join("\n", lines));
        assertTrue(lines.subList(0, main).stream().anyMatch(l -> l.contains("Memory Limit")),
                "the JVM logged no read of the cgroup's memory limit as it started, so this test cannot see one later");
        List<String> reads = lines.subList(main, lines.size()).stream().filter(l -> l.contains("Memory Limit")).toList();
        assertEquals(List.of(), reads, "cgroup reads by the JVM while mydocker ran");
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void theContainerAndItsWaiterHaveNoTerminalAndASessionOfTheirOwn(List<String> who) throws Exception {
        String name = "session-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sleep", "1000");
        long pid = Detached.field(who, name, "pid");
        long waiter = Detached.parentOf(pid);
        assertEquals(waiter, Detached.sessionOf(waiter), "the waiter leads a session of its own");
        assertNotEquals(Detached.sessionOf(ProcessHandle.current().pid()), Detached.sessionOf(waiter));
        assertEquals(0, Detached.ttyOf(waiter), "the waiter has no controlling terminal");
        assertEquals(0, Detached.ttyOf(pid), "the container has no controlling terminal");
        assertTrue(ProcessHandle.of(waiter).flatMap(p -> p.info().arguments()).map(a -> List.of(a).contains("mydocker.Waiter"))
                .orElse(false), "the shim became the waiter");
        Mydocker.Result rm = Detached.as(who, "rm", name);
        assertEquals(125, rm.status(), rm.toString());
        assertTrue(rm.err().matches("mydocker: container " + name + " is running; stop it first .*\n"), rm.toString());
        Mydocker.Result force = Detached.as(who, "rm", "-f", name);
        assertEquals(0, force.status(), force.toString());
        assertFalse(Detached.as(who, "ps", "-a").out().contains(name));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "rm -f left the container running");
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void withRmTheContainerIsRemovedWhenItExits(List<String> who) {
        String name = "rm-d-" + who.size();
        Detached.start(who, "--rm", "--name", name, Mydocker.IMAGE, "sh", "-c", "sleep 1");
        Detached.awaitPs(who, name, l -> l == null);
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void failuresBeforeTheStartAreOneLine(List<String> who) {
        Mydocker.Result t = Detached.as(who, "run", "-d", "-t", Mydocker.IMAGE, "true");
        assertEquals(125, t.status(), t.toString());
        assertTrue(t.err().matches("mydocker: -t with -d: [^\n]*\n"), t.toString());
        Mydocker.Result missing = Detached.as(who, "run", "-d", "no-such-image", "true");
        assertEquals(125, missing.status(), missing.toString());
        assertEquals(1, missing.err().lines().count(), missing.toString());
        assertEquals("", missing.out(), missing.toString());
        Mydocker.Result notFound = Detached.as(who, "run", "-d", Mydocker.IMAGE, "/no/such/command");
        assertEquals(127, notFound.status(), notFound.toString());
        assertEquals(1, notFound.err().lines().count(), notFound.toString());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void aKilledWaiterTakesItsContainerAlongAndTheStateSaysSo(List<String> who) throws Exception {
        String name = "killed-waiter-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sleep", "1000");
        long pid = Detached.field(who, name, "pid");
        long waiter = Detached.parentOf(pid);
        ProcessHandle container = ProcessHandle.of(pid).orElseThrow();
        ProcessHandle.of(waiter).orElseThrow().destroyForcibly();
        container.onExit().join(); // PR_SET_PDEATHSIG: nothing left running unrecorded
        Mydocker.Result ps = Detached.as(who, "ps", "-a");
        assertTrue(ps.out().lines().anyMatch(l -> l.contains(" " + name + " ") && l.contains("Exited (137)")), ps.toString());
        assertTrue(ps.err().contains("container " + name + " lost its mydocker run or waiter"), ps.toString());
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void everythingKilledAtOnceLeavesStateTheNextCommandReads(List<String> who) throws Exception {
        String name = "reboot-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sleep", "1000");
        long pid = Detached.field(who, name, "pid");
        ProcessHandle waiter = ProcessHandle.of(Detached.parentOf(pid)).orElseThrow();
        ProcessHandle container = ProcessHandle.of(pid).orElseThrow();
        container.destroyForcibly();
        waiter.destroyForcibly();
        container.onExit().join();
        waiter.onExit().join();
        Detached.awaitPs(who, name, l -> l != null && (l.contains("Exited (137)")));
        Mydocker.Result stop = Detached.as(who, "stop", name);
        assertEquals(0, stop.status(), stop.toString());
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    /**
     * Twenty at once in the newest step; earlier steps carry five, so that the suite of every
     * step stays short (twenty take about a minute a user on 2 cores).
     */
    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void manyStartedAndStoppedConcurrently(List<String> who) throws Exception {
        boolean newest = System.getProperty("mydocker.step", "").equals(System.getProperty("mydocker.newestStep"));
        int count = newest ? 20 : 5;
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<Mydocker.Result>> starts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = "many-" + who.size() + "-" + i;
                starts.add(pool.submit(() -> Detached.asPatiently(who, "run", "-d", "--name", name, Mydocker.IMAGE,
                        "sh", "-c", "trap 'exit 143' TERM; sleep 1000 & wait")));
            }
            for (Future<Mydocker.Result> f : starts) {
                Mydocker.Result r = f.get();
                assertEquals(0, r.status(), r.toString());
                assertTrue(r.out().matches("[0-9a-f]{12}\n"), r.toString());
            }
            Mydocker.Result ps = Detached.as(who, "ps");
            for (int i = 0; i < count; i++) {
                String name = "many-" + who.size() + "-" + i;
                assertTrue(ps.out().lines().anyMatch(l -> l.contains(" " + name + " ") && l.contains(" Up ")), ps.toString());
            }
            List<Future<Mydocker.Result>> stops = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = "many-" + who.size() + "-" + i;
                stops.add(pool.submit(() -> Detached.asPatiently(who, "stop", "-t", "60", name)));
            }
            for (Future<Mydocker.Result> f : stops) {
                Mydocker.Result r = f.get();
                assertEquals(0, r.status(), r.toString());
            }
            Mydocker.Result after = Detached.as(who, "ps", "-a");
            for (int i = 0; i < count; i++) {
                String name = "many-" + who.size() + "-" + i;
                assertTrue(after.out().lines().anyMatch(l -> l.contains(" " + name + " ") && l.contains("Exited (143)")),
                        after.toString());
            }
        } finally {
            pool.shutdownNow();
            for (int i = 0; i < count; i++) {
                Detached.asPatiently(who, "rm", "-f", "many-" + who.size() + "-" + i); // nothing left for the next test
            }
        }
    }
}
