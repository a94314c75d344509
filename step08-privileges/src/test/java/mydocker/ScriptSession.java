package mydocker;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A shell command run under script(1), which gives it a pseudo-terminal as a user's terminal
 * would: what we type goes in through the terminal, what it prints is read back.
 */
final class ScriptSession implements AutoCloseable {

    private final Process process;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final OutputStream input;

    ScriptSession(String shellCommand) {
        this(List.of(), shellCommand);
    }

    ScriptSession(List<String> prefix, String shellCommand) {
        Mydocker.requireCommand("script");
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of("script", "-qfec", shellCommand, "/dev/null"));
        process = Mydocker.start(cmd, Map.of("TERM", "xterm"));
        Mydocker.pump(process.getInputStream(), output);
        Mydocker.pump(process.getErrorStream(), output);
        input = process.getOutputStream();
    }

    void send(String keys) {
        try {
            input.write(keys.getBytes(StandardCharsets.UTF_8));
            input.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String output() {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits until the output contains {@code text}. */
    void expect(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!output().contains(text)) {
            if (System.nanoTime() > deadline) {
                fail("no " + Mydocker.quote(text) + " in the terminal within 30 s; it shows:\n" + output());
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits for the session to end and returns its exit status (script -e passes the
     * command's on). Input stays open: at end of input script would type an EOF of its own.
     */
    int waitFor() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            close();
            fail("the terminal session did not end within 60 s; it shows:\n" + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        try {
            input.close();
        } catch (IOException ignored) {
            // already gone
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
