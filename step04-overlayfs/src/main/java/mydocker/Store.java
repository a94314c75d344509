package mydocker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
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
 * images.lock, containers.lock   held while a command checks and then changes images or containers
 * </pre>
 */
final class Store {

    /** The locks this process holds: a command that holds one already goes on. */
    private static final Set<String> HELD = new HashSet<>();

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

    /** Work done under a lock, which may fail with an I/O error. */
    interface Locked<T> {
        T run() throws IOException;
    }

    // tag::lock[]
    /**
     * Runs {@code action} holding the store's {@code name}.lock, so that two commands that each
     * check and then change the store take turns: two imports of one image, an rmi and an
     * import sharing a layer, two runs with one --name. It is an fcntl lock (FileChannel.lock):
     * the kernel drops it when the process dies, so a killed command leaves none behind.
     */
    <T> T locked(String name, Locked<T> action) throws IOException {
        if (!HELD.add(name)) {
            return action.run();
        }
        try (FileChannel lock = FileChannel.open(root.resolve(name + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            lock.lock();
            return action.run();
        } finally {
            HELD.remove(name);
        }
    }
    // end::lock[]

    /**
     * Whether a failure, or what caused it, is the store's filesystem running full: ENOSPC from
     * a system call, or from java.io, which gives only strerror's text.
     */
    static boolean isFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SyscallException s ? s.errno == Errors.ENOSPC
                    : t instanceof IOException && String.valueOf(t.getMessage()).contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    /** The one line for a full store: what failed, ENOSPC, and where space is needed. */
    MydockerException full(String operation) {
        return new MydockerException(operation + ": " + Errors.describe(Errors.ENOSPC) + " (the filesystem of " + root
                + " is full; nothing of this was kept: free some space, or set MYDOCKER_ROOT to a larger one)");
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
        } catch (NoSuchFileException e) {
            // removed meanwhile by another command: what this one wanted
        } catch (IOException e) {
            throw new MydockerException("removing " + path + ": " + e.getMessage());
        }
    }
}
