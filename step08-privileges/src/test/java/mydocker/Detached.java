package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/** Helpers of the detach tests: who runs the launcher, and waiting for what a waiter records. */
final class Detached {

    private Detached() {}

    static Stream<Arguments> callers() {
        return Stream.of(Arguments.of(Named.of("root", List.of(Mydocker.LAUNCHER.toString()))),
                Arguments.of(Named.of("uid " + Mydocker.NOBODY, Mydocker.launcher())));
    }

    static Mydocker.Result as(List<String> who, String... args) {
        return Mydocker.exec(who, null, Map.of(), args);
    }

    /**
     * The same, with a safety limit of ten minutes instead of one: twenty JVMs starting at once
     * on a small, busy machine take longer than a minute. A limit against hanging, not a timing.
     */
    static Mydocker.Result asPatiently(List<String> who, String... args) {
        Process p = Mydocker.start(who, Map.of(), args);
        try {
            p.getOutputStream().close();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            Thread o = Mydocker.pump(p.getInputStream(), out);
            Thread e = Mydocker.pump(p.getErrorStream(), err);
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("mydocker " + String.join(" ", args) + " did not finish in ten minutes");
            }
            o.join();
            e.join();
            return new Mydocker.Result(p.exitValue(), out.toString(java.nio.charset.StandardCharsets.UTF_8),
                    err.toString(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** run -d ARGS: exit 0 and the id on stdout, nothing on stderr. */
    static String start(List<String> who, String... args) {
        String[] all = Stream.concat(Stream.of("run", "-d"), Stream.of(args)).toArray(String[]::new);
        Mydocker.Result r = as(who, all);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().matches("[0-9a-f]{12}\n"), r.toString());
        assertEquals("", r.err(), r.toString());
        return r.out().strip();
    }

    /** ps -a until a line with {@code name} satisfies {@code done}; a safety limit, not a timing. */
    static String awaitPs(List<String> who, String name, Predicate<String> done) {
        long until = System.nanoTime() + Mydocker.TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < until) {
            Mydocker.Result ps = as(who, "ps", "-a");
            last = ps.toString();
            String line = ps.out().lines().filter(l -> l.contains(" " + name + " ")).findFirst().orElse(null);
            if (done.test(line)) {
                return line;
            }
            sleep(200);
        }
        return fail("ps -a never showed what was awaited for " + name + "; last:\n" + last);
    }

    static String awaitExited(List<String> who, String name, int code) {
        return awaitPs(who, name, l -> l != null && l.contains("Exited (" + code + ")"));
    }

    /** A number field of inspect's JSON. */
    static long field(List<String> who, String name, String key) {
        Mydocker.Result r = as(who, "inspect", name);
        Matcher m = Pattern.compile("\"" + key + "\" : (-?\\d+)").matcher(r.out());
        assertTrue(m.find(), r.toString());
        return Long.parseLong(m.group(1));
    }

    static String text(List<String> who, String name, String key) {
        Mydocker.Result r = as(who, "inspect", name);
        Matcher m = Pattern.compile("\"" + key + "\" : \"([^\"]*)\"").matcher(r.out());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The parent of a pid, from /proc/PID/stat (field 4, after the command in parentheses). */
    static long parentOf(long pid) throws java.io.IOException {
        return Long.parseLong(stat(pid)[1]);
    }

    static long sessionOf(long pid) throws java.io.IOException {
        return Long.parseLong(stat(pid)[3]);
    }

    static long ttyOf(long pid) throws java.io.IOException {
        return Long.parseLong(stat(pid)[4]);
    }

    private static String[] stat(long pid) throws java.io.IOException {
        String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }
}
