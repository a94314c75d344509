package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Mydocker.Result r = Mydocker.run("--trace", "run", "--rm", "-h", "box", Mydocker.IMAGE, "/bin/true");
        assertEquals(0, r.status(), r.toString());
        List<String> steps = r.err().lines().filter(l -> l.startsWith("[init] ")).map(l -> l.substring(7)).toList();
        List<String> expected = List.of("read(", "setresuid(0, 0, 0) = 0", "prctl(PR_SET_PDEATHSIG, SIGKILL) = 0",
                "close_range(", "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) = 0", "mount(\"overlay\", ",
                "mount(\"proc\", ", "mount(\"tmpfs\", ", "pivot_root(\".\", \".\") = 0", "umount2(\".\", MNT_DETACH) = 0",
                "sethostname(\"box\") = 0", "openat2(AT_FDCWD, \"/\", ", "fchdir(", "setsid() = 1",
                "rt_sigprocmask(SIG_SETMASK, {}) = 0", "execve(\"/bin/true\", [\"/bin/true\"]");
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
        Mydocker.Result r = Mydocker.run("--trace", "run", "--rm", Mydocker.IMAGE, "true");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().matches("(?s).*\\[init] execve\\(\"/usr/local/sbin/true\", \\[\"true\"], \\[\\d+ vars]\\) = -1 ENOENT.*"),
                r.err());
        assertTrue(r.err().matches("(?s).*\\[init] execve\\(\"/(usr/)?s?bin/true\", \\[\"true\"], \\[\\d+ vars]\\) = 0 .*"), r.err());
        Mydocker.Result missing = Mydocker.run("run", "--rm", Mydocker.IMAGE, "no-such-command");
        assertEquals(127, missing.status(), missing.toString());
        assertTrue(missing.err().startsWith("mydocker: exec \"no-such-command\": executable file not found in $PATH"),
                missing.toString());
    }

    @Test
    void aFailedStepIsOneLineWithItsCallAndErrno() {
        Mydocker.Result r = Mydocker.run("run", "--rm", Mydocker.IMAGE, "/etc");
        assertEquals(126, r.status(), r.toString());
        assertEquals("mydocker: exec \"/etc\": EACCES (Permission denied)\n", r.err());
    }
}
