package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that change the store at the same time, as an ordinary user: each one succeeds or
 * fails with one line, and the store holds no half of anything afterwards.
 */
class ConcurrencyTest {

    static final int TIMES = 4;

    @TempDir
    Path tmp;

    private final Path store = Mydocker.NOBODY_STORE;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect its store
        Archives.readable(tmp);
        Mydocker.importImage();
    }

    @Test
    void importsOfOneImageUnderOneName() throws IOException {
        byte[] rootfs = new Archives.Tar().include(Archives.busybox()).file("etc/concurrent", "imported\n").bytes();
        Path tar = Archives.write(tmp.resolve("concurrent.tar"), rootfs);
        List<Mydocker.Result> results = together(TIMES, i -> List.of("import", tar.toString(), "concurrent"));
        for (Mydocker.Result r : results) {
            assertEquals(0, r.status(), r.toString());
        }
        Mydocker.Result images = Mydocker.run("images");
        assertEquals(1, images.out().lines().filter(l -> l.startsWith("concurrent ")).count(), images.toString());
        Mydocker.Result run = Mydocker.run("run", "--rm", "concurrent", "cat", "/etc/concurrent");
        assertEquals("imported\n", run.out(), run.toString());
        assertEquals(0, Mydocker.run("rmi", "concurrent").status());
        assertConsistent();
    }

    @Test
    void removalsOfOneContainer() throws IOException {
        assertEquals(0, Mydocker.run("run", "--name", "removed-often", Mydocker.IMAGE, "true").status());
        List<Mydocker.Result> results = together(TIMES, i -> List.of("rm", "removed-often"));
        assertEquals(1, results.stream().filter(r -> r.status() == 0).count(), "one rm removes it: " + results);
        for (Mydocker.Result r : results) {
            if (r.status() != 0) {
                assertEquals(125, r.status(), r.toString());
                assertTrue(r.err().startsWith("mydocker: no such container \"removed-often\""), r.toString());
                ExitStatusTest.assertOneLine(r.err());
            }
        }
        assertConsistent();
    }

    @Test
    void rmiWhileAContainerOfTheImageIsCreated() throws IOException {
        Path busybox = Archives.write(tmp.resolve("busybox.tar"), Archives.busybox());
        for (int round = 0; round < 3; round++) {
            String image = "racing-" + round;
            assertEquals(0, Mydocker.run("import", busybox.toString(), image).status());
            List<Mydocker.Result> results = together(2, i -> i == 0
                    ? List.of("run", "--name", image, image, "true") : List.of("rmi", image));
            Mydocker.Result run = results.get(0);
            Mydocker.Result rmi = results.get(1);
            if (rmi.status() == 0) { // rmi first: run finds no image, or finds it gone when it takes the name
                assertEquals(125, run.status(), run.toString());
                assertTrue(run.err().contains("unknown image") || run.err().contains("was removed meanwhile"), run.toString());
                ExitStatusTest.assertOneLine(run.err());
            } else { // run first: rmi refuses an image a container uses
                assertEquals(0, run.status(), run.toString());
                assertTrue(rmi.err().startsWith("mydocker: image \"" + image + "\" is used by container"), rmi.toString());
                ExitStatusTest.assertOneLine(rmi.err());
                assertEquals(0, Mydocker.run("rm", image).status());
                assertEquals(0, Mydocker.run("rmi", image).status());
            }
            assertConsistent();
        }
    }

    /** Starts the commands at once, as the ordinary user, and waits for all of them. */
    private static List<Mydocker.Result> together(int n, java.util.function.IntFunction<List<String>> args) {
        List<Process> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(Mydocker.start(Mydocker.launcher(), Map.of(), args.apply(i).toArray(String[]::new)));
        }
        return started.stream().map(p -> Mydocker.finish(p, null)).toList();
    }

    /**
     * What any command leaves: ps -a and images work; every image's layers are there and every
     * layer belongs to an image; every container's image is there; tmp/ is empty; a container runs.
     */
    private void assertConsistent() throws IOException {
        Mydocker.Result ps = Mydocker.run("ps", "-a");
        assertEquals(0, ps.status(), ps.toString());
        assertEquals("", ps.err(), ps.toString());
        Mydocker.Result images = Mydocker.run("images");
        assertEquals(0, images.status(), images.toString());
        List<String> used = new ArrayList<>();
        Store s = new Store(store);
        for (String name : mydocker.Image.names(s)) {
            for (String layer : mydocker.Image.load(s, name).layers()) {
                assertTrue(Files.isDirectory(s.layer(layer)), "image " + name + " lost its layer " + layer);
                used.add(Store.hex(layer));
            }
        }
        for (String layer : ImageImportTest.list(store.resolve("layers"))) {
            assertTrue(used.contains(layer), "the layer " + layer + " belongs to no image");
        }
        for (String id : ImageImportTest.list(store.resolve("containers"))) {
            String state = Files.readString(store.resolve("containers").resolve(id).resolve("state.json"));
            String image = state.replaceFirst("(?s).*\"image\":\"([^\"]*)\".*", "$1");
            assertTrue(Files.exists(s.image(image)), "container " + id + " outlived its image " + image);
        }
        assertEquals(List.of(), ImageImportTest.list(store.resolve("tmp")), "tmp/ keeps something");
        Mydocker.Result run = Mydocker.run("run", "--rm", Mydocker.IMAGE, "true");
        assertEquals(0, run.status(), run.toString());
    }
}
