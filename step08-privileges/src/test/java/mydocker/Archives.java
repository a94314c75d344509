package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Image archives built by the tests, byte by byte, as docker and OCI tools write them: layer
 * tars (with {@code .wh.} whiteouts when a test wants them), OCI image layouts and docker save
 * archives. Every file is readable by the ordinary user the tests run mydocker as.
 */
final class Archives {

    private static byte[] busybox;

    private Archives() {}

    /** A tar written entry by entry, names kept exactly as given (absolute and ".." included). */
    static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

        Tar() {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        Tar dir(String name) {
            return add(entry(name.endsWith("/") ? name : name + "/", TarArchiveEntry.LF_DIR, 0755), new byte[0]);
        }

        /** A directory with the mode and owner an image gives it (setuid bits and all). */
        Tar dir(String name, int mode, int uid) {
            TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarArchiveEntry.LF_DIR, mode);
            e.setUserId(uid);
            e.setGroupId(uid);
            return add(e, new byte[0]);
        }

        Tar fifo(String name) {
            return add(entry(name, TarArchiveEntry.LF_FIFO, 0644), new byte[0]);
        }

        Tar charDevice(String name, int major, int minor) {
            TarArchiveEntry e = entry(name, TarArchiveEntry.LF_CHR, 0666);
            e.setDevMajor(major);
            e.setDevMinor(minor);
            return add(e, new byte[0]);
        }

        Tar file(String name, String content) {
            return add(entry(name, TarArchiveEntry.LF_NORMAL, 0644), content.getBytes(StandardCharsets.UTF_8));
        }

        /** An OCI whiteout: the file {@code .wh.NAME} beside the deleted NAME. */
        Tar whiteout(String dir, String name) {
            return file((dir.isEmpty() ? "" : dir + "/") + ".wh." + name, "");
        }

        /** An OCI opaque marker: the lower layers' contents of {@code dir} are hidden. */
        Tar opaque(String dir) {
            return file(dir + "/.wh..wh..opq", "");
        }

        Tar symlink(String name, String target) {
            TarArchiveEntry e = entry(name, TarArchiveEntry.LF_SYMLINK, 0777);
            e.setLinkName(target);
            return add(e, new byte[0]);
        }

        Tar hardlink(String name, String target) {
            TarArchiveEntry e = entry(name, TarArchiveEntry.LF_LINK, 0644);
            e.setLinkName(target);
            return add(e, new byte[0]);
        }

