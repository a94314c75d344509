package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every row of the docs site's bad-input page (docs/src/docs/asciidoc/bad-input.adoc) as
 * an ordinary user: the message and the exit status the table gives, and nothing written
 * outside the store.
 */
class BadInputTest {

    static final Path TABLE = Mydocker.MODULE.resolve("../docs/src/docs/asciidoc/bad-input.adoc");
    /** The tables of that page this step answers for: the volumes' and the store's. */
    static final int TABLES = 1;
    static final List<Path> ESCAPES = List.of(Path.of("/tmp/mydocker-bad-input-slipped"),
            Path.of("/tmp/mydocker-bad-input-absolute"), Path.of("/tmp/mydocker-bad-input-pwned"));

    private static Path fixtures;

    record Row(String input, String message, int exit) {}

    @BeforeAll
    static void fixtures() throws IOException {
        Mydocker.requireRoot();
        for (Path p : ESCAPES) {
            Files.deleteIfExists(p);
        }
        fixtures = Files.createTempDirectory("mydocker-bad-input-");
        Files.writeString(fixtures.resolve("text.txt"), "hello\n");
        Mydocker.host("mkfifo", "-m", "0644", fixtures.resolve("fifo").toString());
        Files.write(fixtures.resolve("empty.tar"), new byte[0]);
        byte[] busybox = Archives.busybox();
        Files.write(fixtures.resolve("truncated.tar"), Arrays.copyOf(busybox, busybox.length / 2 + 100));
        Files.write(fixtures.resolve("slip.tar"), tar(file("../../../../tmp/mydocker-bad-input-slipped")));
        Files.write(fixtures.resolve("absolute.tar"), tar(file("/tmp/mydocker-bad-input-absolute")));
        TarArchiveEntry link = new TarArchiveEntry("escape", TarConstants.LF_SYMLINK);
        link.setLinkName("/tmp");
        Files.write(fixtures.resolve("symlink.tar"), tar(link, file("escape/mydocker-bad-input-pwned")));
        TarArchiveEntry device = new TarArchiveEntry("dev/null2", TarConstants.LF_CHR);
        device.setDevMajor(1);
        device.setDevMinor(3);
        Files.write(fixtures.resolve("device.tar"), tar(file("bin/x"), device));
        Files.write(fixtures.resolve("whiteout.tar"), tar(file("bin/x"), file(".wh..")));
        TarArchiveEntry hardlink = new TarArchiveEntry("bin/y", TarConstants.LF_LINK);
        hardlink.setLinkName("bin/missing");
        Files.write(fixtures.resolve("hardlink.tar"), tar(file("bin/x"), hardlink));
        byte[] layer = new Archives.Tar().dir("etc").file("etc/hostname", "altered\n").bytes();
        new Archives.Image().layer(layer, true).corruptBlob(0).ociLayout(fixtures.resolve("altered"));
        new Archives.Image().layer(busybox, false).workingDir("/nonexistent").ociLayout(fixtures.resolve("nowd"));
        Files.write(fixtures.resolve("devlink.tar"), tar(file("bin/x"), device, link("dev/null3", "dev/null2")));
        dockerSave("cmdstring", "[{\"Config\":\"config.json\",\"Layers\":[\"layer.tar\"]}]", "{\"config\":{\"Cmd\":\"sh\"}}");
        dockerSave("envobject", "[{\"Config\":\"config.json\",\"Layers\":[\"layer.tar\"]}]",
                "{\"config\":{\"Env\":{\"PATH\":\"/bin\"}}}");
        dockerSave("wdlist", "[{\"Config\":\"config.json\",\"Layers\":[\"layer.tar\"]}]", "{\"config\":{\"WorkingDir\":[\"/\"]}}");
        dockerSave("manifestobject", "{\"Config\":\"config.json\",\"Layers\":[\"layer.tar\"]}", "{}");
        ociIndex("digestnumber", "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":42,\"size\":2}]}");
        ociIndex("badjson", "{\"schemaVersion\": 2, \"manifests\": [");
        Archives.readable(fixtures);
    }

