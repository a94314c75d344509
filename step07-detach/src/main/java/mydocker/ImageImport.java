package mydocker;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code mydocker import FILE|DIR NAME}: a root filesystem tar (as {@code docker export}
 * writes it, plain or gzip) becomes a one-layer image; an OCI image layout (a directory or a
 * tar of one) or a {@code docker save} archive keeps its layers and config.
 */
final class ImageImport {

    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    private final Store store;
    private final List<Path> newLayers = new ArrayList<>();
    private int skippedDevices;

    ImageImport(Store store) {
        this.store = store;
    }

    // tag::import[]
    Image run(Path source, String name) throws IOException {
        Image.checkName(name);
        if (Files.notExists(source)) {
            throw new MydockerException("import " + source + ": no such file or directory");
        }
        if (!Files.isReadable(source)) {
            throw new MydockerException("import " + source + ": permission denied (mydocker runs as you, and reads it as you)");
        }
        refuseSpecialFile(source);
        Image image;
        try {
            if (Files.isDirectory(source)) {
                image = fromImageDirectory(source, name);
            } else if (isImageArchive(source)) {
                Path unpacked = store.tempDir("archive-");
                try {
                    unpack(source, unpacked);
                    image = fromImageDirectory(unpacked, name);
                } finally {
                    Store.deleteTree(unpacked);
                }
            } else {
                String diffId = layer(source, null, null);
                image = new Image(name, List.of(diffId), List.of(), List.of(), "");
            }
            image.save(store);
        } catch (IOException | RuntimeException e) {
            removeNewLayers(); // a later layer failed: nothing half-imported stays behind
            if (Store.isFull(e)) {
                throw store.full("import " + source);
            }
            throw e;
        }
        if (skippedDevices > 0) {
            System.err.println("mydocker: warning: skipped " + skippedDevices + " device nodes: only root may create them");
        }
        return image;
    }
    // end::import[]

    /**
     * A FIFO would keep import waiting for a writer, a device would hand it whatever its driver
     * makes (/dev/zero without end). Checked by path, so a file swapped for one after the check
     * can still make import wait: it is the caller's own path, and Ctrl-C ends it.
     */
    static void refuseSpecialFile(Path source) {
        if (!Files.isRegularFile(source) && !Files.isDirectory(source)) {
            throw new MydockerException("import " + source + ": not a regular file, but a FIFO, device or socket"
                    + " (import reads a tar file or an image directory: save the stream to a file first)");
        }
    }

    /** The layers of a pulled image, in the manifest's order, as their downloads finish. */
    interface Blobs {
        /** The layer's blob, downloaded and checked against its digest; null if the store had the layer. */
        Path layer(int i) throws IOException;

        void extracted(int i);
    }

    // tag::pulled[]
    /**
     * A pulled image: the registry's config, and its layers' blobs in tmp/, each extracted as
     * import extracts a layout's and deleted, into the same store layers and image file.
     */
    Image pulled(String name, Map<String, Object> config, Blobs blobs) throws IOException {
        Image.checkName(name);
        try {
            List<String> diffIds = diffIds(config);
            List<String> layers = new ArrayList<>();
            for (int i = 0; i < diffIds.size(); i++) {
                Path blob = blobs.layer(i);
                String diffId = diffIds.get(i);
                if (Files.isDirectory(store.layer(diffId))) {
                    layers.add(diffId); // the store had it, or an earlier line of this manifest brought it
                } else if (blob == null) {
                    throw new MydockerException("pull " + name + ": layer " + diffId + " was removed meanwhile; pull again");
                } else {
                    layers.add(layer(blob, null, diffId)); // the blob's own digest was checked as it arrived
                }
                if (blob != null) {
                    Files.deleteIfExists(blob);
                    blobs.extracted(i);
                }
            }
            Image image = withConfig(name, layers, config);
            image.save(store);
            return image;
        } catch (IOException | RuntimeException e) {
            removeNewLayers();
            if (Store.isFull(e)) {
                throw store.full("pull " + name);
            }
            throw e;
        }
    }
    // end::pulled[]

