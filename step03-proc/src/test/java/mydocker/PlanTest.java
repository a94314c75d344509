package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The container's setup is a plan of system calls the cloned child runs: --trace shows each
 * step with its result, a tolerated errno lets the plan go on, and any other failure ends it
 * with one line naming the step's call and errno.
 */
class PlanTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void traceShowsEveryStepInOrder() {
        Mydocker.Result r = Mydocker.run("--trace", "run", "-h", "box", "/bin/true");
        assertEquals(0, r.status(), r.toString());
        List<String> steps = r.err().lines().filter(l -> l.startsWith("[init] ")).map(l -> l.substring(7)).toList();
        List<String> expected = List.of("read(", "prctl(PR_SET_PDEATHSIG, SIGKILL) = 0", "ppoll(", "close_range(",
                "sethostname(\"box\") = 0", "setsid() = 1", "dup3(", "rt_sigprocmask(SIG_SETMASK, {}) = 0",
                "rt_sigaction(SIGHUP, SIG_DFL) = 0", "execve(\"/bin/true\", [\"/bin/true\"], [3 vars]) = 0");
        int at = 0;
        for (String step : steps) {
            if (at < expected.size() && step.startsWith(expected.get(at))) {
                at++;
            }
        }
        assertEquals(expected.size(), at, "steps in order " + expected + ", got:\n" + String.join("\n", steps));
    }

    /** The PATH search is one execve per directory: "not there" is tolerated, but for the last. */
    @Test
    void pathSearchToleratesNotFoundUntilTheCommandIsFound() {
        Mydocker.Result r = Mydocker.run("--trace", "run", "true");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().contains("[init] execve(\"/usr/local/sbin/true\", [\"true\"], [2 vars]) = -1 ENOENT"), r.err());
        assertTrue(r.err().matches("(?s).*\\[init] execve\\(\"/(usr/)?bin/true\", \\[\"true\"], \\[2 vars]\\) = 0 .*"), r.err());
    }

    /** Another errno ends the plan at once, even with PATH directories left to try, as execvp does. */
    @Test
    void anErrnoThatIsNotToleratedEndsThePlan() throws Exception {
        Path loop = Path.of("/usr/local/sbin", "mydocker-plan-test-loop");
        Files.createSymbolicLink(loop, loop);
        try {
            Mydocker.Result r = Mydocker.run("--trace", "run", "mydocker-plan-test-loop");
            assertEquals(126, r.status(), r.toString());
            assertTrue(r.err().contains("mydocker: exec \"/usr/local/sbin/mydocker-plan-test-loop\": ELOOP"), r.err());
            assertFalse(r.err().contains("execve(\"/usr/local/bin/mydocker-plan-test-loop\""), r.err());
        } finally {
            Files.delete(loop);
        }
    }

    @Test
    void aFailedStepIsOneLineWithItsCallAndErrno() {
        Mydocker.Result r = Mydocker.run("run", "/etc");
        assertEquals(126, r.status(), r.toString());
        assertEquals("mydocker: exec \"/etc\": EACCES (Permission denied)\n", r.err());
    }
}
