package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code -e}, {@code --env} and {@code --env-file} for run and exec, over the image's Env, as docker reads them. */
class EnvTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws Exception {
        Mydocker.requireRoot();
        Archives.readable(tmp);
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void dashEGoesOverTheImagesEnv(User user) throws Exception {
        Path oci = new Archives.Image().layer(Archives.busybox(), false).env("COLOR=image", "SHAPE=image")
                .ociLayout(tmp.resolve("oci"));
        String image = user.name("env-image");
        assertEquals(0, user.mydocker("import", oci.toString(), image).status());
        try {
            Mydocker.Result r = user.mydocker("run", "--rm", "-e", "COLOR=cli", "--env", "NEW=a b=c", image, "env");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("COLOR=cli\n"), r.out());
            assertTrue(r.out().contains("SHAPE=image\n"), r.out());
            assertTrue(r.out().contains("NEW=a b=c\n"), r.out());
            assertTrue(r.out().contains("PATH=/usr/bin:/bin:/usr/sbin:/sbin\n"), r.out());
            assertFalse(r.out().contains("COLOR=image"), r.out());
        } finally {
            user.mydocker("rmi", image);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aNameAloneTakesTheCallersValueOrIsLeftOut(User user) {
        Mydocker.Result r = Mydocker.exec(RunningContainer.prefix(user), null, Map.of("FROM_CALLER", "caller's"),
                "run", "--rm", "-e", "FROM_CALLER", "-e", "UNSET_IN_CALLER", Mydocker.IMAGE, "env");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("FROM_CALLER=caller's\n"), r.out());
        assertFalse(r.out().contains("UNSET_IN_CALLER"), r.out());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void anEnvFileIsReadAsDockerReadsItAndDashEWins(User user) throws Exception {
        Path file = Archives.write(tmp.resolve("vars.env"), ("# a comment\n\nPLAIN=1\n  SPACED=two words \n"
                + "QUOTED=\"kept as is\"\nOVERRIDDEN=file\nFROM_CALLER\n").getBytes());
        Mydocker.Result r = Mydocker.exec(RunningContainer.prefix(user), null, Map.of("FROM_CALLER", "x"), "run", "--rm",
                "--env-file", file.toString(), "-e", "OVERRIDDEN=cli", Mydocker.IMAGE, "env");
        assertEquals(0, r.status(), r.toString());
        for (String line : new String[] {"PLAIN=1", "SPACED=two words ", "QUOTED=\"kept as is\"", "OVERRIDDEN=cli",
            "FROM_CALLER=x"}) {
            assertTrue(r.out().contains(line + "\n"), line + " missing:\n" + r.out());
        }
        assertFalse(r.out().contains("comment"), r.out());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aBadEnvFileOrVariableIsOneLine(User user) throws Exception {
        Path bad = Archives.write(tmp.resolve("bad.env"), "GOOD=1\nBAD NAME=2\n".getBytes());
        Path empty = Archives.write(tmp.resolve("empty-name.env"), "=nothing\n".getBytes());
        String[][] cases = {
            {"--env-file", tmp.resolve("missing.env").toString()},
            {"--env-file", bad.toString()},
            {"--env-file", empty.toString()},
            {"-e", "=x"},
            {"-e", "A B=1"},
        };
        for (String[] c : cases) {
            Mydocker.Result r = user.mydocker("run", "--rm", c[0], c[1], Mydocker.IMAGE, "true");
            assertEquals(125, r.status(), String.join(" ", c) + ": " + r);
            ExitStatusTest.assertOneLine(r.err());
            Mydocker.Result e = user.mydocker("exec", c[0], c[1], "no-such-container", "true");
            assertEquals(125, e.status(), String.join(" ", c) + ": " + e);
            ExitStatusTest.assertOneLine(e.err());
            assertFalse(e.err().contains("no such container"), "the bad input is reported first: " + e);
        }
        Mydocker.Result r = user.mydocker("run", "--rm", "--env-file", bad.toString(), Mydocker.IMAGE, "true");
        assertTrue(r.err().contains("line 2") && r.err().contains("BAD NAME"), r.toString());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void execGetsTheContainersEnvAndItsOwnOnTop(User user) throws Exception {
        try (RunningContainer c = new RunningContainer(user, user.name("env-exec"), "-e", "FROM_RUN=run", "-e",
                "BOTH=run")) {
            Path file = Archives.write(tmp.resolve("exec.env"), "FROM_FILE=file\n".getBytes());
            Mydocker.Result r = c.mydocker("exec", "-e", "BOTH=exec", "--env-file", file.toString(), c.name, "env");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("FROM_RUN=run\n"), r.out());
            assertTrue(r.out().contains("BOTH=exec\n"), r.out());
            assertTrue(r.out().contains("FROM_FILE=file\n"), r.out());
            assertTrue(r.out().contains("PATH="), r.out());
            assertFalse(r.out().contains("BOTH=run"), r.out());
        }
        assertTrue(Files.exists(tmp));
    }
}