    private Image fromImageDirectory(Path dir, String name) throws IOException {
        if (Files.exists(dir.resolve("oci-layout")) && Files.exists(dir.resolve("index.json"))) {
            return fromOciLayout(dir, name);
        }
        if (Files.exists(dir.resolve("manifest.json"))) {
            return fromDockerSave(dir, name);
        }
        throw new MydockerException("import " + dir + ": neither an OCI image layout (no oci-layout and index.json)"
                + " nor a docker save archive (no manifest.json)");
    }

    // tag::oci[]
    /** index.json, then the manifest it points to, then the config and the layer blobs, each verified. */
    private Image fromOciLayout(Path dir, String name) throws IOException {
        Map<String, Object> descriptor = pickManifest(json(dir.resolve("index.json")));
        Map<String, Object> manifest = json(blob(dir, descriptor));
        while (isIndex(descriptor, manifest)) {
            descriptor = pickManifest(manifest);
            manifest = json(blob(dir, descriptor));
        }
        Map<String, Object> config = json(blob(dir, map(manifest.get("config"))));
        List<String> diffIds = diffIds(config);
        List<String> layers = new ArrayList<>();
        List<Object> descriptors = list(manifest.get("layers"));
        for (int i = 0; i < descriptors.size(); i++) {
            Map<String, Object> layer = map(descriptors.get(i));
            String digest = Image.string(layer.get("digest"), "import: a layer's digest in the manifest", null);
            layers.add(layer(path(dir, digest), digest, i < diffIds.size() ? diffIds.get(i) : null));
        }
        return withConfig(name, layers, config);
    }
    // end::oci[]

    /** manifest.json lists each image's config file and its layer tars, bottom first. */
    private Image fromDockerSave(Path dir, String name) throws IOException {
        Object manifest = Image.parse(Files.readString(dir.resolve("manifest.json")), "import: manifest.json");
        if (!(manifest instanceof List<?> images)) {
            throw Image.wrongType("import: manifest.json", manifest, "the list of images docker save writes");
        }
        if (images.isEmpty()) {
            throw new MydockerException("import " + dir + ": manifest.json lists no image");
        }
        Map<String, Object> entry = map(images.get(0));
        Map<String, Object> config = json(inside(dir, Image.string(entry.get("Config"), "import: manifest.json's Config", null)));
        List<String> diffIds = diffIds(config);
        List<String> layers = new ArrayList<>();
        List<Object> paths = list(entry.get("Layers"));
        for (int i = 0; i < paths.size(); i++) {
            layers.add(layer(inside(dir, Image.string(paths.get(i), "import: a layer in manifest.json", null)), null,
                    i < diffIds.size() ? diffIds.get(i) : null));
        }
        return withConfig(name, layers, config);
    }

    private Image withConfig(String name, List<String> layers, Map<String, Object> config) {
        if (layers.isEmpty()) {
            throw new MydockerException("import " + name + ": the image has no layers, so nothing to run");
        }
        Map<String, Object> c = config.get("config") == null ? Map.of() : map(config.get("config"));
        List<String> cmd = new ArrayList<>(Image.strings(c.get("Entrypoint"), "import: the image config's Entrypoint"));
        cmd.addAll(Image.strings(c.get("Cmd"), "import: the image config's Cmd"));
        return new Image(name, layers, cmd, Image.strings(c.get("Env"), "import: the image config's Env"),
                Image.string(c.get("WorkingDir"), "import: the image config's WorkingDir", ""));
    }

