package mydocker;

import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code --trace} or {@code MYDOCKER_TRACE=1}: each kernel call the runtime makes is printed to
 * stderr, strace-style, with flags by name and the result. It is how a learner sees what a
 * step adds: run the same command with step01 and step02 and compare the traces.
 */
final class Trace {

    private static boolean on;
    private static String who = "run";

    private Trace() {}

    static void enable(boolean enabled, String side) {
        on = enabled;
        who = side;
    }

    static boolean on() {
        return on;
    }

    /** One finished call: {@code sethostname("box") = 0}. */
    static void call(String call, long result, int errno) {
        if (!on) {
            return;
        }
        String outcome = result == -1 && errno != 0 ? "-1 " + Errors.describe(errno) : Long.toString(result);
        print(call + " = " + outcome);
    }

    /** A step the cloned child ran, from its record: {@code [init] sethostname("box") = 0}. */
    static void child(String call, long result, int errno, String note) {
        if (!on) {
            return;
        }
        String outcome = result == -1 && errno != 0 ? "-1 " + Errors.describe(errno) : Long.toString(result);
        System.err.println("[init] " + call + " = " + outcome + note);
        System.err.flush();
    }

    /** A call that does not return when it succeeds, such as execve. */
    static void before(String call) {
        if (on) {
            print(call + " ...");
        }
    }

    static void print(String line) {
        if (!on) {
            return;
        }
        System.err.println("[" + who + "] " + line);
        System.err.flush();
    }

    static String quote(String s) {
        return '"' + s + '"';
    }

    static String quote(List<String> strings) {
        return strings.stream().map(Trace::quote).collect(Collectors.joining(", ", "[", "]"));
    }
}
