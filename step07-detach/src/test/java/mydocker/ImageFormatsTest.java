package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mydocker import of the archives docker and OCI tools write: an OCI image layout (a directory,
 * or a tar of one) and a docker save archive, with gzip layers and .wh. whiteouts; every digest
 * is verified, and a damaged or malformed image is refused with nothing left behind.
 */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class ImageFormatsTest {

    /** The shapes an image arrives in. */
    enum Format {
        OCI_DIRECTORY, OCI_TAR, DOCKER_SAVE_TAR;

        Path write(Archives.Image image, Path tmp) throws IOException {
            return switch (this) {
                case OCI_DIRECTORY -> image.ociLayout(tmp.resolve("oci"));
                case OCI_TAR -> Archives.tarOf(image.ociLayout(tmp.resolve("oci")), tmp.resolve("oci.tar"));
                case DOCKER_SAVE_TAR -> Archives.tarOf(image.dockerSave(tmp.resolve("saved")), tmp.resolve("saved.tar"));
            };
        }
    }

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
        Archives.readable(tmp);
    }

    /**
     * busybox; a layer of files; a layer that deletes /doomed.txt and makes /first and
     * /last opaque, /first's marker before the directory's own entry, /last's after its files.
     * {@code unique} gives the layers content no other image has, so their directories are new.
     */
    static Archives.Image withWhiteouts(String unique, boolean gzip) throws IOException {
        byte[] files = new Archives.Tar().dir("keep").file("keep/a.txt", "a\n").file("doomed.txt", "doomed\n")
                .dir("first").file("first/old1", "1\n").dir("first/olddir").file("first/olddir/old2", "2\n")
                .dir("last").file("last/old3", "3\n").file("unique", unique).bytes();
        byte[] deletions = new Archives.Tar().opaque("first").dir("first").file("first/new.txt", "new\n")
                .whiteout("", "doomed.txt").dir("keep").file("keep/b.txt", "b\n")
                .dir("last").file("last/new.txt", "new\n").opaque("last").file("unique2", unique).bytes();
        return new Archives.Image().layer(Archives.busybox(), false).layer(files, gzip).layer(deletions, gzip);
    }

    static Stream<Arguments> formatsAndUsers() {
        List<Arguments> all = new ArrayList<>();
        for (Format f : Format.values()) {
            for (User u : User.values()) {
                all.add(Arguments.of(f, u));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("formatsAndUsers")
    void whiteoutsAndOpaqueMarkersApply(Format format, User user) throws IOException {
        String name = user.name("wh-" + format.name().toLowerCase().replace('_', '-'));
        Mydocker.Result imported = user.mydocker("import", format.write(withWhiteouts("x", true), tmp).toString(), name);
        assertEquals(0, imported.status(), imported.toString());
        assertEquals(name + ": 3 layer(s)\n", imported.out(), imported.toString());

        Mydocker.Result r = user.mydocker("run", "--rm", name, "sh", "-c", "ls -A /first /last;"
                + " test -e /doomed.txt && echo doomed-present || echo doomed-gone; cat /keep/a.txt /keep/b.txt;"
                + " ls -A / | grep '^\\.wh\\.' || echo no-wh-files");
        assertEquals(0, r.status(), r.toString());
        assertEquals("/first:\nnew.txt\n\n/last:\nnew.txt\ndoomed-gone\na\nb\nno-wh-files\n", r.out(),
                "/first and /last show only the top layer's files, /doomed.txt is gone:\n" + r);
    }

    /** docker save writes a layer that comes again as a symlink, and overlay takes a directory only once. */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aLayerThatComesTwiceIsImportedAndRuns(User user) throws IOException {
        byte[] twice = new Archives.Tar().dir("twice").file("twice/file", "from the layer that comes twice\n").bytes();
        byte[] between = new Archives.Tar().dir("twice").file("twice/file", "from the layer between\n")
                .file("twice/between", "between\n").bytes();
        Archives.Image image = new Archives.Image().layer(Archives.busybox(), false).layer(twice, false)
                .layer(between, false).layer(twice, false);
        String name = user.name("layer-twice");
        Path archive = Archives.tarOf(image.dockerSave(tmp.resolve("saved")), tmp.resolve("saved.tar"));
        Mydocker.Result imported = user.mydocker("import", archive.toString(), name);
        assertEquals(name + ": 4 layer(s)\n", imported.out(), imported.toString());
        Mydocker.Result r = user.mydocker("run", "--rm", name, "cat", "/twice/file", "/twice/between");
        assertEquals("from the layer that comes twice\nbetween\n", r.out(), r.toString());
    }

    /** Ways an image's bytes can fail their digests. */
    enum Damage {
        OCI_BLOB_ALTERED, OCI_WRONG_DIFF_ID, OCI_DIFF_ID_OF_ANOTHER_LAYER, DOCKER_SAVE_LAYER_ALTERED,
        DOCKER_SAVE_WRONG_DIFF_ID, DOCKER_SAVE_DIFF_ID_OF_ANOTHER_LAYER;

        Path write(Path tmp) throws IOException {
            boolean oci = name().startsWith("OCI");
            // docker save stores its layers uncompressed, OCI layouts mostly gzip-compressed
            Archives.Image image = withWhiteouts(name(), oci);
            // the damage is in the top layer: the two below are extracted first, and must go again
            if (name().endsWith("ALTERED")) {
                image.corruptBlob(2);
            } else if (name().endsWith("ANOTHER_LAYER")) {
                image.diffIdOf(2, 1); // a layer just extracted: its directory is there to take instead
            } else {
                image.wrongDiffId(2);
            }
            return oci ? image.ociLayout(tmp.resolve("oci"))
                    : Archives.tarOf(image.dockerSave(tmp.resolve("saved")), tmp.resolve("saved.tar"));
        }
    }

    static Stream<Arguments> damages() {
        return Stream.of(Arguments.of(Damage.OCI_BLOB_ALTERED, User.ORDINARY), Arguments.of(Damage.OCI_WRONG_DIFF_ID, User.ROOT),
                Arguments.of(Damage.OCI_DIFF_ID_OF_ANOTHER_LAYER, User.ORDINARY),
                Arguments.of(Damage.DOCKER_SAVE_LAYER_ALTERED, User.ROOT),
                Arguments.of(Damage.DOCKER_SAVE_WRONG_DIFF_ID, User.ORDINARY),
                Arguments.of(Damage.DOCKER_SAVE_DIFF_ID_OF_ANOTHER_LAYER, User.ROOT));
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("damages")
    void layerDigestsAreVerified(Damage damage, User user) throws IOException {
        Path archive = damage.write(tmp);
        Mydocker.importImage(); // the stores are made afresh before the first container: look after that
        Map<String, List<String>> before = ImageImportTest.contents(user.store);
        Mydocker.Result r = user.mydocker("import", archive.toString(), "damaged");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().contains("layer digest mismatch"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(before, ImageImportTest.contents(user.store), "the failed import left something in the store");
        assertFalse(user.mydocker("images").out().contains("damaged"), "images lists the damaged image");
    }

    /** A whiteout names one file of its directory: ".wh." alone, ".wh.." and ".wh..." name none. */
    static Stream<Arguments> whiteoutsOfNothing() {
        List<Arguments> all = new ArrayList<>();
        for (String entry : List.of(".wh.", ".wh..", ".wh...", "keep/.wh..", "keep/.wh...")) {
            for (User u : User.values()) {
                all.add(Arguments.of(entry, u));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("whiteoutsOfNothing")
    void whiteoutsThatNameNoFileAreRefused(String entry, User user) throws IOException {
        byte[] tar = new Archives.Tar().dir("keep").file("keep/a.txt", "a\n").file(entry, "").bytes();
        Path file = Archives.write(tmp.resolve("whiteout.tar"), tar);
        Mydocker.importImage();
        Map<String, List<String>> before = ImageImportTest.contents(user.store);
        Mydocker.Result r = user.mydocker("import", file.toString(), "whiteout-of-nothing");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: refusing tar entry \"" + entry + "\": "), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(before, ImageImportTest.contents(user.store), "the refused import changed the store");
    }
}