    // tag::layer[]
    /**
     * Extracts one layer into the store, unless a layer with its diff_id is there already,
     * and returns that diff_id. {@code blobDigest} (of the file as stored, perhaps
     * compressed) and {@code diffId} (of the tar inside) are checked where the format gives them.
     */
    String layer(Path file, String blobDigest, String diffId) throws IOException {
        if (diffId != null && Files.isDirectory(store.layer(diffId))) {
            verifyLayer(file, blobDigest, diffId); // there already, from another image, if this file is that layer
            return diffId;
        }
        Path tmp = store.tempDir("layer-");
        try {
            MessageDigest raw = LayerTar.sha256();
            LayerTar.Extracted x;
            try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), raw)) {
                in.on(blobDigest != null); // pull hashed the blob as it arrived: a second pass would only cost
                x = LayerTar.extract(in, tmp);
                in.transferTo(OutputStream.nullOutputStream());
            }
            check(file, "sha256:" + HexFormat.of().formatHex(raw.digest()), blobDigest);
            check(file, x.diffId(), diffId);
            skippedDevices += x.skippedDevices();
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path target = store.layer(x.diffId());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Store.deleteTree(tmp); // kept once: another image brought the same layer
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                newLayers.add(target);
            }
            return x.diffId();
        } catch (IOException | RuntimeException e) {
            Store.deleteTree(tmp); // nothing half-imported
            if (Store.isFull(e)) {
                throw e; // not the archive's fault: the caller says where space ran out
            }
            if (blobDigest != null || diffId != null) {
                // A damaged blob often breaks gzip or tar before its digest is known: say what it is.
                verifyLayer(file, blobDigest, diffId);
            }
            throw e instanceof MydockerException m ? m : corrupt(file, e);
        }
    }
    // end::layer[]

    /**
     * Checks a layer file's digests, of the file as stored and of the tar inside, against those
     * given (null where the format gives none) without extracting it.
     */
    private static void verifyLayer(Path file, String blobDigest, String diffId) throws IOException {
        MessageDigest raw = LayerTar.sha256();
        MessageDigest plain = LayerTar.sha256();
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), raw)) {
            try {
                new DigestInputStream(LayerTar.decompress(new BufferedInputStream(in, 65536)), plain)
                        .transferTo(OutputStream.nullOutputStream());
            } catch (IOException | RuntimeException e) {
                in.transferTo(OutputStream.nullOutputStream());
                check(file, "sha256:" + HexFormat.of().formatHex(raw.digest()), blobDigest); // damaged, if it is
                throw e instanceof MydockerException m ? m : corrupt(file, e);
            }
            in.transferTo(OutputStream.nullOutputStream());
        }
        check(file, "sha256:" + HexFormat.of().formatHex(raw.digest()), blobDigest);
        check(file, "sha256:" + HexFormat.of().formatHex(plain.digest()), diffId);
    }

    private static MydockerException corrupt(Path file, Exception e) {
        return new MydockerException("import " + file + ": corrupt or unsupported archive: " + e.getMessage());
    }

    /** Removes the layers this import added that no image uses, after it failed. */
    private void removeNewLayers() {
        Set<String> used = new HashSet<>();
        for (String other : Image.names(store)) {
            used.addAll(Image.load(store, other).layers().stream().map(Store::hex).toList());
        }
        for (Path layer : newLayers) {
            if (!used.contains(layer.getFileName().toString())) {
                store.discard(layer); // renamed away first: a kill here leaves no half layer
            }
        }
    }

    private static void verify(Path file, String digest) throws IOException {
        MessageDigest sha = LayerTar.sha256();
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        check(file, "sha256:" + HexFormat.of().formatHex(sha.digest()), digest);
    }

    private static void check(Path file, String actual, String expected) {
        if (expected != null && !expected.equals(actual)) {
            throw new MydockerException("import " + file.getFileName() + ": layer digest mismatch: expected " + expected
                    + ", got " + actual + "; the archive is corrupt or was altered");
        }
    }

    /** An image archive has oci-layout or manifest.json at its top; a root filesystem has neither. */
    private static boolean isImageArchive(Path file) throws IOException {
        try (InputStream in = LayerTar.decompress(new BufferedInputStream(Files.newInputStream(file), 65536));
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String name = LayerTar.safeName(e.getName());
                if (name.equals("oci-layout") || name.equals("manifest.json")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new MydockerException("import " + file + ": not a tar archive (" + e.getMessage() + ")");
        }
    }

    /** Unpacks an image archive's directories and files; its layers are extracted later, one by one. */
    private static void unpack(Path file, Path dest) throws IOException {
        Map<Path, Path> links = new LinkedHashMap<>();
        try (InputStream in = LayerTar.decompress(new BufferedInputStream(Files.newInputStream(file), 65536));
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String name = LayerTar.safeName(e.getName());
                if (!name.isEmpty() && (e.isSymbolicLink() || e.isLink())) {
                    Path path = dest.resolve(name);
                    links.put(path, e.isLink() ? dest.resolve(LayerTar.safeName(e.getLinkName()))
                            : path.getParent().resolve(e.getLinkName()).normalize());
                    continue;
                }
                if (name.isEmpty() || !(e.isDirectory() || e.isFile())) {
                    continue;
                }
                Path path = dest.resolve(name);
                if (e.isDirectory()) {
                    Files.createDirectories(path);
                } else {
                    Files.createDirectories(path.getParent());
                    try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW)) {
                        tar.transferTo(out);
                    }
                }
            }
        }
        // docker save writes a layer it has saved before as a symlink to the first copy, which
        // may come later in the tar. Only files of the archive are linked to, never the host's.
        for (Map.Entry<Path, Path> link : links.entrySet()) {
            Path target = link.getValue();
            if (target.startsWith(dest) && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                    && Files.notExists(link.getKey(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(link.getKey().getParent());
                Files.createLink(link.getKey(), target);
            }
        }
    }

    private static Map<String, Object> pickManifest(Map<String, Object> index) {
        List<Object> manifests = list(index.get("manifests"));
        if (manifests.isEmpty()) {
            throw new MydockerException("import: the image index lists no manifest");
        }
        String arch = "aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64";
        for (Object m : manifests) {
            Object platform = map(m).get("platform");
            if (platform != null && "linux".equals(map(platform).get("os")) && arch.equals(map(platform).get("architecture"))) {
                return map(m);
            }
        }
        return map(manifests.get(0));
    }

    private static boolean isIndex(Map<String, Object> descriptor, Map<String, Object> content) {
        Object type = descriptor.getOrDefault("mediaType", content.get("mediaType"));
        return OCI_INDEX.equals(type) || DOCKER_LIST.equals(type) || content.containsKey("manifests");
    }

    /** A blob named by its descriptor, verified against the descriptor's digest. */
    private static Path blob(Path dir, Map<String, Object> descriptor) throws IOException {
        String digest = Image.string(descriptor.get("digest"), "import: a descriptor's digest", null);
        Path file = path(dir, digest);
        verify(file, digest);
        return file;
    }

    private static Path path(Path dir, String digest) {
        if (digest == null || !digest.matches("sha256:[0-9a-f]{64}")) {
            throw new MydockerException("import: unsupported or malformed digest " + Trace.quote(String.valueOf(digest)));
        }
        Path file = dir.resolve("blobs/sha256").resolve(Store.hex(digest));
        if (!Files.isRegularFile(file)) {
            throw new MydockerException("import: blob " + digest + " is missing from the image layout");
        }
        return file;
    }

    private static Path inside(Path dir, String name) {
        if (name == null) {
            throw new MydockerException("import: manifest.json names no file where one is needed");
        }
        Path file = dir.resolve(LayerTar.safeName(name));
        if (!Files.isRegularFile(file)) {
            throw new MydockerException("import: " + name + " is missing from the archive");
        }
        return file;
    }

    private static List<String> diffIds(Map<String, Object> config) {
        Object rootfs = config.get("rootfs");
        return rootfs == null ? List.of()
                : Image.strings(map(rootfs).get("diff_ids"), "import: the image config's rootfs.diff_ids");
    }

    private static Map<String, Object> json(Path file) throws IOException {
        String what = "import: " + file.getFileName();
        return Image.object(Image.parse(Files.readString(file), what), what);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        if (!(o instanceof Map)) {
            throw new MydockerException("import: unexpected JSON where an object was expected: " + o);
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o != null && !(o instanceof List)) {
            throw Image.wrongType("import: a list in the image's JSON", o, "a list");
        }
        return o == null ? List.of() : (List<Object>) o;
    }
}
