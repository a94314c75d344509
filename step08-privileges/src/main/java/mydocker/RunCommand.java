package mydocker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mydocker run [-i] [-t] [-h NAME] [--uidmap C:H:N]... [--gidmap C:H:N]... [--name NAME] [--rm]
 * [-w DIR] [-v SRC:DST[:ro]]... [--mount type=bind,source=SRC,target=DST[,readonly]]... [-e KEY[=VALUE]]...
 * [--env-file FILE]... IMAGE [CMD [ARG...]]}
 */
@Command(name = "run", sortOptions = false, description = "Run a command in a new container of an image.")
final class RunCommand implements Callable<Integer> {

    /** RFC 1123 host names, at most HOST_NAME_MAX (64) bytes, as sethostname(2) takes them. */
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?");

    @ParentCommand
    Main main;

    @Option(names = "-i", description = "Keep stdin attached (without it, stdin is /dev/null).")
    boolean interactive;

    @Option(names = "-t", description = "Give the container a pseudo-terminal.")
    boolean tty;

    @Option(names = {"-h", "--hostname"}, paramLabel = "NAME", description = "The container's hostname.")
    String hostname = "";

    @Option(names = "--uidmap", paramLabel = "C:H:N",
            description = "Map N container uids from C to host uids from H (repeatable).")
    List<String> uidmap = new ArrayList<>();

    @Option(names = "--gidmap", paramLabel = "C:H:N",
            description = "Map N container gids from C to host gids from H (repeatable).")
    List<String> gidmap = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "The container's name (default: its id).")
    String name = "";

    @Option(names = "--rm", description = "Remove the container's files when it exits.")
    boolean rm;

    @Option(names = {"-d", "--detach"}, description = "Run in the background and print the container's id.")
    boolean detach;

    @Option(names = Detach.SHIM, hidden = true)
    boolean shim;

    // tag::options[]
    @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DST[:ro]",
            description = "Bind the host path SRC at DST in the container, read-only with :ro (repeatable).")
    List<String> volumeSpecs = new ArrayList<>();

    @Option(names = "--mount", paramLabel = "type=bind,source=SRC,target=DST[,readonly]",
            description = "The same as -v, spelled as docker's --mount (repeatable).")
    List<String> mountSpecs = new ArrayList<>();
    // end::options[]

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The command's working directory in the container.")
    String workdir;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
            description = "Set a variable over the image's; KEY alone takes the caller's value (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "Read KEY=VALUE lines from FILE (repeatable).")
    List<String> envFiles = new ArrayList<>();

    // tag::privilege-options[]
    @Option(names = "--cap-add", paramLabel = "CAP",
            description = "Keep this capability too, e.g. SYS_ADMIN or CAP_NET_ADMIN, or ALL (repeatable).")
    List<String> capAdd = new ArrayList<>();

    @Option(names = "--cap-drop", paramLabel = "CAP", description = "Drop this capability, or ALL (repeatable).")
    List<String> capDrop = new ArrayList<>();

    @Option(names = "--privileged",
            description = "Every capability and no seccomp filter: the container can do all its user namespace allows.")
    boolean privileged;

    @Option(names = "--security-opt", paramLabel = "OPT",
            description = "no-new-privileges (setuid bits grant nothing), or seccomp=unconfined (no filter) (repeatable).")
    List<String> securityOpts = new ArrayList<>();
    // end::privilege-options[]

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to run.")
    String image;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD",
            description = "The command and its arguments (default: the image's).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException, java.io.IOException {
        Trace.enable(main.tracing(), "run");
        // tag::detach[]
        if (detach && tty) {
            throw new MydockerException("-t with -d: a detached container gets no terminal here;"
                    + " drop -t, and read its output with mydocker logs");
        }
        if (detach && !shim) {
            return Detach.spawnShim(Main.argv);
        }
        if (shim) {
            Detach.newSession(); // first: nothing of the caller's session may reach the container's parent
        }
        // end::detach[]
        if (!hostname.isEmpty() && !HOSTNAME.matcher(hostname).matches()) {
            throw new MydockerException("invalid hostname " + Trace.quote(hostname)
                    + ": use letters, digits, '-' and '.', at most 64 characters");
        }
        if (tty && interactive && !Syscalls.isatty(0)) {
            throw new MydockerException("-t with -i needs a terminal on stdin (the input device is not a TTY);"
                    + " drop -t, or run from a terminal");
        }
        IdMaps idMaps = IdMaps.of(uidmap, gidmap);
        List<Volume> volumes = volumes();
        List<String> given = Env.given(envFiles, env);
        Privileges.Settings privileges = Privileges.of(privileged, capAdd, capDrop, securityOpts);
        Store store = Store.open();
        Image img = Image.load(store, image);
        if (workdir != null) {
            if (!workdir.startsWith("/")) {
                throw new MydockerException("the working directory " + Trace.quote(workdir)
                        + " is not an absolute path (give it from the container's /)");
            }
            img = new Image(img.name(), img.layers(), img.cmd(), img.env(), workdir); // -w over the image's own
        }
        List<String> cmd = command.isEmpty() ? img.cmd() : command;
        if (cmd.isEmpty()) {
            throw new MydockerException("image " + Trace.quote(image) + " has no default command; give one after its name");
        }
        ContainerLayer layer = ContainerLayer.create(store, img, name, cmd, volumes, idMaps, rm);
        // As docker does, a container is its own host, named by its id unless -h says otherwise.
        String host = hostname.isEmpty() ? layer.id() : hostname;
        Container container = new Container(cmd, host, interactive, tty, idMaps, volumes, store, img, layer, privileges).env(given);
        if (shim) {
            container.runDetached(); // returns only if the start failed, by throwing
        }
        return container.run();
    }

    // tag::volumes[]
    /** Every volume checked before the container's layer exists: bad input leaves nothing behind. */
    private List<Volume> volumes() {
        List<Volume> volumes = new ArrayList<>();
        volumeSpecs.forEach(spec -> volumes.add(Volume.parse(spec)));
        mountSpecs.forEach(spec -> volumes.add(Volume.parseMount(spec)));
        return Volume.checkAll(volumes);
    }
    // end::volumes[]
}
