package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** The image commands: import, images, rmi, commit and save. */
final class ImageCommands {

    private static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar";
    private static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

    private ImageCommands() {}

    @Command(name = "import", description = "Import a root filesystem tar, an OCI image layout or a docker save archive.")
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE|DIR")
        Path source;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            // Under the lock: a concurrent rmi must not take a layer this import has just put in
            // place, and two imports of one layer must not both rename it there.
            Image image = store.locked("images", () -> new ImageImport(store).run(source, name));
            System.out.println(image.name() + ": " + image.layers().size() + " layer(s)");
            return 0;
        }
    }

    @Command(name = "images", description = "List images.")
    static final class Images implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            System.out.printf("%-24s %-7s %s%n", "NAME", "LAYERS", "SIZE");
            for (String name : Image.names(store)) {
                Image image = Image.load(store, name);
                long size = 0;
                for (String layer : image.layers()) {
                    size += du(store.layer(layer));
                }
                System.out.printf("%-24s %-7d %.1f MB%n", name, image.layers().size(), size / 1e6);
            }
            return 0;
        }
    }

    @Command(name = "rmi", description = "Remove an image, and the layers no other image uses.")
    static final class Rmi implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            // Images, then containers: the order every command takes the two locks in.
            return store.locked("images", () -> store.locked("containers", () -> remove(store)));
        }

        private Integer remove(Store store) throws IOException {
            Image.load(store, name);
            for (ContainerState c : ContainerState.all(store)) {
                if (c.image().equals(name)) {
                    throw new MydockerException("image " + Trace.quote(name) + " is used by container " + c.name()
                            + "; remove it first (mydocker rm " + c.name() + ")");
                }
            }
            Files.delete(store.image(name));
            Set<String> used = new HashSet<>();
            for (String other : Image.names(store)) {
                used.addAll(Image.load(store, other).layers().stream().map(Store::hex).toList());
            }
            try (Stream<Path> layers = Files.list(store.root.resolve("layers"))) {
                for (Path layer : (Iterable<Path>) layers::iterator) {
                    if (!used.contains(layer.getFileName().toString())) {
                        store.discard(layer); // renamed into tmp/ first: killed, it leaves no half layer to reuse
                    }
                }
            }
            return 0;
        }
    }

    // tag::commit[]
    @Command(name = "commit", description = "Make an image of a container: its image's layers and its own.")
    static final class Commit implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Parameters(index = "1", paramLabel = "IMAGE")
        String image;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            Image.checkName(image);
            ContainerState state = ContainerState.find(store, container);
            Image base = Image.load(store, state.image());
            Path tar = store.tempFile("commit-", ".tar");
            try {
                try (OutputStream out = Files.newOutputStream(tar)) {
                    LayerTar.write(store.container(state.id()).resolve("upper"), out);
                }
                List<String> layers = new ArrayList<>(base.layers());
                String layer = store.locked("images", () -> { // as import does
                    String added = new ImageImport(store).layer(tar, null, null);
                    layers.add(added);
                    new Image(image, layers, base.cmd(), base.env(), base.workingDir()).save(store);
                    return added;
                });
                System.out.println(image + ": " + layers.size() + " layer(s), the new one " + layer);
            } catch (IOException | RuntimeException e) {
                if (Store.isFull(e)) {
                    throw store.full("commit " + container);
                }
                throw e;
            } finally {
                Files.deleteIfExists(tar);
            }
            return 0;
        }
    }
    // end::commit[]

    // tag::save[]
    @Command(name = "save", description = "Write an image as an OCI image layout tar.")
    static final class Save implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Parameters(index = "1", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            Image img = Image.load(store, image);
            checkTarget(file, image);
            Path tmp = store.tempDir("save-");
            try {
                List<Map<String, Object>> layers = new ArrayList<>();
                List<String> diffIds = new ArrayList<>();
                for (String layer : img.layers()) {
                    Path blob = tmp.resolve("layer-" + layers.size());
                    String digest;
                    try (OutputStream out = Files.newOutputStream(blob)) {
                        digest = LayerTar.write(store.layer(layer), out);
                    }
                    Files.move(blob, tmp.resolve(Store.hex(digest)), StandardCopyOption.REPLACE_EXISTING);
                    layers.add(descriptor(LAYER_TYPE, digest, Files.size(tmp.resolve(Store.hex(digest)))));
                    diffIds.add(digest);
                }
                Map<String, Object> config = new LinkedHashMap<>();
                config.put("architecture", "aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64");
                config.put("os", "linux");
                config.put("config", Map.of("Cmd", img.cmd(), "Env", img.env(), "WorkingDir", img.workingDir()));
                config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
                Map<String, Object> configDescriptor = blob(tmp, CONFIG_TYPE, config);
                Map<String, Object> manifest = new LinkedHashMap<>();
                manifest.put("schemaVersion", 2);
                manifest.put("mediaType", MANIFEST_TYPE);
                manifest.put("config", configDescriptor);
                manifest.put("layers", layers);
                Map<String, Object> manifestDescriptor = new LinkedHashMap<>(blob(tmp, MANIFEST_TYPE, manifest));
                manifestDescriptor.put("annotations", Map.of("org.opencontainers.image.ref.name", image));
                Map<String, Object> index = new LinkedHashMap<>();
                index.put("schemaVersion", 2);
                index.put("manifests", List.of(manifestDescriptor));
                writeLayout(tmp, file, JSON.std.asString(index));
            } finally {
                Store.deleteTree(tmp);
            }
            return 0;
        }
    }
    // end::save[]

    /** docker save -o DIR refuses a directory too: the tar replaces nothing but a file. */
    private static void checkTarget(Path file, String image) {
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new MydockerException("save " + file + ": is a directory (name the file to write, e.g. "
                    + file.resolve(image.replace(':', '-') + ".tar") + ")");
        }
        if (!Files.isDirectory(parent)) {
            throw new MydockerException("save " + file + ": the directory " + parent
                    + " does not exist (make it first, or name a file in a directory that exists)");
        }
    }

    private static Map<String, Object> descriptor(String type, String digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", type);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    /** Writes a JSON blob into dir under its digest, and returns its descriptor. */
    private static Map<String, Object> blob(Path dir, String type, Map<String, Object> json) throws IOException {
        byte[] bytes = JSON.std.asString(json).getBytes(StandardCharsets.UTF_8);
        String digest = "sha256:" + HexFormat.of().formatHex(LayerTar.sha256().digest(bytes));
        Files.write(dir.resolve(Store.hex(digest)), bytes);
        return descriptor(type, digest, bytes.length);
    }

    /** oci-layout, index.json, and every blob under blobs/sha256/. */
    private static void writeLayout(Path blobs, Path file, String index) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".save-", ".tar");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(tmp))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            add(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            add(tar, "index.json", index.getBytes(StandardCharsets.UTF_8));
            for (String dir : new String[] {"blobs/", "blobs/sha256/"}) {
                TarArchiveEntry e = new TarArchiveEntry(dir);
                e.setMode(0755);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
            try (Stream<Path> files = Files.list(blobs)) {
                for (Path blob : files.sorted().toList()) {
                    TarArchiveEntry e = new TarArchiveEntry("blobs/sha256/" + blob.getFileName());
                    e.setSize(Files.size(blob));
                    e.setMode(0644);
                    tar.putArchiveEntry(e);
                    Files.copy(blob, tar);
                    tar.closeArchiveEntry();
                }
            }
            tar.finish();
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new MydockerException("save " + file, e);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void add(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    static long du(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
