package mydocker;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The file-system calls of import, commit, save and diff, bound with jnr-ffi: mostly the
 * {@code *at} calls, relative to a directory descriptor. A layer being extracted or written is
 * reached only through these: each name is looked up in a directory already open, and no
 * symlink is followed, so a path whose parent has meanwhile become a symlink cannot lead out.
 * Only those commands load this class; {@code run} never does. (jnr-posix has some of these
 * calls, but loading it cost an import about 340 ms, against about 18 ms for this interface.)
 */
public interface FileCalls {

    FileCalls C = LibraryLoader.create(FileCalls.class).load("c");

    boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));

    // <fcntl.h>; arm64 keeps 32-bit arm's values for these two (<asm/fcntl.h>)
    int O_DIRECTORY = ARM64 ? 040000 : 0200000;
    int O_NOFOLLOW = ARM64 ? 0100000 : 0400000;
    int O_RDONLY = 0;
    int O_WRONLY = 01;
    int O_CREAT = 0100;
    int O_EXCL = 0200;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;
    int AT_FDCWD = -100;
    int AT_SYMLINK_NOFOLLOW = 0x100;
    int AT_REMOVEDIR = 0x200;
    int AT_EMPTY_PATH = 0x1000;

    // <errno.h>
    int ENOENT = 2;
    int EACCES = 13;
    int EEXIST = 17;
    int ENOTDIR = 20;
    int EISDIR = 21;
    int ELOOP = 40;

    // <sys/stat.h>
    long UTIME_OMIT = (1L << 30) - 2;

    // <linux/stat.h>: what statx is asked to fill in
    int STATX_BASIC_STATS = 0x7ff;

    // int openat(int dirfd, const char *pathname, int flags, mode_t mode);
    int openat(int dirfd, String path, int flags, int mode);

    // int mkdirat(int dirfd, const char *pathname, mode_t mode);
    int mkdirat(int dirfd, String path, int mode);

    // int mknodat(int dirfd, const char *pathname, mode_t mode, dev_t dev);
    int mknodat(int dirfd, String path, int mode, long dev);

    // int symlinkat(const char *target, int newdirfd, const char *linkpath);
    int symlinkat(String target, int newdirfd, String linkpath);

    // int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
    int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

    // int unlinkat(int dirfd, const char *pathname, int flags);
    int unlinkat(int dirfd, String path, int flags);

    // int fchownat(int dirfd, const char *pathname, uid_t owner, gid_t group, int flags);
    int fchownat(int dirfd, String path, int owner, int group, int flags);

    // ssize_t readlinkat(int dirfd, const char *pathname, char *buf, size_t bufsiz);
    long readlinkat(int dirfd, String path, @Out byte[] buf, long size);

    // int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
    int fsetxattr(int fd, String name, @In byte[] value, long size, int flags);

    // ssize_t fgetxattr(int fd, const char *name, void *value, size_t size);
    long fgetxattr(int fd, String name, @Out byte[] value, long size);

    // int close(int fd);
    int close(int fd);

    // ssize_t read(int fd, void *buf, size_t count);
    long read(int fd, @Out byte[] buf, long count);

    // int fchown(int fd, uid_t owner, gid_t group);
    int fchown(int fd, int owner, int group);

    // int fchmod(int fd, mode_t mode);
    int fchmod(int fd, int mode);

    // int chmod(const char *pathname, mode_t mode);
    int chmod(String path, int mode);

    // int futimens(int fd, const struct timespec times[2]);
    // A struct timespec is two longs on the 64-bit Linux this runs on: {atime s, ns, mtime s, ns}.
    int futimens(int fd, @In long[] times);

    // int utimensat(int dirfd, const char *pathname, const struct timespec times[2], int flags);
    int utimensat(int dirfd, String path, @In long[] times, int flags);

    // int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf);
    // Unlike struct stat, struct statx has one layout on every architecture: read by Stat.of.
    int statx(int dirfd, String path, int flags, int mask, @Out byte[] statxbuf);

    /** The fields of a struct statx that a layer's tar needs. */
    record Stat(int mode, int uid, int gid, int nlink, long size, long mtimeSeconds, int mtimeNanos,
            int rdevMajor, int rdevMinor, int devMajor, int devMinor, long ino) {

        // <linux/stat.h>: sizeof(struct statx), and the offset of each field read here
        static final int SIZE = 256;

        static Stat of(byte[] statx) {
            ByteBuffer b = ByteBuffer.wrap(statx).order(ByteOrder.nativeOrder());
            return new Stat(
                    b.getShort(28) & 0xffff,  // __u16 stx_mode
                    b.getInt(20),             // __u32 stx_uid
                    b.getInt(24),             // __u32 stx_gid
                    b.getInt(16),             // __u32 stx_nlink
                    b.getLong(40),            // __u64 stx_size
                    b.getLong(112),           // struct statx_timestamp stx_mtime: __s64 tv_sec
                    b.getInt(120),            //                                   __u32 tv_nsec
                    b.getInt(128),            // __u32 stx_rdev_major
                    b.getInt(132),            // __u32 stx_rdev_minor
                    b.getInt(136),            // __u32 stx_dev_major
                    b.getInt(140),            // __u32 stx_dev_minor
                    b.getLong(32));           // __u64 stx_ino
        }

        // <sys/stat.h>
        private static final int S_IFMT = 0170000;

        boolean isDirectory() {
            return (mode & S_IFMT) == 0040000;
        }

        boolean isFile() {
            return (mode & S_IFMT) == 0100000;
        }

        boolean isSymlink() {
            return (mode & S_IFMT) == 0120000;
        }

        boolean isCharDevice() {
            return (mode & S_IFMT) == 0020000;
        }
    }
}
