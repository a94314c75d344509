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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Overlay end to end through mydocker: a one-layer image, a container that writes to it, and
 * what the host then finds in the store (copy-up, whiteout, opaque directory) and in diff.
 */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class OverlayTest {

    /** The two users a container test runs as, each with its own store. */
    enum User {
        ROOT(Mydocker.ROOT_STORE), ORDINARY(Mydocker.NOBODY_STORE);

        final Path store;

        User(Path store) {
            this.store = store;
        }

        Mydocker.Result mydocker(String... args) {
            return this == ROOT ? Mydocker.runAsRoot(args) : Mydocker.run(args);
        }

        /** The image, container or file name a test uses, apart from the other user's. */
        String name(String base) {
            return base + "-" + name().toLowerCase();
        }
    }

    /** What the container does: a change of each kind overlay knows. */
    private static final String CHANGES = "echo appended >> /data/lower.txt && echo new > /data/new.txt"
            + " && rm /data/gone.txt && rm -rf /olddir && mkdir /olddir && echo fresh > /olddir/fresh"
            + " && ls -A /olddir && cat /data/lower.txt && ls /data";

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
        Archives.readable(tmp);
    }

    /** busybox, and in the same layer the files the container changes. */
    private static byte[] rootfs() throws IOException {
        return new Archives.Tar().include(Archives.busybox()).dir("data").file("data/lower.txt", "written by the image\n")
                .file("data/gone.txt", "to be deleted\n").dir("olddir").file("olddir/a", "a\n").dir("olddir/sub")
                .file("olddir/sub/b", "b\n").bytes();
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void copyUpWhiteoutAndOpaqueDirectory(User user) throws IOException {
        byte[] rootfs = rootfs();
        String imageName = user.name("with-data");
        String container = user.name("overlay");
        Path tar = Archives.write(tmp.resolve("rootfs.tar"), rootfs);
        Mydocker.Result imported = user.mydocker("import", tar.toString(), imageName);
        assertEquals(0, imported.status(), imported.toString());
        assertEquals(imageName + ": 1 layer(s)\n", imported.out(), imported.toString());
        Path lower = user.store.resolve("layers").resolve(Store.hex(Archives.sha256(rootfs)));
        FileTime lowerTime = Files.getLastModifiedTime(lower.resolve("data/lower.txt"));

        Mydocker.Result r = user.mydocker("run", "--name", container, imageName, "sh", "-c", CHANGES);
        assertEquals(0, r.status(), r.toString());
        assertEquals("fresh\nwritten by the image\nappended\nlower.txt\nnew.txt\n", r.out(),
                "inside, /olddir shows only what was made after mkdir, and /data the changes:\n" + r);

        Path upper = Mydocker.upper(user.store, container);
        // (a) copy-up: the layer keeps its file, the container's copy is in upper
        assertEquals("written by the image\n", Files.readString(lower.resolve("data/lower.txt")), "the image's layer changed");
        assertEquals(lowerTime, Files.getLastModifiedTime(lower.resolve("data/lower.txt")));
        assertTrue(Files.exists(lower.resolve("data/gone.txt")), "rm reached the image's layer");
        assertTrue(Files.exists(lower.resolve("olddir/a")), "rm -rf reached the image's layer");
        assertEquals("written by the image\nappended\n", Files.readString(upper.resolve("data/lower.txt")));
        // (b) a new file lands in upper, and only there
        assertEquals("new\n", Files.readString(upper.resolve("data/new.txt")));
        assertFalse(Files.exists(lower.resolve("data/new.txt")));
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
        assertEquals("""
                C /data
                D /data/gone.txt
                C /data/lower.txt
                A /data/new.txt
                C /olddir
                D /olddir/a
                A /olddir/fresh
                D /olddir/sub
                """, diff.out(), diff.toString());
        assertEquals(0, user.mydocker("rm", container).status());
        assertEquals(0, user.mydocker("rmi", imageName).status());
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
