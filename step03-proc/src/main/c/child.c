/*
 * The cloned child, from clone(2) to execve(2): the only code it runs.
 *
 * The parent, a JVM, builds the container's setup as a list of system calls (Plan.java) in
 * native memory and calls mydocker_clone_run() on it. That function makes the raw clone; the
 * parent returns with the child's pid, the child runs the steps one by one and its last step,
 * execve, replaces it. The child runs no Java: it is a copy of a process with many threads
 * of which only the cloning one goes on, and Java code there could wait forever on a lock
 * that another thread held at clone. runc solves the same problem with C (nsexec) that runs
 * before Go starts.
 *
 * Built freestanding (scripts/child-code.sh): no C library, no calls, no relocations, so the
 * bytes run wherever the JVM copies them. ChildCode.java holds them for x86-64 and arm64.
 */

typedef long word;

struct step {
	word nr;		/* the system call's number */
	word arg[6];		/* its arguments, filled in by the parent */
	word from[6];		/* per argument: -1, or the earlier step whose result it is */
	word tolerated[3];	/* errnos after which the plan goes on; 0 for none */
	word expected;		/* the only result allowed, or ANY */
	word result;		/* what the call returned, -1 if it failed */
};

struct plan {
	word clone_flags;	/* the namespaces, and the signal the parent gets at exit */
	word count;
	word status_fd;		/* the write end of the exec-status pipe */
	word traced;		/* report every step (--trace), not only a failed one */
	word fork_step;		/* the step that forks, or -1 */
	word fail_status;	/* the exit status of a child whose step failed */
	struct { int step; int err; word result; } record;	/* what goes down the pipe */
	struct step steps[];
};

#define ANY (-0x7fffffffffffffffL - 1)

#if defined(__x86_64__)
#define SYS_write 1
#define SYS_clone 56
#define SYS_exit_group 231
static inline word sys(word nr, word a, word b, word c, word d, word e, word f)
{
	register word r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "+a"(nr) : "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return nr;
}
#elif defined(__aarch64__)
#define SYS_write 64
#define SYS_clone 220
#define SYS_exit_group 94
static inline word sys(word nr, word a, word b, word c, word d, word e, word f)
{
	register word x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
		x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e, x5 __asm__("x5") = f;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#endif

/* One step: its arguments, the call, and whether the plan may go on. */
static inline int run_step(struct plan *p, int i)
{
	struct step *s = &p->steps[i];
	word a[6];
	for (int k = 0; k < 6; k++)
		a[k] = s->from[k] < 0 ? s->arg[k] : p->steps[s->from[k]].result;
	word r = sys(s->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	int err = 0;
	if (r < 0 && r > -4096) {	/* the kernel returns -errno */
		err = (int)-r;
		r = -1;
	}
	s->result = r;
	int failed = r == -1 ? err != s->tolerated[0] && err != s->tolerated[1] && err != s->tolerated[2]
			     : s->expected != ANY && r != s->expected;
	/* After the fork only its caller reports: the parent learns the new pid from it. */
	int forked = i == p->fork_step;
	if (forked ? r != 0 : failed || p->traced) {
		p->record.step = i;
		p->record.err = err;
		p->record.result = r;
		sys(SYS_write, p->status_fd, (word)&p->record, sizeof p->record, 0, 0, 0);
	}
	if (forked && r > 0)
		sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
	return !failed;
}

/* The parent gets the child's pid, or -errno; the child never returns. */
word mydocker_clone_run(struct plan *p)
{
	word pid = sys(SYS_clone, p->clone_flags, 0, 0, 0, 0, 0);
	if (pid != 0)
		return pid;
	for (int i = 0; i < p->count && run_step(p, i); i++)
		;
	for (;;)	/* a step failed, or the plan had no execve */
		sys(SYS_exit_group, p->fail_status, 0, 0, 0, 0, 0);
}
