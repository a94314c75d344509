package mydocker;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mydocker.OverlayTest.User;

/**
 * A container run in the foreground by a child process of the test, for exec to join: its
 * command prints "ready" once it is set up, then waits. Closing it stops it with SIGTERM,
 * which mydocker run forwards to PID 1 (the script traps it), and --rm removes it.
 */
final class RunningContainer implements AutoCloseable {

    /** PID 1's script: TERM ends it at once, even while it waits for its sleep. */
    static final String WAIT = "trap 'exit 0' TERM; sleep 1000 & wait";

    final String name;
    final User user;
    private final Process process;
    private final StringBuilder output = new StringBuilder();

    RunningContainer(User user, String name, List<String> runOptions, String script) {
        this.user = user;
        this.name = name;
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", name));
        args.addAll(runOptions);
        args.addAll(List.of(Mydocker.IMAGE, "sh", "-c", script));
        process = Mydocker.start(prefix(user), Map.of(), args.toArray(String[]::new));
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Mydocker.pump(process.getErrorStream(), new java.io.ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                synchronized (output) {
                    output.append(new String(b, off, len, StandardCharsets.UTF_8));
                }
            }
        });
        try {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.equals("ready")) {
                    awaitRunningState();
                    return;
                }
                output.append(line).append('\n');
            }
            process.waitFor(10, TimeUnit.SECONDS);
            fail("the container " + name + " ended before it was ready:\n" + output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * The command can print "ready" before run has saved the state with its pid: a test that
     * reads or rewrites the state would race run's own write. Waits for it, 10 s at most.
     */
    private void awaitRunningState() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String state = "";
        while (System.nanoTime() < deadline) {
            try {
                state = Files.readString(Mydocker.upper(user.store, name).getParent().resolve("state.json"));
                if (state.contains("\"status\":\"running\"")) {
                    return;
                }
            } catch (IOException | AssertionError notYet) {
                // the state is written by rename; its directory may not be listed yet
            }
            Thread.sleep(20);
        }
        fail("the container " + name + " printed ready, but its state did not say running within 10 s: " + state);
    }

    /** A waiting container of busybox. */
    RunningContainer(User user, String name, String... runOptions) {
        this(user, name, List.of(runOptions), "echo ready; " + WAIT);
    }

    static List<String> prefix(User user) {
        return user == User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher();
    }

    /** mydocker exec ARGS... NAME is the first of ARGS' positionals: give it in {@code args}. */
    Mydocker.Result mydocker(String... args) {
        return Mydocker.exec(prefix(user), null, Map.of(), args);
    }

    Mydocker.Result exec(String... command) {
        List<String> args = new ArrayList<>(List.of("exec", name));
        args.addAll(List.of(command));
        return mydocker(args.toArray(String[]::new));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM to mydocker run, which passes it on to PID 1
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