        /** Every entry of {@code tar}, as it is there: a root filesystem to add files to. */
        Tar include(byte[] tar) {
            try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
                for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                    add(e, in.readAllBytes());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        byte[] bytes() {
            try {
                out.finish();
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }

        private static TarArchiveEntry entry(String name, byte type, int mode) {
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            e.setMode(mode);
            e.setModTime(1_700_000_000_000L);
            return e;
        }

        private Tar add(TarArchiveEntry e, byte[] content) {
            try {
                e.setSize(content.length);
                out.putArchiveEntry(e);
                out.write(content);
                out.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return this;
        }
    }

    /** An image's layers, bottom first, each stored plain or gzip-compressed. */
    static final class Image {
        private final List<byte[]> tars = new ArrayList<>();
        private final List<Boolean> gzipped = new ArrayList<>();
        private final Map<Integer, String> wrongDiffIds = new LinkedHashMap<>();
        private final List<Integer> corrupted = new ArrayList<>();
        private String workingDir = "";
        private final List<String> env = new ArrayList<>(List.of("PATH=/usr/bin:/bin:/usr/sbin:/sbin"));

        Image layer(byte[] tar, boolean gzip) {
            tars.add(tar);
            gzipped.add(gzip);
            return this;
        }

        /** The config claims another diff_id for layer i than its tar has. */
        Image wrongDiffId(int i) {
            wrongDiffIds.put(i, sha256("not the layer".getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        /** The config claims layer {@code other}'s diff_id for layer i, as a tool that mixed them up would. */
        Image diffIdOf(int i, int other) {
            wrongDiffIds.put(i, diffId(other));
            return this;
        }

        /** Layer i's blob is altered after its digest was taken, as a bad download would. */
        Image corruptBlob(int i) {
            corrupted.add(i);
            return this;
        }

        /** The config's WorkingDir, which the layers need not hold. */
        Image workingDir(String dir) {
            workingDir = dir;
            return this;
        }

        /** More variables in the config's Env. */
        Image env(String... variables) {
            env.addAll(List.of(variables));
            return this;
        }

        /** The uncompressed tar's sha256: the layer's diff_id, which names its directory in the store. */
        String diffId(int i) {
            return sha256(tars.get(i));
        }

        /** An OCI image layout (image-spec's image-layout.md): oci-layout, index.json, blobs/sha256/. */
        Path ociLayout(Path dir) throws IOException {
            Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
            List<Object> layers = new ArrayList<>();
            for (int i = 0; i < tars.size(); i++) {
                byte[] blob = blob(i);
                String digest = sha256(blob);
                Files.write(blobs.resolve(Store.hex(digest)), corrupted.contains(i) ? corrupt(blob) : blob);
                layers.add(descriptor(gzipped.get(i) ? "application/vnd.oci.image.layer.v1.tar+gzip"
                        : "application/vnd.oci.image.layer.v1.tar", digest, blob.length));
            }
            byte[] config = config();
            Files.write(blobs.resolve(Store.hex(sha256(config))), config);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
            manifest.put("config", descriptor("application/vnd.oci.image.config.v1+json", sha256(config), config.length));
            manifest.put("layers", layers);
            byte[] manifestBytes = JSON.std.asBytes(manifest);
            Files.write(blobs.resolve(Store.hex(sha256(manifestBytes))), manifestBytes);
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("schemaVersion", 2);
            index.put("manifests", List.of(descriptor("application/vnd.oci.image.manifest.v1+json",
                    sha256(manifestBytes), manifestBytes.length)));
            Files.write(dir.resolve("index.json"), JSON.std.asBytes(index));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            return readable(dir);
        }

        /**
         * docker save's format (before docker 25): manifest.json naming a config file and a
         * directory with a layer.tar for each layer. A layer that comes again is, as docker
         * writes it, a symlink to its first layer.tar.
         */
        Path dockerSave(Path dir) throws IOException {
            Files.createDirectories(dir);
            List<String> layerFiles = new ArrayList<>();
            Map<String, String> saved = new LinkedHashMap<>();
            for (int i = 0; i < tars.size(); i++) {
                byte[] blob = blob(i);
                // docker names the directory by a v1 id, which differs where the same layer comes again
                String file = Store.hex(sha256((i + ":" + diffId(i)).getBytes(StandardCharsets.UTF_8))) + "/layer.tar";
                Files.createDirectories(dir.resolve(file).getParent());
                String first = saved.putIfAbsent(diffId(i), file);
                if (first != null) {
                    Files.createSymbolicLink(dir.resolve(file), Path.of("..", first));
                } else {
                    Files.write(dir.resolve(file), corrupted.contains(i) ? corrupt(blob) : blob);
                }
                layerFiles.add(file);
            }
            byte[] config = config();
            String configFile = Store.hex(sha256(config)) + ".json";
            Files.write(dir.resolve(configFile), config);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Config", configFile);
            entry.put("RepoTags", List.of("test:latest"));
            entry.put("Layers", layerFiles);
            Files.write(dir.resolve("manifest.json"), JSON.std.asBytes(List.of(entry)));
            return readable(dir);
        }

        private byte[] blob(int i) {
            return gzipped.get(i) ? gzip(tars.get(i)) : tars.get(i);
        }

        private byte[] config() throws IOException {
            List<String> diffIds = new ArrayList<>();
            for (int i = 0; i < tars.size(); i++) {
                diffIds.add(wrongDiffIds.getOrDefault(i, diffId(i)));
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("architecture", "aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64");
            config.put("os", "linux");
            config.put("config", Map.of("Cmd", List.of("/bin/sh"), "Env", env,
                    "WorkingDir", workingDir));
            config.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
            return JSON.std.asBytes(config);
        }

        private static Map<String, Object> descriptor(String type, String digest, long size) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", type);
            d.put("digest", digest);
            d.put("size", size);
            return d;
        }

        /** One byte flipped in the middle, where a gzip stream's deflate data or a tar's file data is. */
        private static byte[] corrupt(byte[] blob) {
            byte[] copy = blob.clone();
            copy[copy.length / 2] ^= 0x5a;
            return copy;
        }
    }

    /** The root filesystem scripts/busybox-rootfs.sh builds: the tests' base layer. */
    static synchronized byte[] busybox() throws IOException {
        if (busybox == null) {
            Mydocker.requireCommand("busybox");
            Path tar = Files.createTempFile("busybox-layer-", ".tar");
            try {
                Mydocker.host(Mydocker.MODULE.resolve("../scripts/busybox-rootfs.sh").toString(), tar.toString());
                busybox = Files.readAllBytes(tar);
            } finally {
                Files.delete(tar);
            }
        }
        return busybox;
    }

    /** The names at the top of a tar, as ls lists a root directory built from it. */
    static List<String> topLevel(byte[] tar) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                String name = e.getName().replaceFirst("^\\./", "");
                if (!name.isEmpty() && !name.equals(".")) {
                    names.add(name.split("/")[0]);
                }
            }
        }
        return List.copyOf(names);
    }

    /** A tar of a directory's files, as {@code tar -C dir -cf file .} makes it (an OCI layout as one file). */
    static Path tarOf(Path dir, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
                TarArchiveOutputStream out = new TarArchiveOutputStream(os);
                Stream<Path> walk = Files.walk(dir)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path p : walk.filter(p -> !p.equals(dir)).sorted().toList()) {
                String name = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    TarArchiveEntry link = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                    link.setLinkName(Files.readSymbolicLink(p).toString());
                    out.putArchiveEntry(link);
                    out.closeArchiveEntry();
                    continue;
                }
                TarArchiveEntry e = new TarArchiveEntry(Files.isDirectory(p) ? name + "/" : name);
                e.setSize(Files.isDirectory(p) ? 0 : Files.size(p));
                e.setMode(Files.isDirectory(p) ? 0755 : 0644);
                out.putArchiveEntry(e);
                if (!Files.isDirectory(p)) {
                    Files.copy(p, out);
                }
                out.closeArchiveEntry();
            }
            out.finish();
        }
        return readable(file);
    }

    /** Writes a file the ordinary user can read. */
    static Path write(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        return readable(file);
    }

    /** Opens a tree to every user: directories 755, files 644. */
    static Path readable(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return path;
    }

    /** A directory the ordinary user can also write to, for the files mydocker save writes. */
    static Path shared(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return dir;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
