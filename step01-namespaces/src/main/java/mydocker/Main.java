package mydocker;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code mydocker}: the command line. Errors are one line on stderr; --debug adds the stack trace. */
@Command(name = "mydocker", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A small container runtime, built one Linux capability at a time.")
public final class Main {

    /** The subcommands, in the order help lists them. */
    private static final List<Map.Entry<String, Class<?>>> SUBCOMMANDS = List.of(
            Map.entry("run", RunCommand.class),
            Map.entry("doctor", Doctor.class));

    @Option(names = "--trace", scope = ScopeType.INHERIT,
            description = "Print each system call the runtime makes (also MYDOCKER_TRACE=1).")
    boolean trace;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print a stack trace with an error.")
    static boolean debug;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    private static int run(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        addSubcommands(cli, args);
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

    /**
     * picocli builds a model of each subcommand it is given, by reflection, before it parses a
     * word: a cost every run would pay for all of them. So it gets only the one typed, the
     * first word that is not an option; help, or a word it does not know, gets them all.
     */
    private static void addSubcommands(CommandLine cli, String[] args) {
        String typed = null;
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                typed = arg;
                break;
            }
        }
        for (Map.Entry<String, Class<?>> command : SUBCOMMANDS) {
            if (command.getKey().equals(typed)) {
                cli.addSubcommand(command.getKey(), command.getValue());
                return;
            }
        }
        for (Map.Entry<String, Class<?>> command : SUBCOMMANDS) {
            cli.addSubcommand(command.getKey(), command.getValue());
        }
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
