package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code mydocker exec}: a command joins a running container, with run's exit statuses. */
class ExecTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to run as both users
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void exitStatusesAreRuns(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-status"))) {
            assertEquals(0, c.exec("true").status());
            Mydocker.Result three = c.exec("sh", "-c", "exit 3");
            assertEquals(3, three.status(), three.toString());
            assertEquals("", three.err());
            Mydocker.Result killed = c.exec("sh", "-c", "kill -9 $$");
            assertEquals(137, killed.status(), killed.toString());
            Mydocker.Result notExecutable = c.exec("/etc/passwd");
            assertEquals(126, notExecutable.status(), notExecutable.toString());
            ExitStatusTest.assertOneLine(notExecutable.err());
            assertTrue(notExecutable.err().contains("EACCES"), notExecutable.toString());
            Mydocker.Result notFound = c.exec("no-such-command");
            assertEquals(127, notFound.status(), notFound.toString());
            ExitStatusTest.assertOneLine(notFound.err());
            assertTrue(notFound.err().contains("not found in $PATH"), notFound.toString());
        }
        Mydocker.Result missing = user.mydocker("exec", user.name("no-such-container"), "true");
        assertEquals(125, missing.status(), missing.toString());
        ExitStatusTest.assertOneLine(missing.err());
        assertTrue(missing.err().contains("no such container"), missing.toString());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aStoppedContainerIsRefusedInOneLine(User user) {
        String name = user.name("exec-stopped");
        user.mydocker("rm", name);
        assertEquals(0, user.mydocker("run", "--name", name, Mydocker.IMAGE, "true").status());
        try {
            Mydocker.Result r = user.mydocker("exec", name, "true");
            assertEquals(125, r.status(), r.toString());
            ExitStatusTest.assertOneLine(r.err());
            assertTrue(r.err().contains("container " + name + " is not running"), r.toString());
        } finally {
            user.mydocker("rm", name);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void theCommandJoinsEveryNamespaceOfTheContainer(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-ns"), List.of("-h", "box"),
                "echo planted-by-pid1 > /planted; echo ready; " + RunningContainer.WAIT)) {
            Mydocker.Result r = c.exec("sh", "-c", "echo pid=$$; hostname; cat /planted; id -u;"
                    + " [ $(readlink /proc/self/ns/pid) = $(readlink /proc/1/ns/pid) ] && echo same-pidns;"
                    + " [ $(readlink /proc/self/ns/net) = $(readlink /proc/1/ns/net) ] && echo same-netns;"
                    + " [ $(readlink /proc/self/ns/ipc) = $(readlink /proc/1/ns/ipc) ] && echo same-ipcns;"
                    + " [ $(readlink /proc/self/ns/user) = $(readlink /proc/1/ns/user) ] && echo same-userns;"
                    + " cat /proc/1/cmdline | tr '\\0' ' '");
            assertEquals(0, r.status(), r.toString());
            String out = r.out();
            assertTrue(Pattern.compile("pid=(\\d+)").matcher(out).find(), out);
            assertFalse(out.contains("pid=1\n"), "the command is not PID 1: " + out);
            assertTrue(out.contains("box\nplanted-by-pid1\n0\nsame-pidns\nsame-netns\nsame-ipcns\nsame-userns\n"), out);
            assertTrue(out.contains("sh -c"), "PID 1, the container's sh, is visible: " + out);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void workingDirectoryIsDashWOrTheImages(User user) throws Exception {
        Archives.readable(tmp);
        Path oci = new Archives.Image().layer(Archives.busybox(), false).workingDir("/etc").ociLayout(tmp.resolve("oci"));
        String image = user.name("exec-workdir");
        assertEquals(0, user.mydocker("import", oci.toString(), image).status());
        String name = user.name("exec-w");
        try {
            Process run = Mydocker.start(RunningContainer.prefix(user), Map.of(), "run", "--rm", "--name", name, image,
                    "sh", "-c", "echo ready; " + RunningContainer.WAIT);
            try {
                new java.io.BufferedReader(new java.io.InputStreamReader(run.getInputStream())).readLine();
                Mydocker.Result dflt = Mydocker.exec(RunningContainer.prefix(user), null, Map.of(), "exec", name, "pwd");
                assertEquals("/etc\n", dflt.out(), dflt.toString());
                Mydocker.Result w = Mydocker.exec(RunningContainer.prefix(user), null, Map.of(), "exec", "-w", "/tmp",
                        name, "pwd");
                assertEquals("/tmp\n", w.out(), w.toString());
                Mydocker.Result missing = Mydocker.exec(RunningContainer.prefix(user), null, Map.of(), "exec", "-w",
                        "/no/such", name, "pwd");
                assertEquals(125, missing.status(), missing.toString());
                ExitStatusTest.assertOneLine(missing.err());
                assertTrue(missing.err().contains("ENOENT"), missing.toString());
                Mydocker.Result relative = Mydocker.exec(RunningContainer.prefix(user), null, Map.of(), "exec", "-w",
                        "tmp", name, "pwd");
                assertEquals(125, relative.status(), relative.toString());
                ExitStatusTest.assertOneLine(relative.err());
            } finally {
                run.destroy();
                run.waitFor();
            }
        } finally {
            user.mydocker("rmi", image);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void dashIPassesStdinAndWithoutItStdinIsEmpty(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-stdin"))) {
            Mydocker.Result in = Mydocker.exec(RunningContainer.prefix(user), "typed\n", Map.of(), "exec", "-i", c.name,
                    "cat");
            assertEquals("typed\n", in.out(), in.toString());
            Mydocker.Result none = Mydocker.exec(RunningContainer.prefix(user), "typed\n", Map.of(), "exec", c.name, "cat");
            assertEquals("", none.out(), none.toString());
            assertEquals(0, none.status(), none.toString());
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void dashTGivesATerminal(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-tty"))) {
            String launcher = user == User.ROOT ? "env MYDOCKER_ROOT=" + Mydocker.ROOT_STORE + " " + Mydocker.LAUNCHER
                    : Mydocker.launcherCommand();
            try (ScriptSession s = new ScriptSession(launcher + " exec -it " + c.name + " /bin/sh")) {
                s.expect("# ");
                s.send("[ -t 0 ] && [ -t 1 ] && echo \"terminal $TERM in $$\"\n");
                s.expect("terminal xterm in ");
                s.send("exit 5\n");
                assertEquals(5, s.waitFor(), s.output());
            }
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void traceShowsTheJoinInOrder(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-trace"))) {
            Mydocker.Result r = c.mydocker("--trace", "exec", c.name, "true");
            assertEquals(0, r.status(), r.toString());
            String err = r.err();
            int dumpable = err.indexOf("prctl(PR_SET_DUMPABLE, 0) = 0");
            int user0 = err.indexOf("CLONE_NEWUSER) = 0");
            int exe = err.indexOf("prctl(PR_SET_MM, PR_SET_MM_MAP");
            int mnt = err.indexOf("CLONE_NEWNS) = 0");
            int pid = err.indexOf("CLONE_NEWPID) = 0");
            int fork = err.indexOf("clone(CLONE_PARENT|SIGCHLD) = ");
            assertTrue(dumpable >= 0 && dumpable < user0 && user0 < exe && exe < mnt && mnt < pid && pid < fork, err);
            assertTrue(err.contains("execve(\"/bin/true\""), err);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aReusedPidIsNotJoined(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("exec-reused"))) {
            // The state says "running" with the pid of another process of the same user: a pid reused.
            Process other = new ProcessBuilder(user == User.ROOT ? List.of("sleep", "100")
                    : List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "100")).start();
            Path state = stateFile(user, c.name);
            String saved = Files.readString(state);
            try {
                Files.writeString(state, saved.replaceFirst("\"pid\":\\d+", "\"pid\":" + other.pid()));
                Mydocker.Result r = c.exec("true");
                assertEquals(125, r.status(), r.toString());
                ExitStatusTest.assertOneLine(r.err());
                assertTrue(r.err().contains("is not running"), r.toString());
                assertNotEquals("", saved);
            } finally {
                Files.writeString(state, saved);
                other.destroyForcibly();
                other.waitFor();
            }
        }
    }

    private static Path stateFile(User user, String name) throws IOException {
        return Mydocker.upper(user.store, name).getParent().resolve("state.json");
    }
}
