package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Where images and containers live: {@code $MYDOCKER_ROOT}, else /var/lib/mydocker for root
 * and {@code ${XDG_DATA_HOME:-~/.local/share}/mydocker} for anyone else.
 *
 * <pre>
 * layers/HEX/              one extracted layer, named by the sha256 of its uncompressed tar
 * images/NAME.json         an image: its layers, bottom first, and its config
 * containers/ID/           upper/, work/, merged/ and state.json
 * tmp/                     imports in progress, renamed into place when complete
 * </pre>
 */
final class Store {

    final Path root;

    Store(Path root) {
        this.root = root;
    }

    static Store open() {
        Store store = new Store(location());
        store.mkdirs(store.root);
        for (String dir : new String[] {"layers", "images", "containers", "tmp"}) {
            store.mkdirs(store.root.resolve(dir));
        }
        return store;
    }

    /** Where the store is, made or not: open() makes it, doctor only looks. */
    static Path location() {
        String env = System.getenv("MYDOCKER_ROOT");
        Path root;
        if (env != null && !env.isEmpty()) {
            root = Path.of(env);
        } else if (Syscalls.C.geteuid() == 0) {
            root = Path.of("/var/lib/mydocker");
        } else {
            String xdg = System.getenv("XDG_DATA_HOME");
            root = (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local/share"))
                    .resolve("mydocker");
        }
        return root.toAbsolutePath();
    }

    Path layer(String digest) {
        return root.resolve("layers").resolve(hex(digest));
    }

    Path image(String name) {
        return root.resolve("images").resolve(name + ".json");
    }

    Path container(String id) {
        return root.resolve("containers").resolve(id);
    }

    /** A new empty directory under tmp/, on the store's filesystem so that a rename can publish it. */
    Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(root.resolve("tmp"), prefix);
        } catch (IOException e) {
            throw new MydockerException("creating a directory in " + root.resolve("tmp"), e);
        }
    }

    /** Writes a file whole beside its target, then renames it into place: a reader never sees half of it. */
    static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".", ".tmp");
        try {
            Files.writeString(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String hex(String digest) {
        return digest.startsWith("sha256:") ? digest.substring(7) : digest;
    }

    static String newId() {
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Search permission for all (0711): a container root mapped to another host uid (--uidmap)
     * must reach its layers and its own directory; nobody may list what is in the store.
     */
    void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new MydockerException("creating " + dir + ": " + e.getMessage()
                    + " (set MYDOCKER_ROOT to a directory you can write)");
        }
    }

    /**
     * Deletes a tree that a container wrote: directories it made unreadable (overlay's own
     * work/work is mode 000) are opened up first, and symlinks are removed, never followed.
     */
    static void deleteTree(Path path) {
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
                try (Stream<Path> children = Files.list(path)) {
                    for (Path child : (Iterable<Path>) children::iterator) {
                        deleteTree(child);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new MydockerException("removing " + path + ": " + e.getMessage());
        }
    }
}
