package mydocker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * {@code mydocker import FILE NAME}: a root filesystem tar (as {@code docker export} writes
 * it, plain or gzip) becomes a one-layer image, the layer named by the digest of its tar.
 */
final class ImageImport {

    private final Store store;

    ImageImport(Store store) {
        this.store = store;
    }

    // tag::import[]
    Image run(Path source, String name) throws IOException {
        Image.checkName(name);
        if (Files.notExists(source)) {
            throw new MydockerException("import " + source + ": no such file or directory");
        }
        if (!Files.isReadable(source) || Files.isDirectory(source)) {
            throw new MydockerException("import " + source + ": " + (Files.isDirectory(source)
                    ? "is a directory (import takes a tar file: tar -C DIR -cf rootfs.tar .)"
                    : "permission denied (mydocker runs as you, and reads it as you)"));
        }
        refuseSpecialFile(source);
        Image image;
        try {
            image = new Image(name, List.of(layer(source)), List.of(), List.of(), "");
            image.save(store);
        } catch (IOException | RuntimeException e) {
            if (Store.isFull(e)) {
                throw store.full("import " + source);
            }
            throw e;
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
                    + " (import reads a tar file: save the stream to one first)");
        }
    }

    // tag::layer[]
    /** Extracts the tar into the store, unless a layer of the same digest is there already, and returns that digest. */
    private String layer(Path file) throws IOException {
        Path tmp = store.tempDir("layer-");
        try {
            LayerTar.Extracted x;
            try (var in = Files.newInputStream(file)) {
                x = LayerTar.extract(in, tmp);
                in.transferTo(OutputStream.nullOutputStream());
            }
            if (x.skippedDevices() > 0) {
                System.err.println("mydocker: warning: skipped " + x.skippedDevices() + " device nodes: only root may create them");
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path target = store.layer(x.diffId());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Store.deleteTree(tmp); // kept once: another image brought the same layer
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return x.diffId();
        } catch (IOException | RuntimeException e) {
            Store.deleteTree(tmp); // nothing half-imported
            if (Store.isFull(e) || e instanceof MydockerException) {
                throw e;
            }
            throw new MydockerException("import " + file + ": corrupt or unsupported archive: " + e.getMessage());
        }
    }
    // end::layer[]
}
