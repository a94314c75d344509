package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The container's stdin, stdout and stderr, without -t. */
class StdioTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void stdoutAndStderrStayApart() {
        Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "sh", "-c", "echo to-out; echo to-err >&2; echo more-out");
        assertEquals("to-out\nmore-out\n", r.out(), r.toString());
        assertEquals("to-err\n", r.err(), r.toString());
    }

    @Test
    void withoutDashIStdinIsDevNull() {
        Mydocker.Result r = Mydocker.runWithInput("typed\n", "run", Mydocker.IMAGE, "sh", "-c", "cat; echo end; readlink /proc/self/fd/0");
        assertEquals("end\n/dev/null\n", r.out(), r.toString());
    }

    @Test
    void withDashIStdinIsTheCallers() {
        Mydocker.Result r = Mydocker.runWithInput("typed\nlines\n", "run", "-i", Mydocker.IMAGE, "sh", "-c", "cat; echo end");
        assertEquals("typed\nlines\nend\n", r.out(), r.toString());
    }
}
