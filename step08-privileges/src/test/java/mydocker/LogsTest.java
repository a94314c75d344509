package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** logs: stdout and stderr in order, nothing lost, capped at two files, -f until the end. */
class LogsTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    private static String seq(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void tenMegabytesWrittenFastAreAllThereInOrder(List<String> who) {
        String name = "ten-mb-" + who.size();
        // 1,500,000 numbered lines: 10,888,896 bytes, more than one log file holds (8 MiB): it rotates once.
        Detached.start(who, "--name", name, Mydocker.IMAGE, "seq", "1", "1500000");
        Mydocker.Result follow = Detached.as(who, "logs", "-f", name); // started while seq writes, ends when it exits
        assertEquals(0, follow.status(), follow.err());
        String expected = seq(1, 1500000);
        assertEquals(10_888_896, expected.length());
        assertTrue(expected.equals(follow.out()), "logs -f: " + follow.out().length() + " bytes, not the 10,888,896 written in order");
        Detached.awaitExited(who, name, 0);
        Mydocker.Result logs = Detached.as(who, "logs", name);
        assertTrue(expected.equals(logs.out()), "logs: " + logs.out().length() + " bytes, not the 10,888,896 written in order");
        Mydocker.Result tail = Detached.as(who, "logs", "--tail", "3", name);
        assertEquals("1499998\n1499999\n1500000\n", tail.out(), tail.toString());
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void theCapKeepsTheNewestTwoFiles(List<String> who) {
        String name = "capped-" + who.size();
        Mydocker.Result r = Mydocker.exec(who, null, Map.of("MYDOCKER_LOG_MAX_BYTES", "100000"),
                "run", "-d", "--name", name, Mydocker.IMAGE, "seq", "1", "100000");
        assertEquals(0, r.status(), r.toString());
        Detached.awaitExited(who, name, 0);
        String logs = Detached.as(who, "logs", name).out();
        String all = seq(1, 100000);
        assertTrue(all.endsWith(logs), "the kept log is the end of the output");
        assertTrue(logs.length() > 100000 && logs.length() <= 200000, logs.length() + " bytes kept, 100000 a file");
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void stdoutAndStderrInTheOrderWrittenAndFollowEndsAtTheExit(List<String> who) {
        String name = "order-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sh", "-c", "echo 1; echo 2 >&2; sleep 2; echo 3; echo 4 >&2");
        Mydocker.Result follow = Detached.as(who, "logs", "-f", name);
        assertEquals(0, follow.status(), follow.toString());
        assertEquals("1\n2\n3\n4\n", follow.out(), follow.toString());
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    /**
     * PID 1 gone, the exit is recorded a moment later, by a JVM of the waiter's that takes the
     * containers lock. Holding that lock here stretches the moment: logs -f must outlast it,
     * and ps shows it as Exiting meanwhile.
     */
    @org.junit.jupiter.api.Test
    void followEndsOnlyOnceTheExitIsRecorded() throws Exception {
        List<String> root = List.of(Mydocker.LAUNCHER.toString());
        String name = "recorded";
        Detached.start(root, "--name", name, Mydocker.IMAGE, "sh", "-c", "sleep 3; echo done");
        Process follow;
        try (java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(
                Mydocker.ROOT_STORE.resolve("containers.lock"), java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock held = lock.lock()) {
            follow = Mydocker.start(root, Map.of(), "logs", "-f", name);
            Detached.awaitPs(root, name, l -> l != null && l.contains("Exiting"));
            assertFalse(follow.waitFor(2, java.util.concurrent.TimeUnit.SECONDS), "logs -f ended before the exit was recorded");
        }
        Mydocker.Result r = Mydocker.finish(follow, null);
        assertEquals(0, r.status(), r.toString());
        assertEquals("done\n", r.out(), r.toString());
        String ps = Detached.as(root, "ps", "-a").out(); // at once: no waiting
        assertTrue(ps.lines().anyMatch(l -> l.contains(" " + name + " ") && l.contains("Exited (0)")), ps);
        assertEquals(0, Detached.as(root, "rm", name).status());
    }

    /** As root: the store is a small tmpfs, which the log fills. */
    @org.junit.jupiter.api.Test
    void aFullDiskLosesOutputSaysSoAndTheExitIsStillRecorded(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws java.io.IOException {
        Archives.readable(tmp);
        java.nio.file.Path mount = java.nio.file.Files.createDirectory(tmp.resolve("small"));
        Mydocker.host("mount", "-t", "tmpfs", "-o", "size=4m,mode=755", "tmpfs", mount.toString());
        try {
            Map<String, String> env = Map.of("MYDOCKER_ROOT", mount.resolve("store").toString());
            List<String> root = List.of(Mydocker.LAUNCHER.toString());
            java.nio.file.Path busybox = Archives.write(tmp.resolve("busybox.tar"), Archives.busybox());
            assertEquals(0, Mydocker.exec(root, null, env, "import", busybox.toString(), Mydocker.IMAGE).status());
            // 6.9 MB of output and then one line, into what is left of 4 MB.
            Mydocker.Result r = Mydocker.exec(root, null, env, "run", "-d", "--name", "filler", Mydocker.IMAGE,
                    "sh", "-c", "seq 1 1000000; echo done");
            assertEquals(0, r.status(), r.toString());
            Mydocker.Result follow = Mydocker.exec(root, null, env, "logs", "-f", "filler"); // until the exit is recorded
            assertEquals(0, follow.status(), follow.toString());
            Mydocker.Result ps = Mydocker.exec(root, null, env, "ps", "-a");
            assertTrue(ps.out().lines().anyMatch(l -> l.contains(" filler ") && l.contains("Exited (0)")), ps.toString());
            Mydocker.Result logs = Mydocker.exec(root, null, env, "logs", "filler");
            assertEquals(0, logs.status(), logs.err());
            assertTrue(logs.out().startsWith("1\n2\n3\n"), "the output before the disk ran full is kept");
            assertTrue(logs.out().matches("(?s).*\\[mydocker: \\d+ bytes of output lost: no space left on the device\\]\n.*")
                    || !logs.out().endsWith("done\n"), "a loss is said, or the end is missing: " + logs.out().length());
            assertEquals(0, Mydocker.exec(root, null, env, "rm", "filler").status());
        } finally {
            Mydocker.host("umount", mount.toString());
        }
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void logsOfAMissingContainerIsOneLine(List<String> who) {
        Mydocker.Result r = Detached.as(who, "logs", "no-such-container");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().matches("mydocker: no such container [^\n]*\n"), r.toString());
    }
}
