package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Without -t a container gets no terminal, even when mydocker is started from one: its PID 1
 * leads a new session with no controlling terminal, /dev/tty does not open, and stdin is
 * /dev/null unless -i. A container that kept the caller's terminal could read what the user
 * types and, with TIOCSTI, type into the caller's shell (steps 01-03 show it with the host's perl).
 */
class ControllingTerminalTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to start containers as both users
    }

    /** /proc/PID/stat (proc(5)): pid, (comm), state, ppid, pgrp, session, tty_nr. */
    private static final Pattern STAT = Pattern.compile("(\\d+) \\(cat\\) \\S (-?\\d+) (-?\\d+) (-?\\d+) (-?\\d+) ");

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void pid1LeadsANewSessionWithoutAControllingTerminal(String mydocker) throws Exception {
        try (ScriptSession s = new ScriptSession(mydocker + " run " + Mydocker.IMAGE + " cat /proc/self/stat")) {
            assertEquals(0, s.waitFor(), s.output());
            Matcher stat = STAT.matcher(s.output());
            assertTrue(stat.find(), "no /proc/self/stat line in:\n" + s.output());
            assertEquals("0", stat.group(5), "PID 1's controlling terminal is the caller's (tty_nr "
                    + stat.group(5) + "; ps would show it as pts/N, not ?):\n" + s.output());
            assertEquals(stat.group(1), stat.group(4), "PID 1 is not the leader of a session of its own"
                    + " (pid " + stat.group(1) + ", session " + stat.group(4) + "):\n" + s.output());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void theCallersTerminalDoesNotOpen(String mydocker) throws Exception {
        try (ScriptSession s = new ScriptSession(mydocker + " run " + Mydocker.IMAGE + " sh -c"
                + " 'read -r line </dev/tty && echo \"read from the terminal: $line\"; echo done'")) {
            // Typed before the container reads: the line waits in the terminal for whoever reads it.
            s.send("the user's password\n");
            s.waitFor();
            assertFalse(s.output().contains("read from the terminal:"),
                    "the container read what the user typed at the caller's terminal:\n" + s.output());
            assertTrue(s.output().contains("/dev/tty: No such device or address"),
                    "opening /dev/tty in the container did not fail with ENXIO:\n" + s.output());
            assertTrue(s.output().contains("done"), s.output());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void stdinIsDevNullWithoutDashIEvenAtATerminal(String mydocker) throws Exception {
        try (ScriptSession s = new ScriptSession(mydocker + " run " + Mydocker.IMAGE + " readlink /proc/self/fd/0")) {
            assertEquals(0, s.waitFor(), s.output());
            assertTrue(s.output().lines().anyMatch(l -> l.strip().equals("/dev/null")), s.output());
        }
    }
}
