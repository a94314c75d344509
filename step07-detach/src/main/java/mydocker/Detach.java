package mydocker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * {@code run -d}. The container's parent has to outlive the caller's shell and terminal and
 * wait for it, to record how it ended. That parent is a shim: a JVM that the caller's
 * {@code mydocker run -d} starts in a session of its own, which runs the foreground start
 * code with the container's output on a pipe, tells the caller the id, and then replaces
 * itself (execve, same pid, same children) with the much smaller {@link Waiter} JVM.
 */
final class Detach {

    // <asm/unistd.h>
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_SETSID = ARM64 ? 157 : 112;
    private static final long SYS_EXECVE = ARM64 ? 221 : 59;
    private static final long SYS_CLOSE_RANGE = 436; // the same on every architecture
    private static final long CLOSE_RANGE_CLOEXEC = 4; // <linux/close_range.h>, Linux 5.11

    /** The hidden option of run that makes it the shim. */
    static final String SHIM = "--detach-shim";
    /** Each log file's cap, in bytes: the current one and one older (MYDOCKER_LOG_MAX_BYTES overrides). */
    static final long LOG_MAX_BYTES = 8L << 20;

    private Detach() {}

    // tag::spawn[]
    /**
     * The caller's side: start the shim with this JVM's own command line plus {@link #SHIM},
     * stdin /dev/null, stdout a pipe, stderr ours (its errors before the start are one line,
     * as a foreground run's). The shim writes the id on the pipe once the command has exec'd,
     * and closes it: an id means started, end of file without one means the shim failed, and
     * its exit status is ours.
     */
    static int spawnShim(String[] argv) throws IOException, InterruptedException {
        List<String> command = jvmCommand(argv);
        int run = 0;
        while (argv[run].startsWith("-")) {
            run++; // --trace, --debug
        }
        command.addAll(Arrays.asList(argv).subList(0, run + 1));
        command.add(SHIM);
        command.addAll(Arrays.asList(argv).subList(run + 1, argv.length));
        Process shim = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String id;
        try (InputStream report = shim.getInputStream()) {
            id = new String(report.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!id.isEmpty()) {
            System.out.println(id);
            return 0;
        }
        return shim.waitFor();
    }
    // end::spawn[]

    /** This JVM's executable and options, up to and with {@code -jar JAR}: what the launcher gave it. */
    private static List<String> jvmCommand(String[] argv) {
        ProcessHandle.Info self = ProcessHandle.current().info();
        String[] all = self.arguments().orElseThrow(() -> new MydockerException("reading /proc/self/cmdline"));
        List<String> command = new ArrayList<>();
        command.add(self.command().orElseThrow(() -> new MydockerException("reading /proc/self/exe")));
        command.addAll(Arrays.asList(all).subList(0, all.length - argv.length));
        return command;
    }

    // tag::setsid[]
    /**
     * The shim's first act: a session of its own, without a controlling terminal, so that the
     * caller's terminal closing (SIGHUP to its session) or Ctrl-C in it does not reach the
     * container's parent. ProcessBuilder's child is no group leader, so setsid cannot fail.
     */
    static void newSession() {
        long sid = Plan.syscall(SYS_SETSID, 0, 0, 0, 0, 0);
        Syscalls.check("setsid()", sid == -1 ? -1 : sid);
    }
    // end::setsid[]

    // tag::become-waiter[]
    /**
     * The container runs: report its id, let go of the caller's pipe and terminal, and execve
     * the waiter. execve keeps the pid (the container's parent stays its parent, and its
     * PR_SET_PDEATHSIG does not fire: the thread that cloned it is the one that execs) and
     * every descriptor without close-on-exec: the output pipe goes in as stdin, and nothing
     * else. The waiter lives as long as the container, and would hold open whatever this JVM,
     * its libraries or its caller left open without close-on-exec (the JDK leaves a socket
     * pair): every descriptor above stderr is marked close-on-exec first.
     */
    static void becomeWaiter(Store store, ContainerLayer layer, int pid, int output) {
        byte[] id = (layer.id() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Syscalls.writeFully(1, id, id.length);
        } catch (SyscallException e) {
            // The caller is gone (EPIPE): the container runs all the same, and ps shows it.
        }
        int devNull = Syscalls.open("/dev/null", Syscalls.O_RDWR | Syscalls.O_CLOEXEC);
        Syscalls.dup3(output, 0, 0);
        Syscalls.dup3(devNull, 1, 0); // the caller reads end of file now
        Syscalls.dup3(devNull, 2, 0);
        String log = layer.dir.resolve("container.log").toString();
        String max = System.getenv().getOrDefault("MYDOCKER_LOG_MAX_BYTES", Long.toString(LOG_MAX_BYTES));
        List<String> jvm = jvmCommand(Main.argv);
        List<String> waiter = new ArrayList<>(List.of(jvm.get(0)));
        waiter.addAll(List.of(Waiter.JVM));
        waiter.addAll(List.of("-cp", jar(), Waiter.class.getName(), Integer.toString(pid), log, max));
        waiter.addAll(jvm); // the recorder: this JVM's command line, as the launcher made it
        waiter.addAll(List.of("_exited", layer.id()));
        // One malloc arena: the waiter's few threads allocate next to nothing.
        List<String> env = List.of("MYDOCKER_ROOT=" + store.root, "MALLOC_ARENA_MAX=1",
                "PATH=" + System.getenv().getOrDefault("PATH", Exec.DEFAULT_PATH));
        Syscalls.check("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)",
                Plan.syscall(SYS_CLOSE_RANGE, 3, 0xFFFFFFFFL, CLOSE_RANGE_CLOEXEC, 0, 0) == -1 ? -1 : 0);
        execve(waiter, env);
        // Not replaced (the java binary gone?): wait here, in this JVM.
        try {
            Waiter.main(waiter.subList(waiter.indexOf(Waiter.class.getName()) + 1, waiter.size()).toArray(new String[0]));
        } catch (Exception e) {
            System.exit(ExitStatus.RUNTIME_ERROR);
        }
        System.exit(0);
    }
    // end::become-waiter[]

    private static String jar() {
        try {
            return new File(Detach.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (java.net.URISyntaxException e) {
            throw new MydockerException("finding mydocker's jar", e);
        }
    }

    /** A raw execve: the JDK has none, and ProcessBuilder would make a child, not replace us. */
    private static void execve(List<String> argv, List<String> env) {
        List<Pointer> keep = new ArrayList<>();
        long path = cString(argv.get(0), keep);
        Plan.syscall(SYS_EXECVE, path, array(argv, keep), array(env, keep), 0, 0);
    }

    private static long array(List<String> strings, List<Pointer> keep) {
        Pointer array = Memory.allocateDirect(Syscalls.RUNTIME, 8L * (strings.size() + 1), true);
        keep.add(array);
        for (int i = 0; i < strings.size(); i++) {
            array.putLong(8L * i, cString(strings.get(i), keep));
        }
        return array.address();
    }

    private static long cString(String s, List<Pointer> keep) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        Pointer p = Memory.allocateDirect(Syscalls.RUNTIME, bytes.length + 1, true);
        p.put(0, bytes, 0, bytes.length);
        keep.add(p);
        return p.address();
    }
}
