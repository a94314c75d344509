package mydocker;

import java.util.ArrayList;
import java.util.List;

/**
 * The parent's side of {@code mydocker run}: clone the container's PID 1 with its setup plan,
 * relay signals (and with -t the terminal), and exit with the container's status.
 */
final class Container {

    private final List<String> command;
    private final String hostname;
    private final boolean interactive;
    private final boolean tty;
    private final IdMaps idMaps;
    private final List<Volume> volumes;
    private final Image image;
    private final ContainerLayer layer;
    private final Store store;
    private final Privileges.Settings privileges;
    private List<String> given = List.of();

    Container(List<String> command, String hostname, boolean interactive, boolean tty, IdMaps idMaps,
            List<Volume> volumes, Store store, Image image, ContainerLayer layer, Privileges.Settings privileges) {
        this.command = command;
        this.hostname = hostname;
        this.interactive = interactive;
        this.tty = tty;
        this.idMaps = idMaps;
        this.volumes = volumes;
        this.store = store;
        this.image = image;
        this.layer = layer;
        this.privileges = privileges;
    }

    /** The variables of -e and --env-file, over the image's. */
    Container env(List<String> variables) {
        given = variables;
        return this;
    }

    // tag::run[]
    int run() throws InterruptedException {
        Terminal terminal = null;
        try {
            // Everything the child needs is opened before clone: it only runs its plan.
            terminal = tty ? Terminal.open() : null;
            if (terminal != null) {
                terminal.copyWindowSize(); // now: the command may ask for it as soon as it starts
            }
            int stdinFd = interactive || tty ? -1 : Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
            ContainerSpec spec = spec(stdinFd, terminal);
            int pid = startContainer(spec, -1);
            layer.started(pid);
            closeChildsEnds(spec, terminal);
            int status = ExitStatus.of(waitFor(pid, terminal));
            layer.exited(status);
            return status;
        } finally {
            if (terminal != null) {
                terminal.restoreCaller();
            }
            layer.cleanUp();
        }
    }
    // end::run[]

    // tag::run-detached[]
    /**
     * {@code run -d}, in the shim (see {@link Detach}): the same start, with the container's
     * stdout and stderr on one pipe, whose read end the waiter this process becomes copies
     * to the log. Returns only if the start failed.
     */
    void runDetached() {
        int[] output = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        int pid;
        try {
            int stdinFd = Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
            ContainerSpec spec = spec(stdinFd, null);
            pid = startContainer(spec, output[1]);
            layer.started(pid);
            closeChildsEnds(spec, null);
            Syscalls.close(output[1]); // the container holds the only write ends: end of file when it is gone
        } catch (RuntimeException e) {
            layer.cleanUp();
            throw e;
        }
        Detach.becomeWaiter(store, layer, pid, output[0]);
    }
    // end::run-detached[]

    private ContainerSpec spec(int stdinFd, Terminal terminal) {
        return new ContainerSpec(command, containerEnv(), hostname, stdinFd,
                terminal == null ? -1 : terminal.slave, terminal == null ? null : Dev.ttyPath(terminal.slave),
                image.lowerdirs(store), layer.upper.toString(), layer.work.toString(), layer.merged.toString(),
                Dev.nodes(idMaps.hostUid(0), idMaps.hostGid(0)), image.workingDir(), volumes, privileges);
    }

    // tag::start-container[]
    /**
     * Clones the container, and writes its id maps while it waits for the go-ahead. With an
     * {@code output} descriptor, that is the container's stdout and stderr: made so before
     * Init's first step, which closes every other inherited descriptor, that one too.
     */
    private int startContainer(ContainerSpec spec, int output) {
        layer.savePrivileges(privileges); // for inspect
        Privileges.traceFilter(privileges);
        try {
            // Signals are forwarded from clone on: the command may be running before start returns.
            return CloneExec.start(Namespaces.CONTAINER, plan -> {
                if (output >= 0) {
                    plan.dup3(output, 1);
                    plan.dup3(output, 2);
                }
                Init.plan(plan, spec);
            }, pid -> {
                Signals.forward(pid);
                idMaps.write(pid);
            });
        } catch (SyscallException e) {
            // Ubuntu's AppArmor lets the clone succeed and refuses the privileged calls after it.
            throw UsernsSettings.explain(e, UsernsSettings.PROC_SYS);
        }
    }
    // end::start-container[]

    /** The command's environment, as docker builds it: the image's, PATH and HOME unless it sets them, HOSTNAME, and TERM with -t. */
    private List<String> containerEnv() {
        List<String> env = new ArrayList<>(image.env());
        for (String fallback : List.of("PATH=" + Exec.DEFAULT_PATH, "HOME=/root")) {
            String key = fallback.substring(0, fallback.indexOf('=') + 1);
            if (env.stream().noneMatch(e -> e.startsWith(key))) {
                env.add(fallback);
            }
        }
        if (!hostname.isEmpty()) {
            env.add("HOSTNAME=" + hostname);
        }
        if (tty) {
            String term = System.getenv("TERM");
            env.add("TERM=" + (term == null || term.isEmpty() ? "xterm" : term));
        }
        return Env.merge(env, given);
    }

    private static void closeChildsEnds(ContainerSpec spec, Terminal terminal) {
        if (spec.stdinFd() >= 0) {
            Syscalls.close(spec.stdinFd());
        }
        if (spec.devNodes() >= 0) {
            Syscalls.close(spec.devNodes());
        }
        if (terminal != null) {
            terminal.closeSlave();
        }
    }

    private int waitFor(int pid, Terminal terminal) throws InterruptedException {
        if (terminal != null) {
            Signals.onWindowChange(terminal::copyWindowSize);
            if (interactive && Syscalls.isatty(0)) {
                terminal.makeCallerRaw();
                Runtime.getRuntime().addShutdownHook(new Thread(terminal::restoreCaller));
            }
            terminal.relay(interactive);
        }
        int status = Syscalls.waitpid(pid);
        if (terminal != null) {
            terminal.awaitOutput();
        }
        return status;
    }
}
