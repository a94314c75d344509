package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mydocker import of a root filesystem tar: the layer is extracted into the store by
 * descriptors, and an archive that reaches out of its layer, or holds a FIFO or a device
 * node, is refused or made without opening anything, with nothing left behind.
 */
class ImageImportTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
        Archives.readable(tmp);
    }

    @Test
    void imagesListsTheLayerCountAndRmiRemovesTheImageAndItsOwnLayers() throws IOException {
        User user = User.ORDINARY;
        byte[] rootfs = new Archives.Tar().dir("etc").file("etc/hostname", "listed\n").bytes();
        String name = "listed-image";
        assertEquals(0, user.mydocker("import", Archives.write(tmp.resolve("listed.tar"), rootfs).toString(), name).status());
        Path store = user.store;
        List<Path> own = List.of(layer(store, Archives.sha256(rootfs)));
        own.forEach(l -> assertTrue(Files.isDirectory(l), l + " is missing after import"));

        Mydocker.Result images = user.mydocker("images");
        assertEquals(0, images.status(), images.toString());
        assertTrue(images.out().lines().anyMatch(l -> l.matches(name + " +1 +[0-9.]+ MB")),
                "no line for " + name + " with 1 layer:\n" + images);

        Mydocker.Result rmi = user.mydocker("rmi", name);
        assertEquals(0, rmi.status(), rmi.toString());
        assertFalse(user.mydocker("images").out().contains(name), "rmi left the image listed");
        own.forEach(l -> assertFalse(Files.exists(l), l + " outlived the only image that used it"));
        for (String shared : mydocker.Image.load(new Store(store), Mydocker.IMAGE).layers()) {
            assertTrue(Files.isDirectory(layer(store, shared)), "rmi removed a layer of another image");
        }
        Mydocker.Result run = user.mydocker("run", name, "true");
        assertEquals(125, run.status(), run.toString());
        assertTrue(run.err().contains("unknown image \"" + name + "\""), run.toString());
    }

    @Test
    void aFileTheUserCannotReadIsSaidSo() throws IOException {
        Path closed = Files.createDirectory(tmp.resolve("closed"));
        Path tar = Archives.write(closed.resolve("rootfs.tar"), Archives.busybox());
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Mydocker.Result r = User.ORDINARY.mydocker("import", tar.toString(), "unreadable");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: import " + tar + ": permission denied"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
    }

    /**
     * A FIFO given as the file would keep import waiting for a writer, forever; a device would
     * be read without end. Refused at once, in one line, also behind a symlink.
     */
    @Test
    void aFifoOrADeviceIsRefusedAtOnce() throws IOException {
        Path fifo = tmp.resolve("rootfs.fifo");
        Mydocker.host("mkfifo", "-m", "0644", fifo.toString());
        Path link = Files.createSymbolicLink(tmp.resolve("rootfs.tar"), fifo);
        for (Path source : List.of(fifo, link, Path.of("/dev/zero"))) {
            Mydocker.Result r = User.ORDINARY.mydocker("import", source.toString(), "special");
            assertEquals(125, r.status(), r.toString());
            assertTrue(r.err().startsWith("mydocker: import " + source + ": not a regular file"), r.toString());
            ExitStatusTest.assertOneLine(r.err());
        }
    }

    /** Root filesystem tars that try to write outside the layer, to {@code host}. */
    enum Escape {
        CLIMBING("../../" + "../".repeat(20)), ABSOLUTE_CLIMBING("/" + "../".repeat(20)), SYMLINK(null), HARDLINK(null);

        private final String climb;

        Escape(String climb) {
            this.climb = climb;
        }

        byte[] tar(Path host) {
            Archives.Tar tar = new Archives.Tar().dir("etc").file("etc/hostname", "harmless\n");
            return switch (this) {
                case CLIMBING, ABSOLUTE_CLIMBING -> tar.file(climb + host.toString().substring(1) + "/x", "slipped\n").bytes();
                case SYMLINK -> tar.symlink("escape", host.toString()).file("escape/pwned", "pwned\n").bytes();
                case HARDLINK -> tar.symlink("escape", host.toString()).hardlink("stolen", "escape/secret").bytes();
            };
        }
    }

    static Stream<Arguments> escapes() {
        List<Arguments> all = new ArrayList<>();
        for (Escape e : Escape.values()) {
            for (User u : User.values()) {
                all.add(Arguments.of(e, u));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("escapes")
    void archivesThatEscapeTheLayerAreRefused(Escape escape, User user) throws IOException {
        Path host = Files.createDirectory(tmp.resolve("host"));
        Files.writeString(host.resolve("secret"), "the host's\n");
        Archives.readable(host);
        Archives.shared(host); // the ordinary user could write here: only mydocker stands in the way
        Path tar = Archives.write(tmp.resolve("escape.tar"), escape.tar(host));
        Mydocker.importImage();
        Map<String, List<String>> before = contents(user.store);

        Mydocker.Result r = user.mydocker("import", tar.toString(), "escaped");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: refusing tar entry \""), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(List.of("secret"), list(host), "the import wrote to the host's " + host);
        assertEquals("the host's\n", Files.readString(host.resolve("secret")));
        assertEquals(1, Files.getAttribute(host.resolve("secret"), "unix:nlink"), "the host's file got a hard link");
        assertEquals(before, contents(user.store), "the refused import left something in the store");
    }

    /**
     * The deferred attributes of {@code x/} and {@code x/victim/} must not reach through the
     * symlink a later entry puts at {@code x}: as the user, the same tar with a link to the home
     * directory made ~/.ssh mode 0777.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void directoryAttributesNeverReachThroughASymlinkThatReplacedTheParent(User user) throws IOException {
        Path host = Files.createDirectory(tmp.resolve("host"));
        Path victim = Files.createDirectory(host.resolve("victim"));
        for (Path p : List.of(host, victim)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            if (user == User.ORDINARY) {
                Mydocker.host("chown", Mydocker.NOBODY + ":" + Mydocker.NOBODY, p.toString());
            }
        }
        Map<String, Object> hostBefore = Files.readAttributes(host, "unix:mode,uid,gid,lastModifiedTime");
        Map<String, Object> victimBefore = Files.readAttributes(victim, "unix:mode,uid,gid,lastModifiedTime");
        byte[] tar = new Archives.Tar().dir("x").dir("x/victim", 04777, 4242).symlink("x", host.toString())
                .file("etc/hostname", "swapped\n").bytes();

        Mydocker.Result r = user.mydocker("import", Archives.write(tmp.resolve("swap.tar"), tar).toString(),
                user.name("swapped-parent"));
        assertEquals(0, r.status(), r.toString());
        assertEquals(hostBefore, Files.readAttributes(host, "unix:mode,uid,gid,lastModifiedTime"),
                "the import changed the host's " + host + "\n" + r);
        assertEquals(victimBefore, Files.readAttributes(victim, "unix:mode,uid,gid,lastModifiedTime"),
                "the import changed the host's " + victim + "\n" + r);
        Path x = layer(user.store, Archives.sha256(tar)).resolve("x");
        assertEquals(host, Files.readSymbolicLink(x), "the last entry for x is the symlink");
    }

    /** Setting a FIFO's time by opening it waits for a writer that never comes. */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aFifoInTheTarIsMadeWithoutOpeningIt(User user) throws IOException {
        byte[] tar = new Archives.Tar().dir("run").fifo("run/initctl").file("etc/hostname", "fifo\n").bytes();
        Mydocker.Result r = user.mydocker("import", Archives.write(tmp.resolve("fifo.tar"), tar).toString(),
                user.name("fifo"));
        assertEquals(0, r.status(), r.toString());
        Path fifo = layer(user.store, Archives.sha256(tar)).resolve("run/initctl");
        assertEquals("fifo 644 1700000000\n", Mydocker.host("stat", "-c", "%F %a %Y", fifo.toString()));
    }

    /**
     * As root, a device node of the tar is made, never opened: opening runs the driver (a tape
     * rewinds, a modem hangs up). Here a misc device (major 10) whose minor no driver took:
     * opening it fails with ENODEV.
     */
    @Test
    void aDeviceNodeIsMadeWithoutOpeningIt() throws IOException {
        int minor = freeMiscMinor();
        byte[] tar = new Archives.Tar().dir("dev").charDevice("dev/nodriver", 10, minor).file("etc/hostname", "dev\n")
                .bytes();
        Mydocker.Result r = User.ROOT.mydocker("import", Archives.write(tmp.resolve("dev.tar"), tar).toString(),
                "device-node");
        assertEquals(0, r.status(), r.toString());
        Path node = layer(User.ROOT.store, Archives.sha256(tar)).resolve("dev/nodriver");
        assertEquals("character special file a:" + Integer.toHexString(minor) + " 666\n",
                Mydocker.host("stat", "-c", "%F %t:%T %a", node.toString()));
    }

    /** A misc device minor that no driver of this kernel registered. */
    private static int freeMiscMinor() throws IOException {
        List<String> taken = Files.readAllLines(Path.of("/proc/misc")).stream().map(l -> l.strip().split(" ")[0]).toList();
        for (int minor = 250; minor > 100; minor--) {
            if (!taken.contains(Integer.toString(minor))) {
                return minor;
            }
        }
        throw new AssertionError("every misc minor from 101 to 250 has a driver here: " + taken);
    }

    /** GNU tar's sparse files, in its own format and in POSIX (PAX) format, come out whole. */
    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("sparseFormats")
    void gnuSparseFilesAreExtracted(String format, User user) throws IOException {
        Mydocker.requireCommand("tar");
        Path dir = Files.createDirectory(tmp.resolve("sparse"));
        try (FileChannel f = FileChannel.open(dir.resolve("holes"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 1; i <= 6; i++) { // more holes than an old GNU header lists: an extension header too
                f.write(ByteBuffer.wrap(("chunk " + i).getBytes(StandardCharsets.UTF_8)), i * 1_000_000L);
            }
            f.write(ByteBuffer.wrap(new byte[] {'\n'}), 8_000_000L - 1);
        }
        Files.writeString(dir.resolve("after"), "after the sparse file\n");
        Path tar = tmp.resolve("sparse.tar");
        Mydocker.host("tar", "--sparse", "--format=" + format, "-C", dir.toString(), "-cf", tar.toString(), "holes", "after");
        Archives.readable(tar);
        Mydocker.Result r = user.mydocker("import", tar.toString(), user.name("sparse-" + format));
        assertEquals(0, r.status(), r.toString());
        Path layer = layer(user.store, Archives.sha256(Files.readAllBytes(tar)));
        assertEquals(-1, Files.mismatch(dir.resolve("holes"), layer.resolve("holes")), "the sparse file differs");
        assertEquals("after the sparse file\n", Files.readString(layer.resolve("after")));
    }

    static Stream<Arguments> sparseFormats() {
        List<Arguments> all = new ArrayList<>();
        for (String format : List.of("gnu", "posix")) {
            for (User u : User.values()) {
                all.add(Arguments.of(format, u));
            }
        }
        return all.stream();
    }

    static Path layer(Path store, String diffId) {
        return store.resolve("layers").resolve(Store.hex(diffId));
    }

    /** What a store holds: its layers, images, containers, and imports in progress. */
    static Map<String, List<String>> contents(Path store) {
        Map<String, List<String>> contents = new LinkedHashMap<>();
        for (String dir : List.of("layers", "images", "containers", "tmp")) {
            contents.put(dir, list(store.resolve(dir)));
        }
        return contents;
    }

    static List<String> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
