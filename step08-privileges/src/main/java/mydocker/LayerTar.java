package mydocker;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A layer as a tar archive and as the directory overlay reads. The two spell deletions
 * differently: OCI and docker tars carry a file {@code .wh.NAME} for a deleted NAME and
 * {@code .wh..wh..opq} for a directory whose lower contents are hidden; overlay wants a
 * character device 0/0 named NAME and an {@code overlay.opaque} xattr on the directory.
 */
final class LayerTar {

    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    // Since step02 every container has its own user namespace, where overlay keeps its
    // attributes in user.* (the userxattr mount option); trusted.* is for the initial namespace.
    static final String OPAQUE_XATTR = "user.overlay.opaque";

    // <sys/stat.h>
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    private LayerTar() {}

    /** The result of an extraction: the uncompressed tar's digest, and what had to be left out. */
    record Extracted(String diffId, int skippedDevices) {}

    // tag::extract[]
    /**
     * Extracts a layer tar (plain or gzip) into the empty directory {@code dest}, converting
     * whiteouts, and returns the sha256 of the uncompressed tar: the layer's diff_id. Refuses
     * any entry that would land outside {@code dest}. Every entry is made through a descriptor
     * of its directory, opened without following a link, and no entry but a regular file is
     * ever opened: a FIFO would wait for a writer, a device node would run its driver.
     */
    static Extracted extract(InputStream raw, Path dest) throws IOException {
        MessageDigest sha256 = sha256();
        InputStream plain = decompress(new BufferedInputStream(raw, 65536));
        DigestInputStream digesting = new DigestInputStream(plain, sha256);
        TarArchiveInputStream tar = new TarArchiveInputStream(digesting);
        boolean root = Syscalls.C.geteuid() == 0;
        TreeSet<String> opaque = new TreeSet<>();
        TreeMap<String, TarArchiveEntry> dirs = new TreeMap<>();
        int skipped = 0;
        Set<String> skippedDevices = new HashSet<>();
        int entries = 0;
        try (Tree layer = Tree.open(dest)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; entries++) {
                String name = safeName(e.getName());
                if (name.isEmpty()) {
                    continue;
                }
                int slash = name.lastIndexOf('/');
                String parent = slash < 0 ? "" : name.substring(0, slash);
                String base = name.substring(slash + 1);
                int dir = layer.dir(parent, name, true);
                if (base.equals(OPAQUE)) {
                    opaque.add(parent); // applies wherever the marker sits in the tar
                } else if (base.startsWith(WHITEOUT)) {
                    String deleted = base.substring(WHITEOUT.length());
                    if (deleted.isEmpty() || deleted.equals(".") || deleted.equals("..")) {
                        throw new MydockerException("refusing tar entry " + Trace.quote(name)
                                + ": a whiteout must name a file of its directory, and this one names "
                                + (deleted.isEmpty() ? "nothing" : Trace.quote(deleted)));
                    }
                    layer.remove(dir, join(parent, deleted), dirs, opaque);
                    mknodat(dir, join(parent, deleted), deleted, S_IFCHR, 0, 0);
                } else if (e.isDirectory()) {
                    if (!layer.isDirectory(dir, base)) {
                        layer.remove(dir, name, dirs, opaque);
                        Syscalls.check("mkdirat(" + Trace.quote(name) + ")", FileCalls.C.mkdirat(dir, base, 0755));
                    }
                    dirs.put(name, e);
                } else {
                    layer.remove(dir, name, dirs, opaque);
                    if (!create(tar, e, layer, dir, name, base, root, skippedDevices)) {
                        skipped++;
                        skippedDevices.add(name);
                    }
                }
            }
            digesting.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole tar
            if (entries == 0) {
                throw new MydockerException("the archive holds no files: an empty or truncated tar");
            }
            for (String d : opaque) {
                int fd = layer.open(d, d);
                try {
                    setOpaque(fd, d);
                } finally {
                    FileCalls.C.close(fd);
                }
            }
            // Last, and deepest first: a read-only directory would block its entries, and the
            // walk to a directory passes through its parents.
            for (Map.Entry<String, TarArchiveEntry> d : dirs.descendingMap().entrySet()) {
                int fd = layer.open(d.getKey(), d.getKey());
                try {
                    setAttributes(fd, d.getKey(), d.getValue(), root);
                } finally {
                    FileCalls.C.close(fd);
                }
            }
        }
        return new Extracted("sha256:" + HexFormat.of().formatHex(sha256.digest()), skipped);
    }
    // end::extract[]

    // tag::safe-name[]
    /**
     * The entry's path relative to the layer: leading "/" and "./" dropped, ".." refused. A
     * tar that climbs out of its directory is the "tar slip" attack.
     */
    static String safeName(String name) {
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new MydockerException("refusing tar entry " + Trace.quote(name) + ": it climbs out of the layer");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    /**
     * A directory tree reached only through descriptors. A path is walked one name at a time,
     * each opened with O_NOFOLLOW in the directory opened before it, so no symlink is followed:
     * an earlier entry could have made {@code etc} a link to the host's /etc, and a later
     * {@code etc/passwd} would then be written there; or it could have replaced {@code x}, whose
     * deferred attributes are yet to be set, by a link to the user's home directory.
     */
    static final class Tree implements AutoCloseable {
        final int root;
        private String cachedName; // the directory of the last entry: tars list a directory's files together
        private int cachedFd = -1;

        private Tree(int root) {
            this.root = root;
        }

        static Tree open(Path dir) {
            return new Tree((int) Syscalls.check("open(" + Trace.quote(dir.toString()) + ", O_DIRECTORY|O_NOFOLLOW)",
                    FileCalls.C.openat(FileCalls.AT_FDCWD, dir.toString(),
                            FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0)));
        }

        /** The directory {@code path} (relative, "" for the top), kept open for the next entry: not the caller's to close. */
        int dir(String path, String entry, boolean create) {
            if (path.isEmpty()) {
                return root;
            }
            if (!path.equals(cachedName)) {
                forget();
                cachedFd = walk(path, entry, create);
                cachedName = path;
            }
            return cachedFd;
        }

        /** The directory {@code path} on a descriptor of its own, which the caller closes. */
        int open(String path, String entry) {
            return walk(path, entry, false);
        }

        private int walk(String path, String entry, boolean create) {
            int fd = (int) Syscalls.check("openat(.)", FileCalls.C.openat(root, ".", DIRECTORY, 0));
            String done = "";
            for (String part : path.isEmpty() ? new String[0] : path.split("/")) {
                done = join(done, part);
                int next = FileCalls.C.openat(fd, part, DIRECTORY, 0);
                if (next == -1 && Syscalls.errno() == FileCalls.ENOENT && create) {
                    int made = FileCalls.C.mkdirat(fd, part, 0755);
                    if (made == -1 && Syscalls.errno() != FileCalls.EEXIST) {
                        int errno = Syscalls.errno();
                        FileCalls.C.close(fd);
                        throw new SyscallException("mkdirat(" + Trace.quote(done) + ")", errno);
                    }
                    next = FileCalls.C.openat(fd, part, DIRECTORY, 0);
                }
                if (next == -1) {
                    int errno = Syscalls.errno();
                    String what = errno == FileCalls.ELOOP || errno == FileCalls.ENOTDIR
                            ? (isSymlink(fd, part) ? "it would be written through the symlink " : "it would be written under the non-directory ")
                            : null;
                    FileCalls.C.close(fd);
                    if (what != null) {
                        throw new MydockerException("refusing tar entry " + Trace.quote(entry) + ": " + what + done);
                    }
                    throw new SyscallException("openat(" + Trace.quote(done) + ", O_DIRECTORY|O_NOFOLLOW)", errno);
                }
                FileCalls.C.close(fd);
                fd = next;
            }
            return fd;
        }

        boolean isDirectory(int dir, String base) {
            FileCalls.Stat st = lstat(dir, base);
            return st != null && st.isDirectory();
        }

        /**
         * Removes {@code name} (in {@code dir}) and whatever is under it, and forgets what was to
         * be set on it later: a later entry took its place.
         */
        void remove(int dir, String name, TreeMap<String, TarArchiveEntry> dirs, TreeSet<String> opaque) {
            String base = name.substring(name.lastIndexOf('/') + 1);
            if (FileCalls.C.unlinkat(dir, base, 0) == -1) {
                int errno = Syscalls.errno();
                if (errno == FileCalls.ENOENT) {
                    return;
                }
                if (errno != FileCalls.EISDIR) {
                    throw new SyscallException("unlinkat(" + Trace.quote(name) + ")", errno);
                }
                if (cachedName != null && (cachedName.equals(name) || cachedName.startsWith(name + "/"))) {
                    forget(); // the cached directory is this one, or under it
                }
                removeTree(dir, base, name);
                dirs.remove(name);
                dirs.subMap(name + "/", name + "0").clear(); // '0' follows '/'
                opaque.remove(name);
                opaque.subSet(name + "/", name + "0").clear();
            }
        }

        private void forget() {
            if (cachedFd != -1) {
                FileCalls.C.close(cachedFd);
            }
            cachedFd = -1;
            cachedName = null;
        }

        @Override
        public void close() {
            forget();
            FileCalls.C.close(root);
        }
    }
    // end::safe-name[]

    private static final int DIRECTORY = FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_NOFOLLOW
            | FileCalls.O_CLOEXEC;

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** Deletes the directory {@code base} in {@code dir} and all in it, through descriptors. */
    private static void removeTree(int dir, String base, String name) {
        int fd = (int) Syscalls.check("openat(" + Trace.quote(name) + ", O_DIRECTORY|O_NOFOLLOW)",
                FileCalls.C.openat(dir, base, DIRECTORY, 0));
        try {
            for (String child : names(fd)) {
                if (FileCalls.C.unlinkat(fd, child, 0) == -1) {
                    if (Syscalls.errno() != FileCalls.EISDIR) {
                        throw new SyscallException("unlinkat(" + Trace.quote(join(name, child)) + ")", Syscalls.errno());
                    }
                    removeTree(fd, child, join(name, child));
                }
            }
        } finally {
            FileCalls.C.close(fd);
        }
        Syscalls.check("unlinkat(" + Trace.quote(name) + ", AT_REMOVEDIR)",
                FileCalls.C.unlinkat(dir, base, FileCalls.AT_REMOVEDIR));
    }

    /**
     * The names in an open directory, sorted. Listed through /proc/self/fd: that link leads to
     * the directory the descriptor holds, whatever its path has become since.
     */
    static List<String> names(int dirfd) {
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd/" + dirfd))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new MydockerException("listing a directory", e);
        }
    }

    /** The entry {@code base} of {@code dir} itself, a symlink's own status; null if there is none. */
    static FileCalls.Stat lstat(int dir, String base) {
        int fd = FileCalls.C.openat(dir, base, FileCalls.O_PATH | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0);
        if (fd == -1) {
            return null;
        }
        try {
            return fstat(fd, base);
        } finally {
            FileCalls.C.close(fd);
        }
    }

    private static boolean isSymlink(int dir, String base) {
        FileCalls.Stat st = lstat(dir, base);
        return st != null && st.isSymlink();
    }

    static FileCalls.Stat fstat(int fd, String name) {
        byte[] statx = new byte[FileCalls.Stat.SIZE];
        Syscalls.check("statx(" + Trace.quote(name) + ", AT_EMPTY_PATH)",
                FileCalls.C.statx(fd, "", FileCalls.AT_EMPTY_PATH, FileCalls.STATX_BASIC_STATS, statx));
        return FileCalls.Stat.of(statx);
    }

    /** Creates one non-directory entry; false if it had to be skipped (a device, for an ordinary user). */
    private static boolean create(TarArchiveInputStream tar, TarArchiveEntry e, Tree layer, int dir, String name,
            String base, boolean root, Set<String> skippedDevices) throws IOException {
        if (e.isSymbolicLink()) {
            Syscalls.check("symlinkat(" + Trace.quote(e.getLinkName()) + ", " + Trace.quote(name) + ")",
                    FileCalls.C.symlinkat(e.getLinkName(), dir, base));
            setAttributes(dir, name, base, e, root, false);
        } else if (e.isLink()) {
            // A hard link's header repeats its target's attributes, which are set already, as GNU tar has it.
            String target = safeName(e.getLinkName());
            if (skippedDevices.contains(target)) {
                throw new MydockerException("hard link " + Store.quote(name) + " to " + Store.quote(target)
                        + ": the target is a device node, which only root may create (import as root, or leave the"
                        + " device nodes out of the archive)");
            }
            int slash = target.lastIndexOf('/');
            MydockerException missing = new MydockerException("refusing tar entry " + Trace.quote(name)
                    + ": it is a hard link to " + Trace.quote(target) + ", which no entry before it made");
            int from;
            try {
                from = layer.open(slash < 0 ? "" : target.substring(0, slash), name);
            } catch (SyscallException x) {
                throw x.errno == FileCalls.ENOENT ? missing : x;
            }
            try {
                if (FileCalls.C.linkat(from, target.substring(slash + 1), dir, base, 0) == -1) { // 0: a symlink is not followed
                    int errno = Syscalls.errno();
                    throw errno == FileCalls.ENOENT ? missing
                            : new SyscallException("linkat(" + Trace.quote(target) + ", " + Trace.quote(name) + ")", errno);
                }
            } finally {
                FileCalls.C.close(from);
            }
        } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            if (!root) {
                return false; // only whiteouts may be made without CAP_MKNOD in the initial namespace
            }
            mknodat(dir, name, base, e.isCharacterDevice() ? S_IFCHR : S_IFBLK, e.getDevMajor(), e.getDevMinor());
            setAttributes(dir, name, base, e, root, true);
        } else if (e.isFIFO()) {
            mknodat(dir, name, base, S_IFIFO, 0, 0);
            setAttributes(dir, name, base, e, root, true);
        } else {
            // O_EXCL|O_NOFOLLOW: never through a symlink planted at the name
            int fd = (int) Syscalls.check("openat(" + Trace.quote(name) + ", O_CREAT|O_EXCL|O_NOFOLLOW)",
                    FileCalls.C.openat(dir, base, FileCalls.O_WRONLY | FileCalls.O_CREAT | FileCalls.O_EXCL
                            | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0600));
            try {
                byte[] buf = new byte[65536];
                for (int n; (n = tar.read(buf)) > 0; ) {
                    Syscalls.writeFully(fd, buf, n);
                }
                setAttributes(fd, name, e, root);
            } finally {
                FileCalls.C.close(fd);
            }
        }
        return true;
    }

    /** Owner, mode and time of an open file or directory, in that order: chown clears setuid bits. */
    private static void setAttributes(int fd, String name, TarArchiveEntry e, boolean root) {
        if (root) {
            Syscalls.check("fchown(" + Trace.quote(name) + ", " + e.getLongUserId() + ", " + e.getLongGroupId() + ")",
                    FileCalls.C.fchown(fd, (int) e.getLongUserId(), (int) e.getLongGroupId()));
        }
        // fchmod, not Files.setPosixFilePermissions: it keeps setuid, setgid and sticky bits
        Syscalls.check("fchmod(" + Trace.quote(name) + ", 0" + Integer.toOctalString(e.getMode() & 07777) + ")",
                FileCalls.C.fchmod(fd, e.getMode() & 07777));
        Syscalls.check("futimens(" + Trace.quote(name) + ")", FileCalls.C.futimens(fd, times(e)));
    }

    /**
     * The same for a symlink, FIFO or device node, which is never opened: by name in its
     * directory, without following a link. The mode goes through an O_PATH descriptor, which
     * opens nothing, as chmod has no no-follow form before Linux 6.6 (fchmodat2).
     */
    private static void setAttributes(int dir, String name, String base, TarArchiveEntry e, boolean root, boolean mode) {
        if (root) {
            Syscalls.check("fchownat(" + Trace.quote(name) + ", " + e.getLongUserId() + ", " + e.getLongGroupId()
                    + ", AT_SYMLINK_NOFOLLOW)", FileCalls.C.fchownat(dir, base, (int) e.getLongUserId(),
                    (int) e.getLongGroupId(), FileCalls.AT_SYMLINK_NOFOLLOW));
        }
        if (mode) {
            int fd = (int) Syscalls.check("openat(" + Trace.quote(name) + ", O_PATH|O_NOFOLLOW)",
                    FileCalls.C.openat(dir, base, FileCalls.O_PATH | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0));
            try {
                if (fstat(fd, name).isSymlink()) {
                    throw new MydockerException("refusing tar entry " + Trace.quote(name) + ": it became a symlink meanwhile");
                }
                Syscalls.check("chmod(" + Trace.quote(name) + ", 0" + Integer.toOctalString(e.getMode() & 07777) + ")",
                        FileCalls.C.chmod("/proc/self/fd/" + fd, e.getMode() & 07777));
            } finally {
                FileCalls.C.close(fd);
            }
        }
        Syscalls.check("utimensat(" + Trace.quote(name) + ", AT_SYMLINK_NOFOLLOW)",
                FileCalls.C.utimensat(dir, base, times(e), FileCalls.AT_SYMLINK_NOFOLLOW));
    }

    /**
     * The times to set, as futimens and utimensat take them: the access time is left as it
     * is, and the modification time is the entry's own, a link's too (not its target's):
     * written back out, a layer gives the same tar.
     */
    private static long[] times(TarArchiveEntry e) {
        Instant t = e.getLastModifiedTime().toInstant();
        return new long[] {0, FileCalls.UTIME_OMIT, t.getEpochSecond(), t.getNano()};
    }

    private static void mknodat(int dir, String name, String base, int type, int major, int minor) {
        long dev = ((long) (major & 0xfff) << 8) | (minor & 0xff) | ((long) (minor & ~0xff) << 12);
        int mode = type == S_IFCHR && major == 0 && minor == 0 ? type : type | 0600;
        Syscalls.check("mknodat(" + Trace.quote(name) + ", " + Integer.toOctalString(mode) + ", " + major + ":"
                + minor + ")", FileCalls.C.mknodat(dir, base, mode, dev));
    }

    private static void setOpaque(int fd, String name) {
        byte[] y = {'y'};
        Syscalls.check("fsetxattr(" + Trace.quote(name.isEmpty() ? "." : name) + ", \"" + OPAQUE_XATTR + "\", \"y\")",
                FileCalls.C.fsetxattr(fd, OPAQUE_XATTR, y, 1, 0));
    }

    static boolean isOpaque(int fd) {
        byte[] value = new byte[1];
        return FileCalls.C.fgetxattr(fd, OPAQUE_XATTR, value, 1) == 1 && value[0] == 'y';
    }

    static boolean isOpaque(Path dir) {
        byte[] value = new byte[1];
        return Syscalls.C.lgetxattr(dir.toString(), OPAQUE_XATTR, value, 1) == 1 && value[0] == 'y';
    }

    /** A whiteout as overlay makes it: a character device with device number 0/0. */
    static boolean isWhiteout(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(path)) {
            return false;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        long rdev = (Long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == S_IFCHR && rdev == 0;
    }

    // tag::write[]
    /**
     * Writes {@code dir} as an uncompressed layer tar and returns its sha256. Whiteouts and
     * opaque directories go back to their {@code .wh.} spelling, as docker and OCI expect. A
     * running container writes in {@code dir} meanwhile, so it is walked by descriptors
     * ({@link #walk}), and only a regular file is ever opened.
     */
    static String write(Path dir, OutputStream out) throws IOException {
        MessageDigest sha256 = sha256();
        boolean root = Syscalls.C.geteuid() == 0;
        int me = Syscalls.C.getuid();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new DigestOutputStream(out, sha256))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            Map<List<Long>, String> inodes = new HashMap<>();
            walk(dir, (name, st, fd, parent, base) -> {
                int type = st.mode() & S_IFMT;
                if (type == S_IFCHR && st.rdevMajor() == 0 && st.rdevMinor() == 0) {
                    int slash = name.lastIndexOf('/');
                    TarArchiveEntry wh = new TarArchiveEntry(name.substring(0, slash + 1) + WHITEOUT + base);
                    wh.setModTime(0); // a marker, not a file: a fixed time keeps the tar's digest stable
                    tar.putArchiveEntry(owned(wh, st, root, me));
                    tar.closeArchiveEntry();
                } else if (type == S_IFDIR) {
                    TarArchiveEntry e = entry(new TarArchiveEntry(name + "/"), st);
                    tar.putArchiveEntry(owned(e, st, root, me));
                    tar.closeArchiveEntry();
                    if (isOpaque(fd)) {
                        TarArchiveEntry opq = new TarArchiveEntry(name + "/" + OPAQUE);
                        opq.setModTime(e.getModTime());
                        tar.putArchiveEntry(owned(opq, st, root, me));
                        tar.closeArchiveEntry();
                    }
                } else if (type == S_IFREG) {
                    writeFile(tar, name, parent, base, fd, st, inodes, root, me);
                } else if (type == S_IFLNK) {
                    TarArchiveEntry e = entry(new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK), st);
                    e.setLinkName(readlink(fd, name));
                    tar.putArchiveEntry(owned(e, st, root, me));
                    tar.closeArchiveEntry();
                } else if (type == S_IFCHR || type == S_IFBLK || type == S_IFIFO) {
                    TarArchiveEntry e = entry(new TarArchiveEntry(name, type == S_IFCHR ? TarArchiveEntry.LF_CHR
                            : type == S_IFBLK ? TarArchiveEntry.LF_BLK : TarArchiveEntry.LF_FIFO), st);
                    e.setDevMajor(st.rdevMajor());
                    e.setDevMinor(st.rdevMinor());
                    tar.putArchiveEntry(owned(e, st, root, me));
                    tar.closeArchiveEntry();
                } // a socket has no tar form: it is left out, as docker leaves it out
            });
            tar.finish();
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
    // end::write[]

    /** What a walk finds at one name: its status, and a descriptor of it (a directory's open for reading). */
    interface Visitor {
        void visit(String name, FileCalls.Stat st, int fd, int parent, String base) throws IOException;
    }

    /**
     * Visits every entry under {@code dir}, parents before children, names sorted. Each is
     * opened O_PATH|O_NOFOLLOW in its directory's descriptor (which opens nothing: no FIFO
     * waits, no driver runs) and its status read from that descriptor; a directory is then
     * opened for reading through that same descriptor. A directory swapped for a symlink
     * meanwhile is seen as the symlink, and never followed.
     */
    static void walk(Path dir, Visitor visitor) throws IOException {
        try (Tree tree = Tree.open(dir)) {
            walk(tree.root, "", visitor);
        }
    }

    private static void walk(int dirfd, String prefix, Visitor visitor) throws IOException {
        for (String base : names(dirfd)) {
            String name = prefix + base;
            int fd = FileCalls.C.openat(dirfd, base, FileCalls.O_PATH | FileCalls.O_NOFOLLOW | FileCalls.O_CLOEXEC, 0);
            if (fd == -1 && Syscalls.errno() == FileCalls.ENOENT) {
                continue; // removed since the listing
            }
            Syscalls.check("openat(" + Trace.quote(name) + ", O_PATH|O_NOFOLLOW)", fd);
            try {
                FileCalls.Stat st = fstat(fd, name);
                if (st.isDirectory()) {
                    int d = (int) Syscalls.check("openat(" + Trace.quote(name) + ", O_DIRECTORY)",
                            FileCalls.C.openat(fd, ".", FileCalls.O_RDONLY | FileCalls.O_DIRECTORY | FileCalls.O_CLOEXEC, 0));
                    try {
                        visitor.visit(name, st, d, dirfd, base);
                        walk(d, name + "/", visitor);
                    } finally {
                        FileCalls.C.close(d);
                    }
                } else {
                    visitor.visit(name, st, fd, dirfd, base);
                }
            } finally {
                FileCalls.C.close(fd);
            }
        }
    }

    /**
     * A regular file's entry and content. The file is opened by name, O_NOFOLLOW|O_NONBLOCK,
     * and fstat must show the file the walk saw: a FIFO put in its place does not block, and
     * a symlink is not followed.
     */
    private static void writeFile(TarArchiveOutputStream tar, String name, int parent, String base, int path,
            FileCalls.Stat seen, Map<List<Long>, String> inodes, boolean root, int me) throws IOException {
        int fd = FileCalls.C.openat(parent, base, FileCalls.O_RDONLY | FileCalls.O_NOFOLLOW | FileCalls.O_NONBLOCK
                | FileCalls.O_CLOEXEC, 0);
        if (fd == -1 && Syscalls.errno() == FileCalls.EACCES && !root) {
            fd = openUnreadable(path, seen, name);
        }
        if (fd == -1 && Syscalls.errno() != FileCalls.ELOOP && Syscalls.errno() != FileCalls.ENOENT) {
            Syscalls.check("openat(" + Trace.quote(name) + ", O_NOFOLLOW|O_NONBLOCK)", fd);
        }
        if (fd == -1) {
            throw changed(name);
        }
        try {
            FileCalls.Stat st = fstat(fd, name);
            if (!st.isFile() || st.ino() != seen.ino() || st.devMajor() != seen.devMajor()
                    || st.devMinor() != seen.devMinor()) {
                throw changed(name);
            }
            List<Long> inode = List.of((long) st.devMajor(), (long) st.devMinor(), st.ino());
            String first = st.nlink() > 1 ? inodes.putIfAbsent(inode, name) : null;
            if (first != null) {
                TarArchiveEntry e = entry(new TarArchiveEntry(name, TarArchiveEntry.LF_LINK), st);
                e.setLinkName(first);
                tar.putArchiveEntry(owned(e, st, root, me));
                tar.closeArchiveEntry();
                return;
            }
            TarArchiveEntry e = entry(new TarArchiveEntry(name), st);
            e.setSize(st.size());
            tar.putArchiveEntry(owned(e, st, root, me));
            // As much as the header says: a file that grows meanwhile is taken as it was.
            byte[] buf = new byte[65536];
            for (long left = st.size(); left > 0; ) {
                int n = (int) FileCalls.C.read(fd, buf, Math.min(buf.length, left));
                if (n <= 0) {
                    throw changed(name);
                }
                tar.write(buf, 0, n);
                left -= n;
            }
            tar.closeArchiveEntry();
        } finally {
            FileCalls.C.close(fd);
        }
    }

    /**
     * A file the container made unreadable (chmod 000) is still its owner's to read: made
     * readable for a moment through its O_PATH descriptor, which holds that very file.
     */
    private static int openUnreadable(int path, FileCalls.Stat seen, String name) {
        String self = "/proc/self/fd/" + path;
        Syscalls.check("chmod(" + Trace.quote(name) + ", u+r)", FileCalls.C.chmod(self, (seen.mode() & 07777) | 0400));
        try {
            return FileCalls.C.openat(FileCalls.AT_FDCWD, self, FileCalls.O_RDONLY | FileCalls.O_NONBLOCK
                    | FileCalls.O_CLOEXEC, 0);
        } finally {
            FileCalls.C.chmod(self, seen.mode() & 07777);
        }
    }

    private static MydockerException changed(String name) {
        return new MydockerException("reading " + Trace.quote(name) + ": it changed while it was read"
                + " (a running container is writing there: try again, or let it exit first)");
    }

    private static String readlink(int fd, String name) {
        byte[] buf = new byte[4096];
        long n = Syscalls.check("readlinkat(" + Trace.quote(name) + ")", FileCalls.C.readlinkat(fd, "", buf, buf.length));
        return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** The mode and time of an entry, from the status its descriptor gave. */
    private static TarArchiveEntry entry(TarArchiveEntry e, FileCalls.Stat st) {
        e.setMode(st.mode() & 07777);
        e.setModTime(st.mtimeSeconds() * 1000 + st.mtimeNanos() / 1_000_000);
        return e;
    }

    /** Owner as the container sees it: for an ordinary user's store, the user's files are root's. */
    private static TarArchiveEntry owned(TarArchiveEntry e, FileCalls.Stat st, boolean root, int me) {
        int uid = st.uid();
        int gid = st.gid();
        e.setUserId(root ? uid : uid == me ? 0 : uid);
        e.setGroupId(root ? gid : uid == me ? 0 : gid);
        e.setUserName(""); // not the host's account names
        e.setGroupName("");
        return e;
    }

    /** gzip and plain tar are taken; zstd is named, so the error says what to do. */
    static InputStream decompress(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, 65536);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return new com.github.luben.zstd.ZstdInputStream(in); // layers pushed with --compression-format zstd
        }
        return in;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
