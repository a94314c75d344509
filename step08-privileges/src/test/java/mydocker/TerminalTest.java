package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** -t: the container gets a pseudo-terminal; -it makes it a usable interactive shell. */
class TerminalTest {

    private static final String M = Mydocker.launcherCommand();

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void dashTGivesTheContainerATerminal() throws Exception {
        try (ScriptSession s = new ScriptSession(M + " run -t " + Mydocker.IMAGE + " sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && tty && echo $TERM'")) {
            assertEquals(0, s.waitFor(), s.output());
            assertTrue(Pattern.compile("/dev/console\\r*\\nxterm\\r*\\n").matcher(s.output()).find(), s.output());
        }
    }

    @Test
    void interactiveShellHasAPromptAndExitReturnsItsStatus() throws Exception {
        try (ScriptSession s = new ScriptSession(M + " run -it -h box " + Mydocker.IMAGE + " /bin/sh")) {
            s.expect("# ");
            s.send("echo \"in $(hostname) as pid $$\"\n");
            s.expect("in box as pid 1");
            s.send("exit 3\n");
            assertEquals(3, s.waitFor(), s.output());
        }
    }

    @Test
    void ctrlCInterruptsTheForegroundJobNotTheShell() throws Exception {
        try (ScriptSession s = new ScriptSession(M + " run -it " + Mydocker.IMAGE + " /bin/sh")) {
            s.expect("# ");
            s.send("sleep 50\n");
            Thread.sleep(1500); // until sleep runs: a Ctrl-C typed earlier would only cancel the line
            long start = System.nanoTime();
            s.send("\u0003");
            s.send("echo \"status $? in $$\"\n");
            s.expect("status 130 in 1"); // sleep died of SIGINT (128+2); the shell, PID 1, goes on
            assertTrue(System.nanoTime() - start < 20_000_000_000L, "Ctrl-C did not interrupt sleep");
            s.send("exit\n");
            assertEquals(0, s.waitFor(), s.output());
        }
    }

    @Test
    void callersTerminalIsRestoredAfterNormalExitAndAfterError() throws Exception {
        String cmd = "stty -g; " + M + " run -it " + Mydocker.IMAGE + " /bin/true; stty -g; " + M + " run -it " + Mydocker.IMAGE + " /no/such; stty -g";
        try (ScriptSession s = new ScriptSession(cmd)) {
            s.waitFor();
            List<String> settings = s.output().lines().filter(l -> l.matches("[0-9a-f:]+")).toList();
            assertEquals(3, settings.size(), s.output());
            assertEquals(settings.get(0), settings.get(1), "not restored after a normal exit:\n" + s.output());
            assertEquals(settings.get(0), settings.get(2), "not restored after an error:\n" + s.output());
            assertTrue(s.output().contains("exec \"/no/such\": ENOENT"), s.output());
        }
    }

    @Test
    void dashItWithoutATerminalIsRefused() {
        Mydocker.Result r = Mydocker.run("run", "-it", Mydocker.IMAGE, "/bin/true");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().contains("-t with -i needs a terminal on stdin"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
    }

    @Test
    void windowSizeIsCarriedIn() throws Exception {
        try (ScriptSession s = new ScriptSession("stty rows 33 cols 111; " + M + " run -it " + Mydocker.IMAGE + " stty size")) {
            assertEquals(0, s.waitFor(), s.output());
            assertTrue(s.output().contains("33 111"), s.output());
        }
    }
}
