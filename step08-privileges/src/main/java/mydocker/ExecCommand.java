package mydocker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mydocker exec [-i] [-t] [-e K=V]... [--env-file FILE]... [-w DIR] NAME CMD [ARG...]} */
@Command(name = "exec", sortOptions = false, description = "Run a command in a running container.")
final class ExecCommand implements Callable<Integer> {

    @ParentCommand
    Main main;

    @Option(names = "-i", description = "Keep stdin attached (without it, stdin is /dev/null).")
    boolean interactive;

    @Option(names = "-t", description = "Give the command a pseudo-terminal.")
    boolean tty;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
            description = "Set a variable; KEY alone takes the caller's value (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "Read KEY=VALUE lines from FILE (repeatable).")
    List<String> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR",
            description = "The working directory, a path in the container (default: the image's).")
    String workdir;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The container, by name or id.")
    String container;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command = new ArrayList<>();

    // tag::call[]
    @Override
    public Integer call() throws InterruptedException {
        Trace.enable(main.tracing(), "exec");
        if (tty && interactive && !Syscalls.isatty(0)) {
            throw new MydockerException("-t with -i needs a terminal on stdin (the input device is not a TTY);"
                    + " drop -t, or run from a terminal");
        }
        if (workdir != null && !workdir.startsWith("/")) {
            throw new MydockerException("-w " + Trace.quote(workdir) + ": the working directory must be an absolute"
                    + " path in the container (see: mydocker exec --help)");
        }
        List<String> given = Env.given(envFiles, env); // bad input first: one line, nothing opened
        Store store = Store.open();
        ContainerState state = ContainerState.find(store, container);
        if (!state.running()) {
            throw new MydockerException("container " + state.name() + " is not running (" + state.status()
                    + "; start a new one with mydocker run)");
        }
        Image image = Image.load(store, state.image());
        Privileges.Settings privileges = Privileges.Settings.of(store.container(state.id()));
        Join join = Join.open(state); // before clone: the namespaces of the container's own PID 1
        Terminal terminal = null;
        Join.Exe exe = null;
        try {
            List<String> commandEnv = Env.merge(join.environment(), given);
            if (tty && commandEnv.stream().noneMatch(e -> e.startsWith("TERM="))) {
                String term = System.getenv("TERM");
                commandEnv.add("TERM=" + (term == null || term.isEmpty() ? "xterm" : term));
            }
            String dir = workdir != null ? workdir : image.workingDir();
            exe = Join.Exe.prepare();
            terminal = tty ? Terminal.open() : null;
            if (terminal != null) {
                terminal.copyWindowSize();
            }
            int stdinFd = interactive || tty ? -1 : Syscalls.open("/dev/null", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
            int ttyFd = terminal == null ? -1 : terminal.slave;
            Join.Exe swap = exe;
            int pid = CloneExec.start(Namespaces.SIGCHLD, plan -> join.steps(plan, swap, stdinFd, ttyFd),
                    plan -> Init.joined(plan, dir, stdinFd, ttyFd, command, commandEnv, privileges), child -> {});
            Signals.forward(pid);
            if (stdinFd >= 0) {
                Syscalls.close(stdinFd);
            }
            if (terminal != null) {
                terminal.closeSlave();
            }
            return ExitStatus.of(waitFor(pid, terminal));
        } finally {
            if (terminal != null) {
                terminal.restoreCaller();
            }
            if (exe != null) {
                exe.close();
            }
            join.close();
        }
    }
    // end::call[]

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
