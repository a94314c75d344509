package mydocker;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The file-system calls relative to a directory descriptor, bound with jnr-ffi: jnr-posix
 * ({@link #POSIX}, for fstat, fchown, fchmod, futimens, utimensat, chmod, read, write and
 * close) has none of the {@code *at} calls but utimensat. A layer being extracted or written
 * is reached only through these: each name is looked up in a directory already open, and no
 * symlink is followed, so a path whose parent has meanwhile become a symlink cannot lead out.
 * Only import, commit, save and diff load this class; {@code run} never does.
 */
public interface FileCalls {

    FileCalls C = LibraryLoader.create(FileCalls.class).load("c");
    POSIX POSIX = POSIXFactory.getNativePOSIX();

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
}
