package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CVE-2019-5736: until it execs, exec's joining process is a copy of the host's java, and a
 * container that reaches its /proc/PID/exe can write the host's java binary once no process
 * runs it. The container here tries both ways: it watches /proc for a process whose exe is the
 * java that ran mydocker exec, and its command is a script whose interpreter is
 * {@code #!/proc/self/exe}, which the kernel resolves through the exec'ing process's own link.
 * The java attacked is a copy the test makes (mydocker exec runs with JAVA_HOME set to it), so
 * a failing defence damages nothing: only the copy's launcher binary is a real file, the rest
 * of the JDK symlinks. For the ordinary user the copy is that user's, as a JDK in one's home
 * directory is; for root it is root's, which container root (host uid 0) can write.
 */
class ExecEscapeTest {

    /**
     * PID 1 of the attacking container. /victim is the script; /evil/libz.so.1 a FIFO, on which
     * the host's java, started by the script, would block in the container's ld.so (a volume:
     * busybox has none), so that the watcher finds it every time. The watcher keeps a descriptor
     * of what it found, kills it, and after /stop tries to write through that descriptor.
     */
    private static final String ATTACK = String.join("\n",
            "mkdir -p /evil && mkfifo /evil/libz.so.1",
            "printf '#!/proc/self/exe\\n' > /victim && chmod 755 /victim",
            "echo ready",
            "got=",
            "while [ -z \"$got\" ] && [ ! -e /stop ]; do",
            "  for p in /proc/[0-9]*; do",
            "    l=$(readlink $p/exe 2>/dev/null) || continue",
            "    case \"$l\" in *jdk-copy/bin/java*) exec 3< $p/exe; got=\"$p $l\"; kill -9 ${p#/proc/}; break;; esac",
            "  done",
            "done",
            "while [ ! -e /stop ]; do sleep 0.1; done",
            "res='not reached'",
            "if [ -n \"$got\" ]; then",
            "  res=\"reached $got, write refused\"; i=0",
            "  while [ $i -lt 50 ]; do",
            "    if printf 'pwned by the container\\n' 2>/dev/null > /proc/self/fd/3; then res=\"reached $got, wrote it\"; break; fi",
            "    i=$((i+1)); sleep 0.1",
            "  done",
            "fi",
            "echo \"$res\" > /result",
            "touch /done",
            RunningContainer.WAIT);

    @TempDir
    Path tmp;

    private Path java;

    @BeforeEach
    void copyTheJdk() throws IOException {
        Mydocker.requireRoot();
        Archives.readable(tmp);
        Path home = Path.of(System.getProperty("java.home")).toRealPath();
        Path copy = Files.createDirectories(tmp.resolve("jdk-copy/bin"));
        try (var entries = Files.list(home)) {
            for (Path entry : entries.toList()) {
                if (!entry.getFileName().toString().equals("bin")) {
                    Files.createSymbolicLink(copy.getParent().resolve(entry.getFileName()), entry);
                }
            }
        }
        java = Files.copy(home.resolve("bin/java"), copy.resolve("java"));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(copy.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The copy's links lead into the real JDK: removed here, so that nothing deletes through them. */
    @AfterEach
    void removeLinks() throws IOException {
        try (var entries = Files.list(tmp.resolve("jdk-copy"))) {
            for (Path entry : entries.toList()) {
                if (Files.isSymbolicLink(entry)) {
                    Files.delete(entry);
                }
            }
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aScriptWithProcSelfExeAsInterpreterDoesNotReachTheHostsJava(User user) throws Exception {
        attack(user, "escape-interp", Map.of(), "/victim");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void theJoiningProcessExeCannotBeOpenedFromTheContainer(User user) throws Exception {
        // The forked process waits 3 s before its execve: the watcher has it in /proc all that time.
        attack(user, "escape-joiner", Map.of("MYDOCKER_FAULT_SLOW_EXEC", "3000"), "true");
    }

    private void attack(User user, String base, Map<String, String> fault, String command) throws Exception {
        if (user == User.ORDINARY) {
            chown(java.getParent().getParent(), Mydocker.NOBODY); // the ordinary user's own JDK
        }
        String before = Archives.sha256(Files.readAllBytes(java));
        Path ldso = Path.of("aarch64".equals(System.getProperty("os.arch")) ? "/lib/ld-linux-aarch64.so.1"
                : "/lib64/ld-linux-x86-64.so.2");
        try (RunningContainer c = new RunningContainer(user, user.name(base),
                List.of("-e", "LD_LIBRARY_PATH=/evil", "-v", ldso.toRealPath() + ":" + ldso + ":ro"), ATTACK)) {
            Map<String, String> env = new java.util.HashMap<>(fault);
            env.put("JAVA_HOME", java.getParent().getParent().toString());
            Mydocker.Result victim = Mydocker.exec(RunningContainer.prefix(user), null, env, "exec", c.name, command);
            assertEquals(0, c.exec("touch", "/stop").status());
            Mydocker.Result result = c.exec("sh", "-c", "while [ ! -e /done ]; do sleep 0.1; done; cat /result");
            assertEquals(before, Archives.sha256(Files.readAllBytes(java)),
                    "the container changed the java binary mydocker exec ran from: " + result.out());
            assertEquals("not reached\n", result.out(), "the container reached the host's java through /proc: " + result
                    + "\nexec was: " + victim);
            if (command.equals("/victim")) {
                // The script's interpreter is now an empty sealed file: the kernel cannot run it.
                assertEquals(126, victim.status(), victim.toString());
                assertTrue(victim.err().contains("ENOEXEC"), victim.toString());
            } else {
                assertEquals(0, victim.status(), victim.toString());
            }
        }
        assertNotEquals("", before);
    }

    private static void chown(Path dir, int uid) throws IOException {
        for (Path p : List.of(dir, dir.resolve("bin"), dir.resolve("bin/java"))) {
            Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        }
    }
}
