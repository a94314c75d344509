package mydocker;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The C library functions the runtime calls, bound with jnr-ffi. Each method carries its C
 * prototype. Nothing here checks errors or prints: {@link Syscalls} wraps every call with
 * both, so the code that sets up a container reads as a list of kernel calls.
 */
public interface LibC {

    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    // int *__errno_location(void);
    long __errno_location();

    // int pipe2(int pipefd[2], int flags);
    int pipe2(@Out int[] fds, int flags);

    // int fcntl(int fd, int cmd, int arg);
    int fcntl(int fd, int cmd, int arg);

    // int open(const char *pathname, int flags);
    int open(String path, int flags);

    // int close(int fd);
    int close(int fd);

    // ssize_t read(int fd, void *buf, size_t count);
    long read(int fd, @Out byte[] buf, long count);

    // ssize_t write(int fd, const void *buf, size_t count);
    long write(int fd, @In byte[] buf, long count);

    // int dup3(int oldfd, int newfd, int flags);
    int dup3(int oldfd, int newfd, int flags);

    // int poll(struct pollfd *fds, nfds_t nfds, int timeout);
    int poll(Pointer fds, long nfds, int timeout);

    // pid_t waitpid(pid_t pid, int *wstatus, int options);
    int waitpid(int pid, @Out int[] status, int options);

    // int kill(pid_t pid, int sig);
    int kill(int pid, int sig);

    // int sigaction(int signum, const struct sigaction *act, struct sigaction *oldact);
    // glibc's struct on 64-bit Linux: the handler, a 1024-bit mask, flags, the restorer (152 bytes)
    int sigaction(int signum, @In long[] act, @Out long[] oldact);

    // uid_t getuid(void);
    int getuid();

    // uid_t geteuid(void);
    int geteuid();

    // gid_t getgid(void);
    int getgid();

    // int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags);
    int lsetxattr(String path, String name, @In byte[] value, long size, int flags);

    // ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size);
    long lgetxattr(String path, String name, @Out byte[] value, long size);

    // int openat(int dirfd, const char *pathname, int flags, mode_t mode);
    int openat(int dirfd, String path, int flags, int mode);

    // int mkdirat(int dirfd, const char *pathname, mode_t mode);
    int mkdirat(int dirfd, String path, int mode);

    // int fstatvfs(int fd, struct statvfs *buf);  eleven unsigned longs on 64-bit Linux, then spare ints
    int fstatvfs(int fd, @Out long[] buf);

    // int ioctl(int fd, unsigned long request, ...);  with an int argument
    int ioctl(int fd, long request, long arg);

    // int ioctl(int fd, unsigned long request, ...);  with a struct argument
    int ioctl(int fd, long request, Pointer arg);

    // int isatty(int fd);
    int isatty(int fd);

    // int posix_openpt(int flags);
    int posix_openpt(int flags);

    // int grantpt(int fd);
    int grantpt(int fd);

    // int unlockpt(int fd);
    int unlockpt(int fd);

    // int ptsname_r(int fd, char *buf, size_t buflen);
    int ptsname_r(int fd, @Out byte[] buf, long buflen);

    // int tcgetattr(int fd, struct termios *termios_p);
    int tcgetattr(int fd, Pointer termios);

    // int tcsetattr(int fd, int optional_actions, const struct termios *termios_p);
    int tcsetattr(int fd, int when, Pointer termios);

    // void cfmakeraw(struct termios *termios_p);
    void cfmakeraw(Pointer termios);

}