    @AfterAll
    static void nothingEscaped() {
        for (Path p : ESCAPES) {
            assertFalse(Files.exists(p), "an import wrote " + p + " on the host");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyRowOfTheTable() throws IOException {
        List<Row> rows = rows(Files.readAllLines(TABLE));
        assertTrue(rows.size() >= 20, "the table in " + TABLE + " lost its rows: " + rows.size());
        return rows.stream().map(row -> DynamicTest.dynamicTest(row.input(), () -> {
            // "\\n" in a cell is a newline in the argument: a name that would print across two lines
            String[] args = row.input().replace("FIXTURES", fixtures.toString()).replace("\\n", "\n").split(" ");
            Mydocker.Result r = Mydocker.run(args);
            assertEquals(row.exit(), r.status(), r.toString());
            String message = row.message().replace("FIXTURES", fixtures.toString());
            if (message.isEmpty()) {
                assertEquals("", r.err(), r.toString());
            } else {
                assertTrue(startsWith(r.err(), message), "expected stderr to start with\n" + message + "\n" + r);
            }
        }));
    }

    /** Whether {@code text} starts with {@code message}, where each "..." in it stands for any text. */
    static boolean startsWith(String text, String message) {
        String[] parts = message.split("\\.\\.\\.", -1);
        if (!text.startsWith(parts[0])) {
            return false;
        }
        int at = parts[0].length();
        for (int i = 1; i < parts.length; i++) {
            at = text.indexOf(parts[i], at);
            if (at < 0) {
                return false;
            }
            at += parts[i].length();
        }
        return true;
    }

    /**
     * The rows of the page's first {@link #TABLES} tables: three cells each, one per line,
     * after the header; backticks dropped.
     */
    static List<Row> rows(List<String> lines) {
        List<Row> rows = new ArrayList<>();
        int end = -1;
        for (int table = 0; table < TABLES; table++) {
            int start = lines.subList(end + 1, lines.size()).indexOf("|===") + end + 1;
            end = lines.subList(start + 1, lines.size()).indexOf("|===") + start + 1;
            List<String> cells = new ArrayList<>();
            for (String line : lines.subList(start + 2, end)) { // after the header line
                if (line.startsWith("|")) {
                    cells.add(line.substring(1).strip().replaceAll("^`|`$", ""));
                }
            }
            for (int i = 0; i + 2 < cells.size(); i += 3) {
                rows.add(new Row(cells.get(i), cells.get(i + 1), Integer.parseInt(cells.get(i + 2))));
            }
            assertEquals(0, cells.size() % 3, "a row of " + TABLE + " lacks a cell");
        }
        return rows;
    }

    /** A docker save archive, unpacked: manifest.json, config.json and a one-file layer.tar. */
    private static void dockerSave(String name, String manifest, String config) throws IOException {
        Path dir = Files.createDirectory(fixtures.resolve(name));
        Files.writeString(dir.resolve("manifest.json"), manifest);
        Files.writeString(dir.resolve("config.json"), config);
        Files.write(dir.resolve("layer.tar"), tar(file("bin/x")));
    }

    /** An OCI image layout with only its index.json, which is read first. */
    private static void ociIndex(String name, String index) throws IOException {
        Path dir = Files.createDirectory(fixtures.resolve(name));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(dir.resolve("index.json"), index);
    }

    private static TarArchiveEntry link(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        return e;
    }

    private static TarArchiveEntry file(String name) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(2);
        return e;
    }

    private static byte[] tar(TarArchiveEntry... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (TarArchiveEntry e : entries) {
                out.putArchiveEntry(e);
                if (e.getSize() > 0) {
                    out.write("x\n".getBytes(StandardCharsets.UTF_8));
                }
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
