package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The overlay of step04 with an image of three layers: a container that writes to it, what the
 * host then finds in the store and in diff, and the images commit and save make of it, which
 * spell the container's whiteouts and opaque directories back as .wh. files.
 */
class LayersTest {

    /** What the container does: a change of each kind overlay knows. */
    private static final String CHANGES = "echo appended >> /data/lower.txt && echo new > /data/new.txt"
            + " && rm /data/gone.txt && rm -rf /olddir && mkdir /olddir && echo fresh > /olddir/fresh"
            + " && ls -A /olddir && cat /data/lower.txt && ls /data";

    /** What any image made of the container shows of it. */
    private static final String CHECK = "cat /data/lower.txt /data/new.txt; ls -A /olddir;"
            + " test -e /data/gone.txt && echo gone.txt-is-back || echo gone.txt-deleted";

    private static final String CHECKED = "written by layer 2\nappended\nnew\nfresh\ngone.txt-deleted\n";

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
        Archives.readable(tmp);
    }

    /** busybox; then /data and /olddir; then a file more, and a whiteout of one in /olddir. */
    private static Archives.Image threeLayers() throws IOException {
        byte[] layer2 = new Archives.Tar().dir("data").file("data/lower.txt", "written by layer 2\n")
                .file("data/gone.txt", "to be deleted\n").dir("olddir").file("olddir/a", "a\n").dir("olddir/sub")
                .file("olddir/sub/b", "b\n").file("olddir/old-l2", "deleted by layer 3\n").bytes();
        byte[] layer3 = new Archives.Tar().dir("data").file("data/l3.txt", "layer 3\n").dir("olddir")
                .whiteout("olddir", "old-l2").file("olddir/l3", "l3\n").bytes();
        return new Archives.Image().layer(Archives.busybox(), false).layer(layer2, true).layer(layer3, false);
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void copyUpWhiteoutAndOpaqueDirectory(OverlayTest.User user) throws IOException {
        Archives.Image image = threeLayers();
        String imageName = user.name("three-layers");
        String container = user.name("layers");
        Mydocker.Result imported = user.mydocker("import", image.ociLayout(tmp.resolve("oci")).toString(), imageName);
        assertEquals(0, imported.status(), imported.toString());
        assertEquals(imageName + ": 3 layer(s)\n", imported.out(), imported.toString());
        Path layer2 = user.store.resolve("layers").resolve(Store.hex(image.diffId(1)));
        FileTime lowerTime = Files.getLastModifiedTime(layer2.resolve("data/lower.txt"));

        Mydocker.Result r = user.mydocker("run", "--name", container, imageName, "sh", "-c", CHANGES);
        assertEquals(0, r.status(), r.toString());
        assertEquals("fresh\nwritten by layer 2\nappended\nl3.txt\nlower.txt\nnew.txt\n", r.out(),
                "inside, /olddir shows only what was made after mkdir, and /data the changes:\n" + r);

        Path upper = Mydocker.upper(user.store, container);
        // (a) copy-up: the layer keeps its file, the container's copy is in upper
        assertEquals("written by layer 2\n", Files.readString(layer2.resolve("data/lower.txt")), "the image's layer changed");
        assertEquals(lowerTime, Files.getLastModifiedTime(layer2.resolve("data/lower.txt")));
        assertTrue(Files.exists(layer2.resolve("data/gone.txt")), "rm reached the image's layer");
        assertTrue(Files.exists(layer2.resolve("olddir/a")), "rm -rf reached the image's layer");
        assertEquals("written by layer 2\nappended\n", Files.readString(upper.resolve("data/lower.txt")));
        // (b) a new file lands in upper, and only there
        assertEquals("new\n", Files.readString(upper.resolve("data/new.txt")));
        assertFalse(Files.exists(layer2.resolve("data/new.txt")));
        // (c) a deleted lower file leaves a whiteout: a character device 0/0
        assertEquals("character special file 0:0\n",
                Mydocker.host("stat", "-c", "%F %t:%T", upper.resolve("data/gone.txt").toString()));
        // (d) a directory deleted and made again is opaque, in user.* as userxattr mounts want it
        Mydocker.requireCommand("getfattr");
        assertEquals("y", Mydocker.host("getfattr", "--only-values", "-n", "user.overlay.opaque",
                upper.resolve("olddir").toString()), "no user.overlay.opaque=y on " + upper.resolve("olddir"));
        assertEquals(List.of("fresh"), list(upper.resolve("olddir")));

        Mydocker.Result diff = user.mydocker("diff", container);
        assertEquals(0, diff.status(), diff.toString());
        // old-l2 is not among the deleted: layer 3 had deleted it already, so the image never showed it
        assertEquals("""
                C /data
                D /data/gone.txt
                C /data/lower.txt
                A /data/new.txt
                C /olddir
                D /olddir/a
                A /olddir/fresh
                D /olddir/l3
                D /olddir/sub
                """, diff.out(), diff.toString());

        String committed = user.name("committed");
        Mydocker.Result commit = user.mydocker("commit", container, committed);
        assertEquals(0, commit.status(), commit.toString());
        assertTrue(commit.out().startsWith(committed + ": 4 layer(s)"), commit.toString());
        Mydocker.Result fromCommit = user.mydocker("run", "--rm", committed, "sh", "-c", CHECK);
        assertEquals(CHECKED, fromCommit.out(), "a container of the committed image:\n" + fromCommit);

        Path saved = Archives.shared(Files.createDirectory(tmp.resolve("saved"))).resolve(committed + ".tar");
        Mydocker.Result save = user.mydocker("save", committed, saved.toString());
        assertEquals(0, save.status(), save.toString());
        String reimported = user.name("round-trip");
        Mydocker.Result load = user.mydocker("import", saved.toString(), reimported);
        assertEquals(reimported + ": 4 layer(s)\n", load.out(), load.toString());
        Mydocker.Result fromSave = user.mydocker("run", "--rm", reimported, "sh", "-c", CHECK + "; ls /data");
        assertEquals(CHECKED + "l3.txt\nlower.txt\nnew.txt\n", fromSave.out(),
                "a container of the image saved and imported again:\n" + fromSave);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
