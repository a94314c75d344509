package mydocker;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code mydocker}: the command line. Errors are one line on stderr; --debug adds the stack trace. */
@Command(name = "mydocker", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A small container runtime, built one Linux capability at a time.",
        subcommands = {RunCommand.class, ExecCommand.class, Doctor.class, ImageCommands.Import.class, Pull.class,
            ImageCommands.Images.class, ImageCommands.Rmi.class, ImageCommands.Commit.class, ImageCommands.Save.class,
            ContainerCommands.Ps.class, ContainerCommands.Inspect.class, ContainerCommands.Rm.class, ContainerCommands.Diff.class,
            ContainerCommands.Logs.class, ContainerCommands.Stop.class, ContainerCommands.Exited.class})
public final class Main {

    @Option(names = "--trace", scope = ScopeType.INHERIT,
            description = "Print each system call the runtime makes (also MYDOCKER_TRACE=1).")
    boolean trace;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print a stack trace with an error.")
    static boolean debug;

    /** The command line as given: run -d starts its shim with it. */
    static String[] argv = new String[0];

    public static void main(String[] args) {
        argv = args;
        System.exit(run(args));
    }

    private static int run(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setStopAtPositional(true);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> fail(e));
        cli.setParameterExceptionHandler((e, parsed) -> {
            // One line, as every error: the whole usage would bury it.
            String command = e.getCommandLine().getCommandSpec().qualifiedName(" ");
            System.err.println("mydocker: " + e.getMessage().replace("\n", " ").strip() + " (see: " + command + " --help)");
            return ExitStatus.RUNTIME_ERROR;
        });
        return cli.execute(args);
    }

    static int fail(Exception e) {
        if (debug || "1".equals(System.getenv("MYDOCKER_DEBUG"))) {
            e.printStackTrace();
        }
        if (e instanceof MydockerException m) {
            System.err.println("mydocker: " + m.getMessage());
            return m.exitStatus;
        }
        if (e instanceof SyscallException) {
            System.err.println("mydocker: " + e.getMessage());
            return ExitStatus.RUNTIME_ERROR;
        }
        System.err.println("mydocker: internal error: " + e + " (run with --debug for the stack trace)");
        return ExitStatus.RUNTIME_ERROR;
    }

    /** The step this jar was built from, as the pom names it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mydocker " + Main.class.getPackage().getImplementationTitle()};
        }
    }

    boolean tracing() {
        return trace || "1".equals(System.getenv("MYDOCKER_TRACE"));
    }
}
