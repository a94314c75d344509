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

/**
 * The cloned child runs only its plan; a watchdog kills a child that hung in a futex before
 * its first step, and leaves a slow one alone.
 */
class CloneExecTest {

    private static final String RETRY = "hung in a futex";

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    /** How soon it notices is a number for bench/, not a test: here, that it notices and recovers. */
    @Test
    void watchdogKillsAHungChildAndClonesAgain() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_HANG_CHILD", "1"), "run", "sh", "-c", "echo ran");
        assertEquals(0, r.status(), r.toString());
        assertEquals("ran\n", r.out());
        assertEquals(1, r.err().lines().filter(l -> l.contains(RETRY)).count(), r.toString());
    }

    @Test
    void watchdogGivesUpAfterThreeHangs() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_HANG_CHILD", "3"), "run", "sh", "-c", "echo ran");
        assertEquals(125, r.status(), r.toString());
        assertEquals("", r.out());
        assertEquals(2, r.err().lines().filter(l -> l.contains(RETRY)).count(), r.toString());
        assertTrue(r.err().contains("mydocker: the cloned child hung before its first step, 3 times"), r.toString());
    }

    /** A child that waits in read for a go-ahead that comes 3 s late is slow, not hung. */
    @Test
    void aSlowChildIsNotKilled() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_SLOW_GO_AHEAD", "3000"), "run", "sh", "-c", "echo ran");
        assertEquals(0, r.status(), r.toString());
        assertEquals("ran\n", r.out());
        assertEquals("", r.err());
    }

    /**
     * Many runs, two at a time, none may hang or need the watchdog. The full 300 run in the
     * newest step only; earlier steps carry a short loop, so that the suite stays short.
     */
    @Test
    void manyRunsWithoutAHangOrARetry() throws Exception {
        boolean newest = System.getProperty("mydocker.step", "").equals(System.getProperty("mydocker.newestStep"));
        int runs = newest ? 300 : 20;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Mydocker.Result>> results = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                results.add(pool.submit(() -> Mydocker.run("run", "/bin/true")));
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
