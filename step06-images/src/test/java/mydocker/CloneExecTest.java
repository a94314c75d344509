package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cloned child runs child.c's code and no Java; a child that never finishes its setup is
 * killed and reported at a deadline, and a slow one is left alone.
 */
class CloneExecTest {

    private static final String READ = "aarch64".equals(System.getProperty("os.arch")) ? "63" : "0";

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    /**
     * While it waits for its go-ahead, the child is blocked in read(2) at an instruction of
     * an anonymous executable page: the copy of child.c's code, not libc's syscall() that
     * Java code would have called.
     */
    @Test
    void theChildWaitsInChildCodeNotInTheJvmOrLibc() throws Exception {
        Process p = Mydocker.start(Mydocker.launcher(), Map.of("MYDOCKER_FAULT_SLOW_GO_AHEAD", "4000"),
                RUN_TRUE);
        try {
            String[] syscall = waitingChild(p).orElseThrow(() -> new AssertionError("no child blocked in read"));
            long pc = Long.parseUnsignedLong(syscall[1].substring(2), 16);
            String mapping = mappingOf(Long.parseLong(syscall[0]), pc);
            String[] f = mapping.split("\\s+");
            assertEquals("r-xp", f[1], mapping);
            assertEquals(5, f.length, "an anonymous mapping, no file: " + mapping);
            Mydocker.Result r = Mydocker.finish(p, null);
            assertEquals(0, r.status(), r.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    /** How soon it notices is a number for bench/, not a test: here, that it notices and cleans up. */
    @Test
    void aChildThatNeverFinishesIsKilledAndReported() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_HANG_CHILD", "1000"), RUN_SH_ECHO);
        assertEquals(125, r.status(), r.toString());
        assertEquals("", r.out());
        Matcher m = Pattern.compile("mydocker: the cloned child (\\d+) had not finished its setup 1000 ms after its"
                + " go-ahead; killed it").matcher(r.err());
        assertTrue(m.find(), r.toString());
        assertFalse(Files.exists(Path.of("/proc/" + m.group(1))), "the hung child is gone");
    }

    /** A child that waits in read for a go-ahead that comes 3 s late is slow, not hung. */
    @Test
    void aSlowChildIsNotKilled() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_FAULT_SLOW_GO_AHEAD", "3000"), RUN_SH_ECHO);
        assertEquals(0, r.status(), r.toString());
        assertEquals("ran\n", r.out());
        assertEquals("", r.err());
    }

    /**
     * Many runs, two at a time, with the JIT on, and every other one with a thread allocating
     * in its parent as it clones: none may fail or hang. The full 300 run in the newest step
     * only; earlier steps carry a short loop, so that the suite stays short.
     * bench/clone-hang.sh runs thousands.
     */
    @Test
    void manyRunsAllSucceed() throws Exception {
        boolean newest = System.getProperty("mydocker.step", "").equals(System.getProperty("mydocker.newestStep"));
        int runs = newest ? 300 : 20;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Mydocker.Result>> results = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                Map<String, String> env = i % 2 == 0 ? Map.of() : Map.of("MYDOCKER_FAULT_BUSY_PARENT", "1");
                results.add(pool.submit(() -> Mydocker.runWithEnv(env, RUN_TRUE)));
            }
            int failed = 0;
            for (Future<Mydocker.Result> f : results) {
                Mydocker.Result r = f.get();
                failed += r.status() == 0 && r.err().isEmpty() ? 0 : 1;
            }
            System.out.printf("%d runs: %d failed%n", runs, failed);
            assertEquals(0, failed, "runs that failed, hung or warned");
        } finally {
            pool.shutdownNow();
        }
    }

    /** {pid, pc} of the launcher's child once it is blocked in read, within ten seconds. */
    private static Optional<String[]> waitingChild(Process p) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            for (ProcessHandle c : (Iterable<ProcessHandle>) p.children()::iterator) {
                try {
                    String[] f = Files.readString(Path.of("/proc/" + c.pid() + "/syscall")).trim().split(" ");
                    if (f[0].equals(READ)) {
                        return Optional.of(new String[] {String.valueOf(c.pid()), f[f.length - 1]});
                    }
                } catch (IOException gone) {
                    // not yet there, or already gone
                }
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    private static String mappingOf(long pid, long pc) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
            String[] range = line.split(" ", 2)[0].split("-");
            if (Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), pc) <= 0
                    && Long.compareUnsigned(pc, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return line.trim();
            }
        }
        throw new AssertionError("pc 0x" + Long.toHexString(pc) + " in no mapping of " + pid);
    }

    private static final String[] RUN_TRUE = {"run", "--rm", Mydocker.IMAGE, "/bin/true"};
    private static final String[] RUN_SH_ECHO = {"run", Mydocker.IMAGE, "sh", "-c", "echo ran"};
}
