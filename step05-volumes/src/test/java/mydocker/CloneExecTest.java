package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The clone-then-exec rule of DESIGN.md section 3, and the watchdog behind it. */
class CloneExecTest {

    private static final String RETRY = "did not reach execve";

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void watchdogKillsAStuckChildAndRetries() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_STALL_CHILD", "1"), "run", Mydocker.IMAGE, "sh", "-c", "echo ran");
        assertEquals(0, r.status(), r.toString());
        assertEquals("ran\n", r.out());
        assertEquals(1, r.err().lines().filter(l -> l.contains(RETRY)).count(), r.toString());
    }

    @Test
    void watchdogGivesUpAfterTheRetry() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_STALL_CHILD", "2"), "run", Mydocker.IMAGE, "sh", "-c", "echo ran");
        assertEquals(125, r.status(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("mydocker: the cloned child did not reach execve within 3000 ms, twice"), r.toString());
    }

    /**
     * Many runs, two at a time, none may hang or need the watchdog. The full 500 run in the
     * newest step only; earlier steps carry a short loop (DESIGN.md: loops live in one place).
     */
    @Test
    void manyRunsWithoutAHangOrARetry() throws Exception {
        boolean newest = System.getProperty("mydocker.step", "").equals(System.getProperty("mydocker.newestStep"));
        int runs = newest ? 500 : 20;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Mydocker.Result>> results = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                results.add(pool.submit(() -> Mydocker.run("run", "--rm", Mydocker.IMAGE, "/bin/true")));
            }
            int failed = 0;
            int retried = 0;
            for (Future<Mydocker.Result> f : results) {
                Mydocker.Result r = f.get();
                failed += r.status() == 0 ? 0 : 1;
                retried += r.err().contains(RETRY) ? 1 : 0;
            }
            System.out.printf("%d runs: %d failed, %d watchdog retries%n", runs, failed, retried);
            assertEquals(0, failed, "runs that failed or hung");
            assertEquals(0, retried, "runs that needed the watchdog");
        } finally {
            pool.shutdownNow();
        }
    }
}
