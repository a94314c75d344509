package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * commit and diff read a container's upper directory, which the container writes while they
 * read it: what they take must come from that directory, and nothing in it may stop them.
 */
class CommitTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
        Archives.readable(tmp);
    }

    /** The FIFO goes into the layer as a FIFO; nobody opens it, so nobody waits for a writer. */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aFifoInTheContainerIsCommittedWithoutOpeningIt(User user) {
        String container = user.name("fifo-maker");
        Mydocker.Result r = user.mydocker("run", "--name", container, Mydocker.IMAGE, "mkfifo", "/queue");
        assertEquals(0, r.status(), r.toString());
        try {
            Mydocker.Result diff = user.mydocker("diff", container);
            assertEquals("A /queue\n", diff.out(), diff.toString());
            String image = user.name("with-fifo");
            Mydocker.Result commit = user.mydocker("commit", container, image);
            assertEquals(0, commit.status(), commit.toString());
            Mydocker.Result check = user.mydocker("run", "--rm", image, "sh", "-c", "test -p /queue && echo fifo");
            assertEquals("fifo\n", check.out(), check.toString());
        } finally {
            user.mydocker("rm", container);
        }
    }

    /**
     * The container swaps its directory /d for a symlink to a host directory, again and again,
     * while commit and diff walk its upper directory. Neither may read the host directory: the
     * host file there has the name of the container's own file, d/f.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aDirectorySwappedForASymlinkNeverBringsAHostFileIn(User user) throws Exception {
        Path host = Files.createDirectory(tmp.resolve("host-only"));
        Files.writeString(host.resolve("f"), "the host's secret\n");
        Files.writeString(host.resolve("host-only-name"), "");
        Files.setPosixFilePermissions(host.resolve("f"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwx------"));
        if (user == User.ORDINARY) { // a directory of the user's own that its containers cannot see
            Mydocker.host("chown", "-R", Mydocker.NOBODY + ":" + Mydocker.NOBODY, host.toString());
        }
        String container = user.name("swapper");
        String script = "mkdir /d && echo mine > /d/f && trap 'exit 0' TERM && end=$(( $(date +%s) + 120 ))"
                + " && while [ $(date +%s) -lt $end ]; do mv /d /d.x; ln -s " + host + " /d; usleep 20000;"
                + " rm /d; mv /d.x /d; usleep 5000; done";
        Process run = Mydocker.start(user == User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher(),
                Map.of(), "run", "--name", container, Mydocker.IMAGE, "sh", "-c", script);
        try {
            Path upper = awaitUpper(user.store, container, run);
            for (int i = 0; i < 5; i++) { // before the fix, one of the first three commits took the host file
                Mydocker.Result diff = user.mydocker("diff", container);
                assertFalse(diff.out().contains("host-only-name"), "diff listed the host's directory:\n" + diff);
                String image = user.name("swapped");
                Mydocker.Result commit = user.mydocker("commit", container, image);
                if (commit.status() != 0) { // it may refuse a file that changed under it, in one line
                    assertEquals(125, commit.status(), commit.toString());
                    ExitStatusTest.assertOneLine(commit.err());
                    continue;
                }
                Matcher m = Pattern.compile("the new one (sha256:[0-9a-f]{64})").matcher(commit.out());
                assertTrue(m.find(), commit.toString());
                Path layer = ImageImportTest.layer(user.store, m.group(1));
                try (Stream<Path> walk = Files.walk(layer)) {
                    for (Path p : walk.filter(Files::isRegularFile).toList()) {
                        assertFalse(Files.readString(p).contains("the host's secret"),
                                "commit took the host's " + host.resolve("f") + " into the layer as " + p);
                    }
                }
                assertTrue(Files.exists(upper), "the container's upper directory went away");
            }
        } finally {
            run.destroy(); // SIGTERM, which mydocker passes on to the container's shell
            if (!run.waitFor(20, TimeUnit.SECONDS)) {
                run.descendants().forEach(ProcessHandle::destroyForcibly);
                run.destroyForcibly();
            }
            user.mydocker("rm", container);
        }
    }

    /** The container's upper directory once its shell has made /d. */
    private static Path awaitUpper(Path store, String container, Process run) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (!run.isAlive()) {
                fail("the container exited early: " + new String(run.getErrorStream().readAllBytes()));
            }
            try {
                Path upper = Mydocker.upper(store, container);
                if (Files.exists(upper.resolve("d.x")) || Files.exists(upper.resolve("d/f"))) {
                    return upper;
                }
            } catch (AssertionError | IOException notYet) {
                // no state.json yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the container did not start within 30 s");
    }
}
