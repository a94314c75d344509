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

    Container(List<String> command, String hostname, boolean interactive, boolean tty, IdMaps idMaps,
            List<Volume> volumes, Store store, Image image, ContainerLayer layer) {
        this.command = command;
        this.hostname = hostname;
        this.interactive = interactive;
        this.tty = tty;
        this.idMaps = idMaps;
        this.volumes = volumes;
        this.store = store;
        this.image = image;
        this.layer = layer;
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
            ContainerSpec spec = new ContainerSpec(command, containerEnv(), hostname, stdinFd,
                    terminal == null ? -1 : terminal.slave, terminal == null ? null : Dev.ttyPath(terminal.slave),
                    image.lowerdirs(store), layer.upper.toString(), layer.work.toString(), layer.merged.toString(),
                    Dev.nodes(idMaps.hostUid(0), idMaps.hostGid(0)), image.workingDir(), volumes);
            int pid = startContainer(spec);
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

    // tag::start-container[]
    /** Clones the container, and writes its id maps while it waits for the go-ahead. */
    private int startContainer(ContainerSpec spec) {
        try {
            // Signals are forwarded from clone on: the command may be running before start returns.
            return CloneExec.start(Namespaces.CONTAINER, plan -> Init.plan(plan, spec), pid -> {
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
        return env;
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
