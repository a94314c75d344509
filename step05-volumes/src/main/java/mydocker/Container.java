package mydocker;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parent's side of {@code mydocker run}: start init in new namespaces, tell it what to
 * run, relay signals (and with -t the terminal), and exit with the container's status.
 */
final class Container {

    /** The environment variable that tells init which descriptor to read its spec from (runc: _LIBCONTAINER_INITPIPE). */
    static final String INIT_PIPE_ENV = "MYDOCKER_INIT_PIPE";

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
            // Everything the child inherits is opened before clone: it will only execve.
            terminal = tty ? Terminal.open() : null;
            int stdinFd = interactive || tty ? -1 : Syscalls.open("/dev/null", Syscalls.O_RDONLY);
            int[] specPipe = Syscalls.pipe2(Syscalls.O_CLOEXEC);
            Syscalls.inherit(specPipe[0]);

            int pid = startInit(specPipe[0]);
            Signals.forward(pid);
            layer.started(pid);
            closeChildsEnds(specPipe[0], stdinFd, terminal);
            sendSpec(specPipe[1], new ContainerSpec(command, containerEnv(), hostname, stdinFd,
                    terminal == null ? -1 : terminal.slave, Trace.on(), image.lowerdirs(store), layer.upper.toString(),
                    layer.work.toString(), layer.merged.toString(), image.workingDir(), volumes));
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

    // tag::start-init[]
    /** Clones init, and writes its id maps while it waits to exec. */
    private int startInit(int specFd) {
        try {
            return CloneExec.start(Namespaces.CONTAINER, "/proc/self/exe", initArgv(), initEnv(specFd), idMaps::write);
        } catch (SyscallException e) {
            throw UsernsSettings.explain(e, UsernsSettings.PROC_SYS);
        }
    }
    // end::start-init[]

    // tag::reexec[]
    /** The book's {@code /proc/self/exe init}: the same JVM binary, the same jar, another entry point. */
    private static List<String> initArgv() {
        Path jar = jarPath();
        List<String> argv = new ArrayList<>(List.of("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData"));
        argv.addAll(startupFlags(jar.getParent()));
        argv.addAll(List.of("-cp", jar.toString(), "mydocker.Main", "init"));
        return argv;
    }
    // end::reexec[]

    /**
     * What the launcher adds when the build left it beside the jar (scripts/jvm-archive.sh): the
     * class-data archive, and jffi's native stub unpacked once rather than into /tmp on every
     * start. Init is a second JVM start on the way to the user's command; without these it is
     * only slower.
     */
    private static List<String> startupFlags(Path dir) {
        List<String> flags = new ArrayList<>();
        Path archive = dir.resolve("mydocker.jsa");
        if (Files.isReadable(archive)) {
            flags.addAll(List.of("-Xshare:auto", "-Xlog:cds=off", "-XX:SharedArchiveFile=" + archive));
        }
        Path stub = dir.resolve("jni");
        if (Files.isDirectory(stub)) {
            flags.add("-Djffi.boot.library.path=" + stub);
        }
        return flags;
    }

    /** Init's own environment: nothing of the caller's, which is no business of a JVM in the container. */
    private static List<String> initEnv(int specFd) {
        return List.of("PATH=" + Exec.DEFAULT_PATH, "LANG=C.UTF-8", INIT_PIPE_ENV + "=" + specFd);
    }

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

    private static void closeChildsEnds(int specRead, int stdinFd, Terminal terminal) {
        Syscalls.close(specRead);
        if (stdinFd >= 0) {
            Syscalls.close(stdinFd);
        }
        if (terminal != null) {
            terminal.closeSlave();
        }
    }

    /** Writes the spec and closes the pipe: init reads to end of file before it does anything. */
    private static void sendSpec(int fd, ContainerSpec spec) {
        byte[] bytes = spec.encode();
        try {
            Syscalls.writeFully(fd, bytes, bytes.length);
            if (Trace.on()) {
                Trace.print("write(" + fd + ", <spec: " + bytes.length + " bytes>) = " + bytes.length);
            }
        } catch (SyscallException e) {
            // EPIPE: init is already gone, and waitpid will say how.
            Trace.print("sending the spec: " + e.getMessage());
        } finally {
            Syscalls.close(fd);
        }
    }

    private int waitFor(int pid, Terminal terminal) throws InterruptedException {
        if (terminal != null) {
            terminal.copyWindowSize();
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

    private static Path jarPath() {
        try {
            return Path.of(Container.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
