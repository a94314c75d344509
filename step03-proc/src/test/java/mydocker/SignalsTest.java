package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SIGINT, SIGTERM and SIGHUP sent to mydocker run reach the container's PID 1. */
class SignalsTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @ParameterizedTest
    @CsvSource({"TERM, 15", "INT, 2", "HUP, 1"})
    void forwardedToPid1(String name, int number) throws Exception {
        // PID 1 only receives signals it has a handler for: the shell installs one with trap.
        Process p = Mydocker.start(Mydocker.launcher(), Map.of(), "run", "sh", "-c",
                "trap 'echo got " + name + "; exit 42' " + name + "; echo ready; while :; do sleep 0.1; done");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        new ProcessBuilder("kill", "-" + number, Long.toString(p.pid())).inheritIO().start().waitFor();
        assertEquals("got " + name, out.readLine());
        Mydocker.Result r = Mydocker.finish(p, null);
        assertEquals(42, r.status(), r.toString());
        assertTrue(r.err().isEmpty(), r.toString());
    }

    /**
     * Started as nohup starts it, with the signal ignored (an ignored signal stays ignored
     * across exec): run forwards it all the same, as docker's CLI does.
     */
    @ParameterizedTest
    @CsvSource({"TERM, 15", "INT, 2", "HUP, 1"})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void forwardedEvenWhenStartedIgnored(String name, int number) throws Exception {
        List<String> launcher = Mydocker.launcher(); // [setpriv ...] mydocker: the shell goes just before mydocker
        List<String> ignoring = new ArrayList<>(launcher.subList(0, launcher.size() - 1));
        ignoring.addAll(List.of("sh", "-c", "trap '' " + name + "; exec \"$@\"", "sh", launcher.get(launcher.size() - 1)));
        Process p = Mydocker.start(ignoring, Map.of(), "run", "sh", "-c",
                "trap 'echo got " + name + "; exit 42' " + name + "; echo ready; while :; do sleep 0.1; done");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        new ProcessBuilder("kill", "-" + number, Long.toString(p.pid())).inheritIO().start().waitFor();
        assertEquals("got " + name, out.readLine(), "the signal, ignored when mydocker started, did not reach PID 1");
        Mydocker.Result r = Mydocker.finish(p, null);
        assertEquals(42, r.status(), r.toString());
    }
}
