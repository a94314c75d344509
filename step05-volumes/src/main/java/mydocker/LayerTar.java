package mydocker;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    private LayerTar() {}

    /** The result of an extraction: the uncompressed tar's digest, and what had to be left out. */
    record Extracted(String diffId, int skippedDevices) {}

    // tag::extract[]
    /**
     * Extracts a layer tar (plain or gzip) into the empty directory {@code dest}, converting
     * whiteouts, and returns the sha256 of the uncompressed tar: the layer's diff_id. Refuses
     * any entry that would land outside {@code dest}.
     */
    static Extracted extract(InputStream raw, Path dest) throws IOException {
        MessageDigest sha256 = sha256();
        InputStream plain = decompress(new BufferedInputStream(raw, 65536));
        DigestInputStream digesting = new DigestInputStream(plain, sha256);
        TarArchiveInputStream tar = new TarArchiveInputStream(digesting);
        boolean root = Syscalls.C.geteuid() == 0;
        List<Path> opaque = new ArrayList<>();
        Map<Path, TarArchiveEntry> dirs = new HashMap<>();
        int skipped = 0;
        Set<String> skippedDevices = new HashSet<>();
        int entries = 0;
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; entries++) {
            String name = safeName(e.getName());
            if (name.isEmpty()) {
                continue;
            }
            Path path = dest.resolve(name);
            makeParents(dest, path);
            String base = path.getFileName().toString();
            if (base.equals(OPAQUE)) {
                opaque.add(path.getParent()); // applies wherever the marker sits in the tar
            } else if (base.startsWith(WHITEOUT)) {
                Path deleted = path.resolveSibling(base.substring(WHITEOUT.length()));
                replace(deleted);
                mknod(deleted, S_IFCHR, 0, 0);
            } else if (e.isDirectory()) {
                if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    replace(path);
                    Files.createDirectory(path);
                }
                dirs.put(path, e);
            } else {
                replace(path);
                if (e.isLink()) {
                    checkLinkTarget(dest, name, safeName(e.getLinkName()), skippedDevices);
                }
                if (!create(tar, e, dest, path, root)) {
                    skipped++;
                    skippedDevices.add(name);
                    continue;
                }
                setAttributes(path, e, root);
            }
        }
        digesting.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole tar
        if (entries == 0) {
            throw new MydockerException("the archive holds no files: an empty or truncated tar");
        }
        for (Path dir : opaque) {
            setOpaque(dir);
        }
        for (Map.Entry<Path, TarArchiveEntry> d : dirs.entrySet()) {
            setAttributes(d.getKey(), d.getValue(), root); // last: a read-only directory would block its entries
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
     * Creates the missing directories above {@code path}, refusing to pass through a symlink:
     * an earlier entry could have made {@code etc} a link to the host's /etc, and a later
     * {@code etc/passwd} would then be written there.
     */
    private static void makeParents(Path dest, Path path) throws IOException {
        Path dir = dest;
        for (Path part : dest.relativize(path.getParent() == null ? dest : path.getParent())) {
            dir = dir.resolve(part);
            if (Files.isSymbolicLink(dir)) {
                throw new MydockerException("refusing tar entry " + Trace.quote(dest.relativize(path).toString())
                        + ": it would be written through the symlink " + dest.relativize(dir));
            }
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir);
            }
        }
    }
    // end::safe-name[]

    /** A hard link needs its target earlier in the tar: say which one is missing, and why. */
    private static void checkLinkTarget(Path dest, String name, String target, Set<String> skippedDevices) {
        if (skippedDevices.contains(target)) {
            throw new MydockerException("hard link " + Store.quote(name) + " to " + Store.quote(target)
                    + ": the target is a device node, which only root may create (import as root, or leave the"
                    + " device nodes out of the archive)");
        }
        if (Files.notExists(dest.resolve(target), LinkOption.NOFOLLOW_LINKS)) {
            throw new MydockerException("hard link " + Store.quote(name) + " to " + Store.quote(target)
                    + ": no such file earlier in the archive (a hard link follows its target: the archive is"
                    + " damaged or was cut; make it again)");
        }
    }

    /** Creates one non-directory entry; false if it had to be skipped (a device, for an ordinary user). */
    private static boolean create(TarArchiveInputStream tar, TarArchiveEntry e, Path dest, Path path, boolean root)
            throws IOException {
        if (e.isSymbolicLink()) {
            Files.createSymbolicLink(path, Path.of(e.getLinkName()));
        } else if (e.isLink()) {
            Path target = dest.resolve(safeName(e.getLinkName()));
            makeParents(dest, target);
            Files.createLink(path, target); // link(2) does not follow a symlink at target
        } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            if (!root) {
                return false; // only whiteouts may be made without CAP_MKNOD in the initial namespace
            }
            mknod(path, e.isCharacterDevice() ? S_IFCHR : S_IFBLK, e.getDevMajor(), e.getDevMinor());
        } else if (e.isFIFO()) {
            mknod(path, S_IFIFO, 0, 0);
        } else {
            // CREATE_NEW is O_EXCL: it never follows a symlink planted at path
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW)) {
                tar.transferTo(out);
            }
        }
        return true;
    }

    private static void setAttributes(Path path, TarArchiveEntry e, boolean root) throws IOException {
        if (root) {
            Files.setAttribute(path, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
        }
        if (!Files.isSymbolicLink(path)) {
            // chmod(2), not Files.setPosixFilePermissions: it keeps setuid, setgid and sticky bits
            Syscalls.check("chmod(" + path + ", 0" + Integer.toOctalString(e.getMode() & 07777) + ")",
                    Syscalls.C.chmod(path.toString(), e.getMode() & 07777));
        }
        setTime(path, e);
    }

    /** The entry's own time, a link's too (not its target's): written back out, a layer gives the same tar. */
    private static void setTime(Path path, TarArchiveEntry e) throws IOException {
        Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(e.getModTime().toInstant()), null, null);
    }

    private static void replace(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            Store.deleteTree(path);
        } else {
            Files.deleteIfExists(path);
        }
    }

    private static void mknod(Path path, int type, int major, int minor) {
        long dev = ((long) (major & 0xfff) << 8) | (minor & 0xff) | ((long) (minor & ~0xff) << 12);
        int mode = type == S_IFCHR && major == 0 && minor == 0 ? type : type | 0600;
        Syscalls.check("mknod(" + Trace.quote(path.toString()) + ", " + Integer.toOctalString(mode) + ", " + major + ":"
                + minor + ")", Syscalls.C.mknod(path.toString(), mode, dev));
    }

    static void setOpaque(Path dir) {
        byte[] y = {'y'};
        Syscalls.check("lsetxattr(" + Trace.quote(dir.toString()) + ", \"" + OPAQUE_XATTR + "\", \"y\")",
                Syscalls.C.lsetxattr(dir.toString(), OPAQUE_XATTR, y, 1, 0));
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
     * opaque directories go back to their {@code .wh.} spelling, as docker and OCI expect.
     */
    static String write(Path dir, OutputStream out) throws IOException {
        MessageDigest sha256 = sha256();
        boolean root = Syscalls.C.geteuid() == 0;
        int me = Syscalls.C.getuid();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new DigestOutputStream(out, sha256))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            Map<Object, String> inodes = new HashMap<>();
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(dir)) {
                paths = walk.filter(p -> !p.equals(dir)).sorted().toList();
            }
            for (Path path : paths) {
                String name = dir.relativize(path).toString();
                if (isWhiteout(path)) {
                    String parent = path.getParent().equals(dir) ? "" : dir.relativize(path.getParent()) + "/";
                    TarArchiveEntry wh = new TarArchiveEntry(parent + WHITEOUT + path.getFileName());
                    wh.setModTime(0); // a marker, not a file: a fixed time keeps the tar's digest stable
                    tar.putArchiveEntry(owned(wh, path, root, me));
                    tar.closeArchiveEntry();
                    continue;
                }
                TarArchiveEntry e = entry(path, name, inodes);
                owned(e, path, root, me);
                tar.putArchiveEntry(e);
                if (e.getLinkFlag() == TarArchiveEntry.LF_NORMAL) {
                    copyContent(path, tar);
                }
                tar.closeArchiveEntry();
                if (e.isDirectory() && isOpaque(path)) {
                    TarArchiveEntry opq = new TarArchiveEntry(name + "/" + OPAQUE);
                    opq.setModTime(e.getModTime());
                    tar.putArchiveEntry(owned(opq, path, root, me));
                    tar.closeArchiveEntry();
                }
            }
            tar.finish();
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
    // end::write[]

    /** A file the container made unreadable (chmod 000) is still its owner's to read. */
    private static void copyContent(Path path, OutputStream tar) throws IOException {
        if (Files.isReadable(path)) {
            Files.copy(path, tar);
            return;
        }
        var permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        var readable = java.util.EnumSet.copyOf(permissions);
        readable.add(java.nio.file.attribute.PosixFilePermission.OWNER_READ);
        Files.setPosixFilePermissions(path, readable);
        try {
            Files.copy(path, tar);
        } finally {
            Files.setPosixFilePermissions(path, permissions);
        }
    }

    private static TarArchiveEntry entry(Path path, String name, Map<Object, String> inodes) throws IOException {
        if (Files.isSymbolicLink(path)) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(path).toString());
            e.setModTime(Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS).toMillis());
            return e;
        }
        Map<String, Object> a = Files.readAttributes(path, "unix:mode,ino,dev,nlink,rdev,size,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        TarArchiveEntry e;
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            e = new TarArchiveEntry(name + "/");
        } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            Object inode = List.of(a.get("dev"), a.get("ino"));
            String first = (Integer) a.get("nlink") > 1 ? inodes.putIfAbsent(inode, name) : null;
            if (first != null) {
                e = new TarArchiveEntry(name, TarArchiveEntry.LF_LINK);
                e.setLinkName(first);
            } else {
                e = new TarArchiveEntry(name);
                e.setSize((Long) a.get("size"));
            }
        } else {
            int type = mode & 0170000;
            byte flag = type == S_IFCHR ? TarArchiveEntry.LF_CHR : type == S_IFBLK ? TarArchiveEntry.LF_BLK
                    : TarArchiveEntry.LF_FIFO;
            e = new TarArchiveEntry(name, flag);
            long rdev = (Long) a.get("rdev");
            e.setDevMajor((int) ((rdev >> 8) & 0xfff));
            e.setDevMinor((int) ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)));
        }
        e.setMode(mode & 07777);
        e.setModTime(((FileTime) a.get("lastModifiedTime")).toMillis());
        return e;
    }

    /** Owner as the container sees it: for an ordinary user's store, the user's files are root's. */
    private static TarArchiveEntry owned(TarArchiveEntry e, Path path, boolean root, int me) throws IOException {
        int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
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
            throw new MydockerException("zstd-compressed layers are not supported; re-export the image with gzip");
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
