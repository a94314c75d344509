package mydocker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jnr.ffi.Pointer;

/**
 * Where images and containers live: {@code $MYDOCKER_ROOT}, else /var/lib/mydocker for root
 * and {@code ${XDG_DATA_HOME:-~/.local/share}/mydocker} for anyone else.
 *
 * <pre>
 * layers/HEX/              one extracted layer, named by the sha256 of its uncompressed tar
 * images/NAME.json         an image: its layers, bottom first, and its config
 * containers/ID/           upper/, work/, merged/ and state.json
 * tmp/                     work in progress, each entry named after the process that owns it
 * images.lock, containers.lock   held while a command checks and then changes images or containers
 * </pre>
 *
 * The top directory is 0700 and its owner's: a layer holds setuid files and device nodes, and a
 * root container's upper directory whatever the container made there, so no other user may
 * reach anything under it.
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
        store.makeTop(System.getenv("MYDOCKER_ROOT") != null && !System.getenv("MYDOCKER_ROOT").isEmpty());
        for (String dir : new String[] {"layers", "images", "containers", "tmp"}) {
            store.mkdirs(store.root.resolve(dir));
        }
        store.sweep();
        return store;
    }

    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    // tag::private[]
    /**
     * Makes the top directory 0700 (mkdir's own mode: it is never open to others, not even for
     * an instant), or checks the one that is there. A directory that is there and not private
     * is refused, not chmodded: the user may have named a shared directory, and the fix is
     * theirs to choose. Refusing, rather than making a private directory inside it, keeps the
     * store where the user said it is, so that its paths in messages and the docs hold.
     */
    private void makeTop(boolean named) {
        try {
            if (root.getParent() != null) {
                Files.createDirectories(root.getParent(), PRIVATE); // as XDG says for a missing data home
            }
            Files.createDirectory(root, PRIVATE);
            return;
        } catch (FileAlreadyExistsException e) {
            // checked below
        } catch (IOException e) {
            throw new MydockerException("creating " + root + ": " + e.getMessage()
                    + " (set MYDOCKER_ROOT to a directory you can write)");
        }
        String problem = problem(root);
        if (problem != null && madeByAnEarlierMydocker()) {
            // Until this version mydocker made its stores 0711: that one is ours to close.
            try {
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
                return;
            } catch (IOException e) {
                throw new MydockerException("making " + root + " private: " + e.getMessage() + " (chmod 700 " + root + ")");
            }
        }
        if (problem != null) {
            throw new MydockerException("store " + root + ": " + problem + (named
                    ? "; mydocker changes no directory it did not make (set MYDOCKER_ROOT to a directory only you"
                    + " can enter, or to a path that does not exist yet: mydocker makes it private)"
                    : " (chmod 700 " + root + ")"));
        }
    }
    // end::private[]

    /** What keeps an existing store from being private to this user, or null: doctor asks too. */
    static String problem(Path root) {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(root, "unix:uid,mode,isDirectory");
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
        int mode = (Integer) a.get("mode");
        int uid = (Integer) a.get("uid");
        int me = Syscalls.C.geteuid();
        if (!(Boolean) a.get("isDirectory")) {
            return "not a directory";
        }
        if (uid != me) {
            return "owned by uid " + uid + ", not by you (uid " + me + "): a store is its owner's alone";
        }
        if ((mode & 077) != 0 && !((mode & 077) == 010 && searchOnlyForMappedRoots(root))) {
            return String.format("mode %04o lets other users in; a store must be 0700", mode & 07777);
        }
        return null;
    }

    // tag::acl[]
    // <linux/posix_acl_xattr.h>, <linux/posix_acl.h>
    private static final String ACL = "system.posix_acl_access";
    private static final int ACL_VERSION = 2;
    private static final int ACL_USER_OBJ = 0x01;
    private static final int ACL_USER = 0x02;
    private static final int ACL_GROUP_OBJ = 0x04;
    private static final int ACL_MASK = 0x10;
    private static final int ACL_OTHER = 0x20;
    private static final int ACL_EXECUTE = 1;

    /**
     * Lets a host uid search the top directory, and nothing more, with a POSIX ACL entry: root's
     * container with --uidmap has its root on another host uid, and that uid mounts the
     * overlay, so it must reach the layers and its own directory. No other user is let in.
     */
    void letIn(long uid) {
        Map<Integer, Integer> users = aclUsers(root);
        if (users == null || users.containsKey((int) uid)) {
            return;
        }
        users.put((int) uid, ACL_EXECUTE);
        ByteBuffer acl = ByteBuffer.allocate(4 + 8 * (4 + users.size())).order(ByteOrder.LITTLE_ENDIAN).putInt(ACL_VERSION);
        acl.putShort((short) ACL_USER_OBJ).putShort((short) 7).putInt(-1);
        users.keySet().stream().sorted().forEach(u -> acl.putShort((short) ACL_USER).putShort((short) ACL_EXECUTE).putInt(u));
        acl.putShort((short) ACL_GROUP_OBJ).putShort((short) 0).putInt(-1);
        acl.putShort((short) ACL_MASK).putShort((short) ACL_EXECUTE).putInt(-1);
        acl.putShort((short) ACL_OTHER).putShort((short) 0).putInt(-1);
        Syscalls.check("lsetxattr(" + quote(root.toString()) + ", \"" + ACL + "\", <user:" + uid + ":--x>)",
                Syscalls.C.lsetxattr(root.toString(), ACL, acl.array(), acl.capacity(), 0));
    }

    /** The named users of a directory's ACL (uid to permission), an empty map if it has none, null if it has others. */
    private static Map<Integer, Integer> aclUsers(Path dir) {
        byte[] buf = new byte[4096];
        long n = Syscalls.C.lgetxattr(dir.toString(), ACL, buf, buf.length);
        Map<Integer, Integer> users = new java.util.TreeMap<>();
        if (n < 0) {
            return users; // ENODATA: the mode alone
        }
        ByteBuffer acl = ByteBuffer.wrap(buf, 0, (int) n).order(ByteOrder.LITTLE_ENDIAN);
        if (acl.getInt() != ACL_VERSION) {
            return null;
        }
        while (acl.remaining() >= 8) {
            int tag = acl.getShort() & 0xffff;
            int perm = acl.getShort() & 0xffff;
            int id = acl.getInt();
            if (tag == ACL_USER) {
                users.put(id, perm);
            } else if ((tag == ACL_GROUP_OBJ || tag == ACL_OTHER) && perm != 0 || tag != ACL_USER_OBJ
                    && tag != ACL_GROUP_OBJ && tag != ACL_OTHER && tag != ACL_MASK) {
                return null; // a group, or the group or others let in: not what letIn makes
            }
        }
        return users;
    }

    /** Whether the only others let in are named users who may search and no more: what letIn makes. */
    private static boolean searchOnlyForMappedRoots(Path dir) {
        Map<Integer, Integer> users = aclUsers(dir);
        return users != null && !users.isEmpty() && users.values().stream().allMatch(p -> p == ACL_EXECUTE);
    }
    // end::acl[]

    /** Mode 0711 and the store's own directories: what mydocker made before stores were private. */
    private boolean madeByAnEarlierMydocker() {
        try {
            return ((Integer) Files.getAttribute(root, "unix:mode") & 07777) == 0711
                    && (Integer) Files.getAttribute(root, "unix:uid") == Syscalls.C.geteuid()
                    && Files.isDirectory(root.resolve("layers")) && Files.isDirectory(root.resolve("images"));
        } catch (IOException e) {
            return false;
        }
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

    // tag::tmp[]
    /**
     * This process as tmp/ names its entries: pid and start time, so that the next command
     * can tell a dead owner's leftovers (a killed import or commit) from a live one's work,
     * even once the pid is reused. A pid is only meaningful in one PID namespace: every
     * command of a store runs in the host's.
     */
    static String owner() {
        long pid = ProcessHandle.current().pid();
        return pid + "-" + start(pid);
    }

    private static long start(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().startInstant()).map(Instant::toEpochMilli).orElse(0L);
    }

    private static final Pattern OWNED = Pattern.compile("\\.?[a-z]+-(\\d+)-(\\d+)-.*");

    /** A new empty directory under tmp/, on the store's filesystem so that a rename can publish it. */
    Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(root.resolve("tmp"), prefix + owner() + "-");
        } catch (IOException e) {
            throw new MydockerException("creating a directory in " + root.resolve("tmp"), e);
        }
    }

    /** A new empty file under tmp/, named as tempDir's are. */
    Path tempFile(String prefix, String suffix) throws IOException {
        return Files.createTempFile(root.resolve("tmp"), prefix + owner() + "-", suffix);
    }

    /**
     * Removes what dead commands left: their entries in tmp/, and the halves of files they
     * were writing in images/. Each is first renamed to this process's own name, which only
     * one of two commands sweeping at once can do; a sweeper killed in turn leaves an entry
     * that names a dead process again. An entry that cannot be removed stays, for later.
     */
    void sweep() {
        for (Path dir : List.of(root.resolve("tmp"), root.resolve("images"))) {
            List<Path> entries;
            try (Stream<Path> list = Files.list(dir)) {
                entries = list.toList();
            } catch (IOException e) {
                continue;
            }
            for (Path entry : entries) {
                Matcher m = OWNED.matcher(entry.getFileName().toString());
                if (!m.matches() || (dir.endsWith("images") && !entry.toString().endsWith(".tmp"))) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (pid == ProcessHandle.current().pid() || start(pid) == Long.parseLong(m.group(2))) {
                    continue; // its owner lives
                }
                try {
                    discard(entry);
                } catch (MydockerException e) {
                    // left for a later command, which may be allowed what this one was not
                }
            }
        }
    }

    /**
     * Removes a tree of the store without ever leaving half of it where it was: renamed into
     * tmp/ at once (a rename is atomic), then deleted there. Killed in between, what is left
     * names a dead process, and the next command's sweep deletes it.
     */
    void discard(Path path) {
        Path gone = root.resolve("tmp").resolve("gone-" + owner() + "-" + newId());
        try {
            Files.move(path, gone, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return; // removed meanwhile by another command: what this one wanted
        } catch (IOException e) {
            throw new MydockerException("removing " + path + ": " + e.getMessage());
        }
        deleteTree(gone);
    }
    // end::tmp[]

    /** Writes a file whole beside its target, then renames it into place: a reader never sees half of it. */
    static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-" + owner() + "-", ".tmp");
        try {
            Files.writeString(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // tag::spare[]
    /**
     * As writeAtomically, on a full filesystem too: each write leaves a spare file beside the
     * target, of a size the next content fits in, and the next write overwrites the spare's
     * blocks (which takes no new space), cuts it to length and renames it into place. So a
     * container that filled the store still has its exit recorded, and rm still works.
     * (A copy-on-write filesystem, btrfs or ZFS, needs new blocks even then.)
     */
    static void writeWithSpare(Path target, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Path spare = target.resolveSibling(target.getFileName() + ".spare");
        if (Files.isRegularFile(spare) && Files.size(spare) >= bytes.length) {
            try (FileChannel out = FileChannel.open(spare, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer, buffer.position());
                }
                out.truncate(bytes.length);
            }
            Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            writeAtomically(target, content);
        }
        try {
            Files.write(spare, new byte[Math.max(4096, 2 * bytes.length)]);
        } catch (IOException e) {
            Files.deleteIfExists(spare); // too short to use: the next write takes the ordinary way
        }
    }
    // end::spare[]

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

    /** Six bytes of /dev/urandom, the kernel's CSPRNG that SecureRandom reads too, in hex. */
    static String newId() {
        byte[] bytes = new byte[6];
        try (FileChannel random = FileChannel.open(Path.of("/dev/urandom"))) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining() && random.read(buffer) > 0) {
                // a short read, then the rest
            }
        } catch (IOException e) {
            throw new MydockerException("read of /dev/urandom for a container id failed: " + e.getMessage()
                    + " (a container's id needs it)");
        }
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Search permission for all (0711) inside the private top directory: a container root
     * mapped to another host uid (--uidmap) must reach its layers and its own directory;
     * nobody may list what is in the store. Made with that mode, never chmodded after.
     */
    void mkdirs(Path dir) {
        try {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (FileAlreadyExistsException e) {
            // made by an earlier command
        } catch (IOException e) {
            throw new MydockerException("creating " + dir + ": " + e.getMessage()
                    + " (set MYDOCKER_ROOT to a directory you can write)");
        }
    }

    // tag::delete[]
    private static final StoreCalls S = StoreCalls.INSTANCE;
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(S);
    private static final int EISDIR = 21;
    private static final int ENOENT = 2;
    private static final int EACCES = 13;
    private static final int DIR = StoreCalls.O_RDONLY | StoreCalls.O_DIRECTORY | StoreCalls.O_NOFOLLOW | StoreCalls.O_CLOEXEC;
    private static final byte[] DOTDOT = {'.', '.', 0};

    /** A directory being emptied: its name in its parent, the parent's identity, and what is left of the parent. */
    private record Level(byte[] name, long[] parent, List<byte[]> rest) {}

    /**
     * Deletes a tree that a container wrote, by descriptors: each directory is opened
     * relative to its parent (O_NOFOLLOW: symlinks are removed, never followed) and its entries
     * unlinked relative to it, so that no path is ever built, however deep the tree (a
     * container can make one far deeper than PATH_MAX). One descriptor is open at a time; the
     * way back up is "..", checked to be the directory that was left. Directories the
     * container made unreadable (overlay's own work/work is mode 000) are opened up first.
     */
    static void deleteTree(Path path) {
        Path absolute = path.toAbsolutePath();
        int top = S.openat(StoreCalls.AT_FDCWD, cString(absolute.getParent().toString().getBytes(StandardCharsets.UTF_8)),
                DIR, 0);
        if (top < 0) {
            if (errno() == ENOENT) {
                return;
            }
            throw failed(absolute, "open", absolute.getParent().toString().getBytes(StandardCharsets.UTF_8), 0);
        }
        try {
            removeAt(top, cString(absolute.getFileName().toString().getBytes(StandardCharsets.UTF_8)), absolute);
        } finally {
            S.close(top);
        }
    }

    private static void removeAt(int top, byte[] name, Path shown) {
        if (S.unlinkat(top, name, 0) == 0 || errno() == ENOENT) {
            return;
        }
        if (errno() != EISDIR) {
            throw failed(shown, "unlinkat", name, 0);
        }
        int fd = openDir(top, name, shown, 0);
        if (fd < 0) {
            return;
        }
        Deque<Level> levels = new ArrayDeque<>();
        levels.push(new Level(name, identity(top, shown), List.of()));
        try {
            List<byte[]> entries = list(fd, shown, levels.size());
            while (true) {
                if (entries.isEmpty()) {
                    Level done = levels.pop();
                    int parent = levels.isEmpty() ? top : S.openat(fd, DOTDOT, DIR, 0);
                    if (parent < 0) {
                        throw failed(shown, "openat", DOTDOT, levels.size());
                    }
                    S.close(fd);
                    fd = parent == top ? -1 : parent;
                    if (!Arrays.equals(identity(parent, shown), done.parent())) {
                        throw new MydockerException("removing " + shown + ": a directory " + levels.size()
                                + " levels down was moved while it was being removed; run the command again");
                    }
                    if (S.unlinkat(parent, done.name(), StoreCalls.AT_REMOVEDIR) != 0 && errno() != ENOENT) {
                        throw failed(shown, "unlinkat", done.name(), levels.size());
                    }
                    if (levels.isEmpty()) {
                        return;
                    }
                    entries = done.rest();
                    continue;
                }
                byte[] entry = entries.remove(entries.size() - 1);
                if (S.unlinkat(fd, entry, 0) == 0 || errno() == ENOENT) {
                    continue;
                }
                if (errno() != EISDIR) {
                    throw failed(shown, "unlinkat", entry, levels.size());
                }
                int child = openDir(fd, entry, shown, levels.size());
                if (child < 0) {
                    continue;
                }
                levels.push(new Level(entry, identity(fd, shown), entries));
                S.close(fd);
                fd = child;
                entries = list(fd, shown, levels.size());
            }
        } finally {
            if (fd >= 0) {
                S.close(fd);
            }
        }
    }

    /** Opens a directory to empty it, made readable and writable first if it is its owner's; -1 if it is gone. */
    private static int openDir(int parent, byte[] name, Path shown, int depth) {
        int fd = S.openat(parent, name, DIR, 0);
        if (fd < 0 && errno() == EACCES) {
            // The entry is a directory (unlinkat said EISDIR), and O_NOFOLLOW would fail on a symlink
            // with ELOOP, not EACCES: chmod, which follows symlinks, cannot be led out of the tree here.
            S.fchmodat(parent, name, 0700, 0);
            fd = S.openat(parent, name, DIR, 0);
        }
        if (fd < 0) {
            if (errno() == ENOENT) {
                return -1;
            }
            throw failed(shown, "openat", name, depth);
        }
        S.fchmod(fd, 0700); // a directory of mode 0500 keeps its entries; this fails harmlessly where root does not need it
        return fd;
    }

    /** The names in a directory, read through its descriptor (a duplicate, which closedir closes). */
    private static List<byte[]> list(int fd, Path shown, int depth) {
        int dup = S.dup(fd);
        Pointer dir = dup < 0 ? null : S.fdopendir(dup);
        if (dir == null) {
            int errno = errno();
            if (dup >= 0) {
                S.close(dup);
            }
            throw failed(shown, "fdopendir", new byte[] {'.', 0}, depth, errno);
        }
        List<byte[]> names = new ArrayList<>();
        try {
            for (Pointer e; (e = S.readdir(dir)) != null; ) {
                byte[] raw = new byte[256];
                e.get(19, raw, 0, raw.length); // d_name, after d_ino, d_off, d_reclen and d_type
                int n = 0;
                while (n < raw.length && raw[n] != 0) {
                    n++;
                }
                if ((n == 1 && raw[0] == '.') || (n == 2 && raw[0] == '.' && raw[1] == '.')) {
                    continue;
                }
                names.add(Arrays.copyOf(raw, n + 1)); // NUL-terminated, for the *at calls
            }
        } finally {
            S.closedir(dir);
        }
        return names;
    }

    /** The device and inode of an open directory, from statx (whose layout is the same on every architecture). */
    private static long[] identity(int fd, Path shown) {
        byte[] buf = new byte[StoreCalls.STATX_SIZE];
        if (S.statx(fd, new byte[] {0}, StoreCalls.AT_EMPTY_PATH, StoreCalls.STATX_INO, buf) != 0) {
            throw failed(shown, "statx", new byte[] {0}, 0);
        }
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
        return new long[] {b.getInt(136), b.getInt(140), b.getLong(32)};
    }

    private static int errno() {
        return RUNTIME.getLastError();
    }

    private static MydockerException failed(Path shown, String call, byte[] name, int depth) {
        return failed(shown, call, name, depth, errno());
    }

    /** One line, however long the name and however deep the tree: the tree, the call, the entry's name, the depth. */
    private static MydockerException failed(Path shown, String call, byte[] name, int depth, int errno) {
        String entry = new String(name, 0, Math.max(0, name.length - 1), StandardCharsets.UTF_8);
        return new MydockerException("removing " + shown + ": " + call + "(" + quote(entry) + ")"
                + (depth > 0 ? " " + depth + " directories down" : "") + ": " + Errors.describe(errno));
    }
    // end::delete[]

    private static byte[] cString(byte[] bytes) {
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    /**
     * A name or value as a message shows it: quoted, on one line (a newline is shown as \n),
     * and cut in the middle when it is long, so that a message stays one readable line.
     */
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        String shown = s.length() > 200 ? s.substring(0, 100) + "..." + s.substring(s.length() - 100) : s;
        for (char c : shown.toCharArray()) {
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }
}
