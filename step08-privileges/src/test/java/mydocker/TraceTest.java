package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** --trace and MYDOCKER_TRACE=1 print the kernel calls of both sides, flags by name. */
class TraceTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void traceFlagShowsCloneSethostnameAndExecve() {
        Mydocker.Result r = Mydocker.run("--trace", "run", "-h", "box", Mydocker.IMAGE, "/bin/true");
        assertEquals(0, r.status(), r.toString());
        assertTraced(r.err());
        assertEquals("", r.out());
    }

    @Test
    void environmentVariableDoesTheSame() {
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_TRACE", "1"), "run", "-h", "box", Mydocker.IMAGE, "/bin/true");
        assertTraced(r.err());
    }

    @Test
    void silentByDefault() {
        Mydocker.Result r = Mydocker.run("run", "-h", "box", Mydocker.IMAGE, "/bin/true");
        assertEquals("", r.err());
    }

    private static void assertTraced(String err) {
        assertTrue(err.matches("(?s).*\\[run] clone\\(CLONE_NEWUTS\\|CLONE_NEWIPC\\|CLONE_NEWPID\\|CLONE_NEWNS"
                + "\\|CLONE_NEWUSER\\|CLONE_NEWNET\\|SIGCHLD\\) = \\d+\n.*"), err);
        assertTrue(err.matches("(?s).*\\[run] write\\(/proc/\\d+/setgroups, \"deny\"\\) = 4\n"
                + "\\[run] write\\(/proc/\\d+/uid_map, \"0 65534 1\"\\) = 10\n"
                + "\\[run] write\\(/proc/\\d+/gid_map, \"0 65534 1\"\\) = 10\n.*"), err);
        assertTrue(err.contains("[init] sethostname(\"box\") = 0"), err);
        assertTrue(err.contains("[init] execve(\"/bin/true\", [\"/bin/true\"]"), err);
        assertTrue(err.contains("status: exited 0"), err);
    }
}
