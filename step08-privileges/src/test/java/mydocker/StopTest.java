package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** stop: SIGTERM through a pidfd, SIGKILL after the grace period, the exit recorded before it returns. */
class StopTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void aContainerThatIgnoresTermIsKilledAfterTheGracePeriod(List<String> who) {
        String name = "ignores-term-" + who.size();
        // sleep as PID 1 has no handler for SIGTERM: the kernel drops it, from the host too.
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sleep", "1000");
        Mydocker.Result stop = Detached.as(who, "stop", "-t", "1", name);
        assertEquals(0, stop.status(), stop.toString());
        assertEquals(name + "\n", stop.out(), stop.toString());
        assertEquals(137, Detached.field(who, name, "exitCode"));
        assertTrue(Detached.as(who, "ps", "-a").out().lines().anyMatch(l -> l.contains(" " + name + " ")
                && l.contains("Exited (137)")));
        Mydocker.Result again = Detached.as(who, "stop", name);
        assertEquals(0, again.status(), again.toString());
        assertEquals(name + "\n", again.out(), "stop of a stopped container prints its name, as docker's");
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void aContainerThatHandlesTermExits143(List<String> who) {
        String name = "handles-term-" + who.size();
        Detached.start(who, "--name", name, Mydocker.IMAGE, "sh", "-c", "trap 'exit 143' TERM; echo ready; sleep 1000 & wait");
        Detached.awaitPs(who, name, l -> l != null && l.contains(" Up "));
        awaitLog(who, name, "ready\n"); // the trap is set
        Mydocker.Result stop = Detached.as(who, "stop", name);
        assertEquals(0, stop.status(), stop.toString());
        assertEquals(143, Detached.field(who, name, "exitCode"));
        assertEquals(0, Detached.as(who, "rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @MethodSource("mydocker.Detached#callers")
    void stopOfAMissingContainerIsOneLine(List<String> who) {
        Mydocker.Result r = Detached.as(who, "stop", "no-such-container");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().matches("mydocker: no such container [^\n]*\n"), r.toString());
    }

    static void awaitLog(List<String> who, String name, String text) {
        Detached.awaitPs(who, name, l -> Detached.as(who, "logs", name).out().contains(text));
    }
}
