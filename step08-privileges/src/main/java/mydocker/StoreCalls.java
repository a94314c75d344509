package mydocker;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The *at calls the store removes trees with, relative to a directory descriptor, so that no
 * path longer than PATH_MAX is ever built and no symlink a container planted is followed.
 * jnr-posix binds none of them. Names are NUL-terminated bytes: a container may make names
 * that are not UTF-8, and they must reach unlinkat as they are.
 */
public interface StoreCalls {

    StoreCalls INSTANCE = LibraryLoader.create(StoreCalls.class).load("c");

    // <fcntl.h>
    int AT_FDCWD = -100;
    int AT_REMOVEDIR = 0x200;
    int AT_EMPTY_PATH = 0x1000;
    int AT_SYMLINK_NOFOLLOW = 0x100;
    int O_RDONLY = 0;
    int O_DIRECTORY = 0200000;
    int O_NOFOLLOW = 0400000;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;

    // <linux/stat.h>
    int STATX_INO = 0x100;
    /** struct statx: stx_ino is at byte 32, stx_dev_major and stx_dev_minor at 136 and 140, on every architecture. */
    int STATX_SIZE = 256;

    // int openat(int dirfd, const char *pathname, int flags, mode_t mode);
    int openat(int dirfd, @In byte[] path, int flags, int mode);

    // int unlinkat(int dirfd, const char *pathname, int flags);
    int unlinkat(int dirfd, @In byte[] path, int flags);

    // int fchmod(int fd, mode_t mode);
    int fchmod(int fd, int mode);

    // int fchmodat(int dirfd, const char *pathname, mode_t mode, int flags);
    int fchmodat(int dirfd, @In byte[] path, int mode, int flags);

    // int dup(int oldfd);
    int dup(int fd);

    // int close(int fd);
    int close(int fd);

    // int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf);
    int statx(int dirfd, @In byte[] path, int flags, int mask, @Out byte[] buf);

    // DIR *fdopendir(int fd);   the DIR owns fd from here on: closedir closes it
    Pointer fdopendir(int fd);

    // struct dirent *readdir(DIR *dirp);   d_name at byte 19 on 64-bit Linux (d_ino, d_off, d_reclen, d_type)
    Pointer readdir(Pointer dir);

    // int closedir(DIR *dirp);
    int closedir(Pointer dir);
}
