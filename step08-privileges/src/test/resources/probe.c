/* A probe run inside the test containers: what busybox has no applet for. Built static by the tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "tiocsti") == 0) {
        /* /dev/null: the driver would say ENOTTY; a filter that refuses the request says EPERM first. */
        int fd = open("/dev/null", O_RDONLY);
        char c = 'x';
        long r = syscall(SYS_ioctl, fd, 0x5412UL, &c);
        printf("TIOCSTI: %s\n", r == 0 ? "pushed" : strerror(errno));
        /* The same request with bits above the unsigned int the kernel reads. */
        r = syscall(SYS_ioctl, fd, 0x100005412UL, &c);
        printf("TIOCSTI|1<<32: %s\n", r == 0 ? "pushed" : strerror(errno));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "vsock") == 0) {
        /* AF_VSOCK is 40: the filter answers before the kernel looks for a vsock transport. */
        long r = syscall(SYS_socket, 40, 1 /* SOCK_STREAM */, 0);
        printf("socket(AF_VSOCK): %s\n", r >= 0 ? "a descriptor" : strerror(errno));
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "syscall") == 0) {
        /* syscall NR: the call with no arguments; ok, or the errno it failed with. */
        long nr = atol(argv[2]);
        long r = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("syscall %ld: %s\n", nr, r >= 0 ? "ok" : strerror(errno));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "i386-getpid") == 0) {
        /* getpid of the i386 table (20), by int 0x80 from this 64-bit process: seccomp sees AUDIT_ARCH_I386. */
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
        printf("i386 getpid: %s\n", r > 0 ? "ok" : strerror((int) -r));
        return 0;
    }
    if (argc > 3 && strcmp(argv[1], "as") == 0) {
        /* as UID PROG...: become UID (real, effective, saved), then exec PROG, which may be setuid. */
        int id = atoi(argv[2]);
        if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id)) {
            perror("probe as");
            return 1;
        }
        execv(argv[3], argv + 3);
        perror("execv");
        return 1;
    }
    printf("euid %d\n", (int) geteuid());
    return 0;
}
