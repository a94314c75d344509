package mydocker;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs this step's launcher as a user would, as root or as an ordinary user, and captures
 * what it prints. Tests start real containers through it: from step02 on, as an ordinary
 * user (uid 65534) unless a test asks for root.
 */
final class Mydocker {

    static final boolean CI = "true".equals(System.getenv("CI"));
    static final Path MODULE = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    static final Path LAUNCHER = MODULE.resolve("mydocker");
    static final int NOBODY = 65534;
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static Path unprivilegedLauncher;

    private Mydocker() {}

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name")) || LibC.INSTANCE.geteuid() == 0;
    }

    /** Outside CI a test that needs root may be skipped; in CI it must run, so it fails instead. */
    static void requireRoot() {
        if (!isRoot()) {
            if (CI) {
                fail("CI=true: this test needs root and must not be skipped; run the build as root");
            }
            assumeTrue(false, "needs root: run mvn verify as root to include it");
        }
    }

    /** A host command needed by a test: skipped outside CI when missing, a failure in CI. */
    static void requireCommand(String name) {
        boolean found = Files.isExecutable(Path.of("/usr/bin", name)) || Files.isExecutable(Path.of("/bin", name))
                || Files.isExecutable(Path.of("/usr/sbin", name)) || Files.isExecutable(Path.of("/sbin", name));
        if (!found) {
            if (CI) {
                fail("CI=true: this test needs " + name + " on the host (.ci/run installs it)");
            }
            assumeTrue(false, "needs " + name + " on the host");
        }
    }

    static Result run(String... args) {
        return exec(launcher(), null, Map.of(), args);
    }

    static Result runWithInput(String stdin, String... args) {
        return exec(launcher(), stdin, Map.of(), args);
    }

    static Result runWithEnv(Map<String, String> env, String... args) {
        return exec(launcher(), null, env, args);
    }

    /**
     * Runs the launcher as uid/gid 65534, from a copy that uid can read: the checkout may be in a
     * home directory that no other user can enter.
     */
    static Result runAsNobody(String... args) {
        List<String> cmd = new ArrayList<>(asNobody());
        cmd.add(unprivilegedLauncher().toString());
        return exec(cmd, null, Map.of(), args);
    }

    static List<String> asNobody() {
        return List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups");
    }

    /** The launcher as the tests run it: as an ordinary user, which step02 makes possible. */
    static List<String> launcher() {
        List<String> cmd = new ArrayList<>(asNobody());
        cmd.add(unprivilegedLauncher().toString());
        return cmd;
    }

    /** The launcher run by root. */
    static Result runAsRoot(String... args) {
        return exec(List.of(LAUNCHER.toString()), null, Map.of(), args);
    }

    /** The same, as one shell command line (for script(1)). */
    static String launcherCommand() {
        return String.join(" ", launcher());
    }

    /** Every launcher started: those still running when the tests end (a test that timed out) are killed then. */
    private static final List<Process> STARTED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (STARTED) {
                for (Process p : STARTED) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }));
    }

    /**
     * Starts the launcher with every signal at its default: a build started under nohup, with
     * SIGHUP ignored, would otherwise hand that on to every mydocker it starts (an ignored
     * signal stays ignored across exec).
     */
    static Process start(List<String> prefix, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal"));
        cmd.addAll(prefix);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("/tmp").toFile());
        pb.environment().remove("MYDOCKER_TRACE");
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            synchronized (STARTED) {
                STARTED.removeIf(started -> !started.isAlive());
                STARTED.add(p);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Result exec(List<String> prefix, String stdin, Map<String, String> env, String... args) {
        Process p = start(prefix, env, args);
        return finish(p, stdin);
    }

    /** Feeds stdin (or closes it), collects both streams, and waits, failing after a minute. */
    static Result finish(Process p, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the container may exit without reading its input
        }
        try {
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail("mydocker did not finish within " + TIMEOUT + "; stdout so far:\n" + out + "\nstderr:\n" + err);
            }
            o.join(10_000);
            e.join(10_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Thread pump(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> {
            try {
                byte[] buf = new byte[8192];
                for (int n; (n = from.read(buf)) > 0; ) {
                    synchronized (to) {
                        to.write(buf, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A copy of the launcher and jar in a directory every user can read (the checkout may not be). */
    static synchronized Path unprivilegedLauncher() {
        if (unprivilegedLauncher == null) {
            try {
                Path dir = Files.createTempDirectory("mydocker-launcher-");
                Files.createDirectories(dir.resolve("target"));
                Files.copy(LAUNCHER, dir.resolve("mydocker"), StandardCopyOption.COPY_ATTRIBUTES);
                Files.copy(MODULE.resolve("target/mydocker.jar"), dir.resolve("target/mydocker.jar"));
                for (Path p : List.of(dir, dir.resolve("target"), dir.resolve("mydocker"))) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
                Files.setPosixFilePermissions(dir.resolve("target/mydocker.jar"),
                        PosixFilePermissions.fromString("rw-r--r--"));
                unprivilegedLauncher = dir.resolve("mydocker");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return unprivilegedLauncher;
    }

    static String quote(String s) {
        return '"' + s.replace("\n", "\\n").replace("\r", "\\r") + '"';
    }

    /** Runs a host command and returns its stdout, failing if it fails. */
    static String host(String... cmd) {
        Result r = exec(List.of(cmd), null, Map.of());
        if (r.status() != 0) {
            fail(String.join(" ", cmd) + " failed on the host: " + r);
        }
        return r.out();
    }
}
