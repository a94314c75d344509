package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mydocker run exits as docker run does: the command's status, 125, 126, 127 or 128+N. */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class ExitStatusTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void commandsOwnStatus() {
        assertEquals(0, Mydocker.run("run", "/bin/true").status());
        assertEquals(7, Mydocker.run("run", "sh", "-c", "exit 7").status());
    }

    @Test
    void notFoundIs127() {
        Mydocker.Result byPath = Mydocker.run("run", "/no/such/command");
        assertEquals(127, byPath.status(), byPath.toString());
        assertTrue(byPath.err().contains("exec \"/no/such/command\": ENOENT"), byPath.toString());

        Mydocker.Result byName = Mydocker.run("run", "no-such-command");
        assertEquals(127, byName.status(), byName.toString());
        assertTrue(byName.err().contains("executable file not found in $PATH"), byName.toString());
        assertOneLine(byName.err());
    }

    @Test
    void notExecutableIs126(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("not-executable.sh");
        Files.writeString(script, "#!/bin/sh\necho ran\n");
        Mydocker.Result r = Mydocker.run("run", script.toString());
        assertEquals(126, r.status(), r.toString());
        assertTrue(r.err().contains("EACCES"), r.toString());
        assertEquals("", r.out());
    }

    @Test
    void killedBySignalIs128PlusN() throws Exception {
        Process p = Mydocker.start(Mydocker.launcher(), Map.of(), "run", "sleep", "60");
        ProcessHandle container = awaitChild(p, "60");
        container.destroyForcibly(); // SIGKILL from the host: the one signal PID 1 cannot refuse
        Mydocker.Result r = Mydocker.finish(p, null);
        assertEquals(128 + 9, r.status(), r.toString());
    }

    @Test
    void runtimeErrorIs125WithOneLine() {
        Mydocker.Result r = Mydocker.run("run", "-h", "not a hostname!", "/bin/true");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: invalid hostname \"not a hostname!\""), r.toString());
        assertOneLine(r.err());

        Mydocker.Result usage = Mydocker.run("run");
        assertEquals(125, usage.status(), usage.toString());
        assertTrue(usage.err().contains("Missing required parameter"), usage.toString());
        assertTrue(usage.err().endsWith("(see: mydocker run --help)\n"), usage.toString());
        assertOneLine(usage.err());
    }

    static void assertOneLine(String err) {
        assertEquals(1, err.strip().lines().count(), "expected one line on stderr:\n" + err);
        assertFalse(err.contains("\tat "), "a stack trace:\n" + err);
    }

    /**
     * The container's PID 1 as the host sees it, once it runs a command whose only argument is
     * {@code argument} (the cloned JVM has it too, among others):
     * a child of the launcher, which first runs a few shell utilities of its own, then java.
     */
    static ProcessHandle awaitChild(Process launcher, String argument) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            List<ProcessHandle> children = launcher.children()
                    .filter(c -> List.of(c.info().arguments().orElse(new String[0])).equals(List.of(argument)))
                    .toList();
            if (!children.isEmpty()) {
                return children.get(0);
            }
            Thread.sleep(10);
        }
        throw new AssertionError("mydocker started no command with " + argument + " within 30 s");
    }
}
