package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A container's root is its image, not the host's: pivot_root takes the host's tree away, a
 * small /dev is all it has of the host's devices, and ps, rm and --rm look after what is left.
 */
class RootfsTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect both stores
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void hostFilesAreNotVisibleAndRootIsTheImage(User user) throws IOException {
        Path marker = Files.createTempFile(Path.of("/tmp"), "mydocker-host-marker-", "");
        try {
            Mydocker.Result r = user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c",
                    "test -e " + marker + " && echo marker-visible || echo marker-hidden; ls -A /tmp | wc -l;"
                            + " readlink /proc/1/root; ls -A /proc/1/root; cat /proc/1/root/etc/hostname");
            assertEquals(0, r.status(), r.toString());
            List<String> image = Archives.topLevel(Archives.busybox());
            assertEquals("marker-hidden\n0\n/\n" + String.join("\n", image) + "\nbusybox\n", r.out(),
                    "the container's / and /tmp are the image's, not the host's " + marker + ":\n" + r);
        } finally {
            Files.delete(marker);
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void devNullZeroAndTheOtherNodesWork(User user) {
        Mydocker.Result r = user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c",
                "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c;"
                        + " echo x > /dev/full || echo full-is-full;"
                        + " for n in null zero full random urandom tty; do test -c /dev/$n && echo $n; done");
        assertEquals("null-ok\n4\n4\nfull-is-full\nnull\nzero\nfull\nrandom\nurandom\ntty\n", r.out(), r.toString());
    }

    @Test
    void devTtyIsTheContainersTerminal() throws Exception {
        String run = Mydocker.launcherCommand() + " run -t --rm " + Mydocker.IMAGE + " sh -c 'echo written-to-dev-tty >/dev/tty'";
        try (ScriptSession s = new ScriptSession(run)) {
            assertEquals(0, s.waitFor(), s.output());
            assertTrue(s.output().contains("written-to-dev-tty"), s.output());
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void dashDashRmLeavesNothingBehind(User user) {
        Mydocker.importImage();
        List<String> before = ImageImportTest.list(user.store.resolve("containers"));
        String name = user.name("removed");
        Mydocker.Result r = user.mydocker("run", "--rm", "--name", name, Mydocker.IMAGE, "sh", "-c",
                "echo x > /made-inside; exit 3");
        assertEquals(3, r.status(), r.toString());
        assertEquals(before, ImageImportTest.list(user.store.resolve("containers")), "--rm left the container's files");
        assertFalse(user.mydocker("ps", "-a").out().contains(name), "ps -a still lists the --rm container");
    }

    @Test
    void psListsAnExitedContainerWithItsCodeAndRmRemovesIt() throws IOException {
        User user = User.ORDINARY;
        String name = "listed";
        assertEquals(3, user.mydocker("run", "--name", name, Mydocker.IMAGE, "sh", "-c", "exit 3").status());
        Path dir = Mydocker.upper(user.store, name).getParent();

        assertFalse(user.mydocker("ps").out().contains(name), "ps without -a lists only running containers");
        Mydocker.Result ps = user.mydocker("ps", "-a");
        assertEquals(0, ps.status(), ps.toString());
        assertTrue(ps.out().lines().anyMatch(l -> l.matches(dir.getFileName() + " +" + name + " +" + Mydocker.IMAGE
                + " +sh -c exit 3 +Exited \\(3\\) .*")), "no line for " + name + ", exited with 3:\n" + ps);

        Mydocker.Result rm = user.mydocker("rm", name);
        assertEquals(0, rm.status(), rm.toString());
        assertFalse(Files.exists(dir), "rm left " + dir);
        assertFalse(user.mydocker("ps", "-a").out().contains(name), "ps -a lists the removed container");
        Mydocker.Result again = user.mydocker("rm", name);
        assertEquals(125, again.status(), again.toString());
        assertTrue(again.err().contains("no such container \"" + name + "\""), again.toString());
    }

    /** Another run's --rm removes its container while ps reads the store: it is gone, not an error. */
    @Test
    void aContainerRemovedWhilePsReadsIsNoError() throws Exception {
        Mydocker.importImage();
        Path containers = User.ORDINARY.store.resolve("containers");
        Path dir = containers.resolve("0000removing");
        String state = "{\"id\":\"0000removing\",\"name\":\"removing\",\"image\":\"busybox\",\"command\":[\"true\"],"
                + "\"created\":\"2020-01-01T00:00:00Z\",\"status\":\"exited\",\"exitCode\":0,\"pid\":0}";
        AtomicBoolean stop = new AtomicBoolean();
        Thread remover = new Thread(() -> {
            try {
                Files.createDirectories(dir);
                while (!stop.get()) { // as ContainerState.save writes it, and rm or --rm removes it
                    Path tmp = Files.writeString(dir.resolve("state-new.json"), state);
                    Files.move(tmp, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
                    Files.delete(dir.resolve("state.json"));
                }
                Files.delete(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        remover.start();
        try {
            for (int i = 0; i < 10; i++) {
                Mydocker.Result ps = Mydocker.run("ps", "-a");
                assertEquals(0, ps.status(), ps.toString());
            }
        } finally {
            stop.set(true);
            remover.join();
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void containerNamesAreUnique() {
        User user = User.ORDINARY;
        String name = "named-once";
        assertEquals(0, user.mydocker("run", "--name", name, Mydocker.IMAGE, "true").status());
        List<String> containers = ImageImportTest.list(user.store.resolve("containers"));

        Mydocker.Result second = user.mydocker("run", "--name", name, Mydocker.IMAGE, "echo", "ran");
        assertEquals(125, second.status(), second.toString());
        assertEquals("", second.out(), "the second container ran");
        assertTrue(second.err().contains("the container name \"" + name + "\" is in use"), second.toString());
        ExitStatusTest.assertOneLine(second.err());
        assertEquals(containers, ImageImportTest.list(user.store.resolve("containers")), "the refused run left a container");

        assertEquals(0, user.mydocker("rm", name).status());
        assertEquals(0, user.mydocker("run", "--rm", "--name", name, Mydocker.IMAGE, "true").status(),
                "the name is free again after rm");
    }

    @Test
    void unknownImageIs125() {
        Mydocker.importImage();
        Map<String, List<String>> before = ImageImportTest.contents(User.ORDINARY.store);
        Mydocker.Result r = Mydocker.run("run", "no-such-image", "true");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: unknown image \"no-such-image\""), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(before, ImageImportTest.contents(User.ORDINARY.store), "a run of no image left something behind");
    }
}
