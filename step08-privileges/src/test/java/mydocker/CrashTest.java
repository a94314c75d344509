package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A command killed halfway (SIGKILL: no finally block runs) loses nothing and leaves nothing:
 * a layer is there whole or not at all, the next command removes what the dead one left in
 * tmp/ and leaves a live one's alone. And trees a container makes, however deep, are removed.
 */
class CrashTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to kill and stop the other user's commands, and to look into both stores
        Archives.readable(tmp);
        Mydocker.importImage();
    }

    /** A layer of 50 directories of 60 files, as many as the issue's: deleting it takes long enough to be killed at. */
    private static byte[] manyFiles(String unique) {
        Archives.Tar tar = new Archives.Tar().dir("data").file("data/unique", unique);
        for (int d = 0; d < 50; d++) {
            tar.dir("data/d" + d);
            for (int f = 0; f < 60; f++) {
                tar.file("data/d" + d + "/f" + f, "x");
            }
        }
        return tar.bytes();
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void rmiKilledWhileDeletingLeavesNoHalfLayer(OverlayTest.User user) throws Exception {
        byte[] layer = manyFiles(user.name("rmi-killed"));
        Path tar = Archives.write(tmp.resolve("many.tar"), layer);
        String image = user.name("many");
        assertEquals(0, user.mydocker("import", tar.toString(), image).status());
        Path dir = ImageImportTest.layer(user.store, Archives.sha256(layer));
        Process rmi = Mydocker.start(prefix(user), Map.of(), "rmi", image);
        // Killed as soon as the layer starts to go: a directory of it gone, or the whole of it.
        awaitOrFail(rmi, () -> !Files.exists(dir.resolve("data/d0")) || !Files.exists(dir.resolve("data/d49"))
                || !Files.exists(dir.resolve("data/unique")) || !Files.exists(dir));
        rmi.destroyForcibly();
        rmi.waitFor();

        Mydocker.Result again = user.mydocker("import", tar.toString(), image);
        assertEquals(0, again.status(), again.toString());
        long files;
        try (var walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).count();
        }
        assertEquals(3001, files, "the re-import reused a half-deleted layer");
        assertEquals(List.of(), ImageImportTest.list(user.store.resolve("tmp")), "the killed rmi's leftovers stay");
        assertEquals(0, user.mydocker("rmi", image).status());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void aKilledImportLeavesNothingAndALiveOneIsLeftAlone(OverlayTest.User user) throws Exception {
        Path tar = Archives.write(tmp.resolve("many.tar"), manyFiles(user.name("import-killed")));
        String image = user.name("import-killed");
        Path store = user.store;

        // A live import, stopped while it extracts: the next command must not take its files away.
        Process live = Mydocker.start(prefix(user), Map.of(), "import", tar.toString(), image);
        awaitOrFail(live, () -> !ImageImportTest.list(store.resolve("tmp")).isEmpty());
        Mydocker.host("kill", "-STOP", String.valueOf(live.pid()));
        List<String> inProgress = ImageImportTest.list(store.resolve("tmp"));
        Mydocker.Result images = user.mydocker("images");
        assertEquals(0, images.status(), images.toString());
        assertEquals(inProgress, ImageImportTest.list(store.resolve("tmp")), "a live import's directory was removed");
        Mydocker.host("kill", "-CONT", String.valueOf(live.pid()));
        Mydocker.Result imported = Mydocker.finish(live, null);
        assertEquals(0, imported.status(), imported.toString());
        assertEquals(0, user.mydocker("rmi", image).status());

        // A killed one: the next command, whatever it is, removes what it left.
        Process killed = Mydocker.start(prefix(user), Map.of(), "import", tar.toString(), image);
        awaitOrFail(killed, () -> !ImageImportTest.list(store.resolve("tmp")).isEmpty());
        killed.destroyForcibly();
        killed.waitFor();
        assertFalse(ImageImportTest.list(store.resolve("tmp")).isEmpty(), "the killed import left nothing to remove");
        assertEquals(0, user.mydocker("ps", "-a").status());
        assertEquals(List.of(), ImageImportTest.list(store.resolve("tmp")), "the killed import's files stay in tmp/");
        assertFalse(Files.exists(store.resolve("images/" + image + ".json")));
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void aKilledCommitLeavesNothing(OverlayTest.User user) throws Exception {
        String name = user.name("commit-killed");
        Mydocker.Result run = user.mydocker("run", "--name", name, Mydocker.IMAGE, "sh", "-c",
                "mkdir /big && for i in 0 1 2 3 4; do head -c 2000000 /dev/urandom > /big/$i; done");
        assertEquals(0, run.status(), run.toString());
        Process commit = Mydocker.start(prefix(user), Map.of(), "commit", name, name);
        awaitOrFail(commit, () -> !ImageImportTest.list(user.store.resolve("tmp")).isEmpty());
        commit.destroyForcibly();
        commit.waitFor();
        assertEquals(0, user.mydocker("images").status());
        assertEquals(List.of(), ImageImportTest.list(user.store.resolve("tmp")), "the killed commit's files stay in tmp/");
        assertEquals(0, user.mydocker("rm", name).status());
        user.mydocker("rmi", name); // if the commit finished before it was killed
    }

    /**
     * A tree far deeper than PATH_MAX (4096): 1500 levels of 7-character names, made of
     * paths each shorter than that (a chain of 500, moved under a new one, twice).
     */
    private static final String DEEP = "p=; i=0; while [ $i -lt 500 ]; do p=$p/dddddd; i=$((i+1)); done;"
            + " mkdir -p /deep$p && for i in 1 2; do mv /deep /moved && mkdir -p /deep$p && mv /moved /deep$p/ || exit 1;"
            + " done; echo made";

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void aTreeDeeperThanPathMaxIsRemoved(OverlayTest.User user) throws IOException {
        String name = user.name("deep");
        Mydocker.Result run = user.mydocker("run", "--name", name, Mydocker.IMAGE, "sh", "-c", DEEP);
        assertEquals(0, run.status(), run.toString());
        assertEquals("made\n", run.out());
        Path dir = Mydocker.upper(user.store, name).getParent();
        Mydocker.Result rm = user.mydocker("rm", name);
        assertEquals(0, rm.status(), rm.toString());
        assertEquals("", rm.err(), rm.toString());
        assertFalse(Files.exists(dir), "rm left the container's directory");

        List<String> before = ImageImportTest.list(user.store.resolve("containers"));
        Mydocker.Result autoRemoved = user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c", DEEP);
        assertEquals(0, autoRemoved.status(), autoRemoved.toString());
        assertEquals("", autoRemoved.err(), autoRemoved.toString());
        assertEquals(before, ImageImportTest.list(user.store.resolve("containers")), "--rm left the container behind");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void saveToAnExistingDirectoryIsRefused(OverlayTest.User user) throws IOException {
        Path shared = Archives.shared(Files.createDirectory(tmp.resolve("shared")));
        Path dir = Archives.shared(Files.createDirectory(shared.resolve("out")));
        Mydocker.Result r = user.mydocker("save", Mydocker.IMAGE, dir.toString());
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: save " + dir + ": "), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertTrue(Files.isDirectory(dir), "save replaced the directory " + dir);
        assertEquals(List.of(), ImageImportTest.list(dir));
    }

    private static List<String> prefix(OverlayTest.User user) {
        return user == OverlayTest.User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher();
    }

    /** Polls {@code condition} every millisecond for a minute, failing if the process ends first. */
    private static void awaitOrFail(Process p, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (!p.isAlive()) {
                fail("the command ended before it could be caught: " + Mydocker.finish(p, null));
            }
            Thread.sleep(1);
        }
        p.destroyForcibly();
        fail("the command did not get there within a minute");
    }
}
