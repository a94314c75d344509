package mydocker;

/**
 * The namespaces a container gets, as clone(2) flags. Each flag gives the child a private
 * copy of one kind of kernel state; see namespaces(7).
 */
final class Namespaces {

    // <sched.h>
    static final long CLONE_NEWNS = 0x00020000;   // mount table
    static final long CLONE_NEWUTS = 0x04000000;  // hostname and domain name
    static final long CLONE_NEWIPC = 0x08000000;  // System V IPC, POSIX message queues
    static final long CLONE_NEWUSER = 0x10000000; // user and group ids, and the capabilities over the rest
    static final long CLONE_NEWPID = 0x20000000;  // process ids: the child is PID 1
    static final long CLONE_NEWNET = 0x40000000;  // network devices, addresses, routes
    // <signal.h>: the low byte of clone's flags is the signal sent to the parent at exit
    static final long SIGCHLD = 17;

    static final Flags NAMES = new Flags("0")
            .add(CLONE_NEWUTS, "CLONE_NEWUTS")
            .add(CLONE_NEWIPC, "CLONE_NEWIPC")
            .add(CLONE_NEWPID, "CLONE_NEWPID")
            .add(CLONE_NEWNS, "CLONE_NEWNS")
            .add(CLONE_NEWUSER, "CLONE_NEWUSER")
            .add(CLONE_NEWNET, "CLONE_NEWNET")
            .add(SIGCHLD, "SIGCHLD");

    // tag::clone-flags[]
    /**
     * The book's Cloneflags and the user namespace. Created in the same clone, the user
     * namespace owns the others, so the child is privileged over all of them, without root.
     */
    static final long CONTAINER = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS
            | CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD;
    // end::clone-flags[]

    private Namespaces() {}
}
