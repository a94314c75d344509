package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code mydocker run} killed with SIGKILL, which no handler can catch, takes its container
 * along: init asked for SIGKILL when its parent dies (PR_SET_PDEATHSIG), and when PID 1 of a
 * PID namespace dies the kernel kills every other process in it.
 */
class FaultTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to kill the launcher, whoever it runs as
    }

    @Test
    void killedRunLeavesNoProcessOfItsContainer() throws Exception {
        // The shell is the container's PID 1; the backgrounded sleep is a process below it.
        Process run = Mydocker.start(Mydocker.launcher(), Map.of(), "run", "sh", "-c", "sleep 1000 & sleep 1001");
        List<ProcessHandle> sleeps = List.of();
        for (int i = 0; i < 600 && sleeps.size() < 2; i++) {
            Thread.sleep(100);
            sleeps = run.descendants().filter(FaultTest::isSleep).toList();
        }
        if (sleeps.size() < 2) {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
            fail("the container's two sleeps did not start within a minute: " + sleeps);
        }
        run.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
        assertEquals(137, run.waitFor());
        for (int i = 0; i < 100 && sleeps.stream().anyMatch(ProcessHandle::isAlive); i++) {
            Thread.sleep(100);
        }
        List<Long> stray = sleeps.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
        stray.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        assertTrue(stray.isEmpty(), "the container's sleeps outlived their killed mydocker run: pids " + stray);
    }

    private static boolean isSleep(ProcessHandle p) {
        return p.info().command().map(c -> c.endsWith("/sleep")).orElse(false);
    }
}
