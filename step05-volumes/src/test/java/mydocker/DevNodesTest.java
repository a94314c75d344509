package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The container's device nodes are its own: chmod or chown of /dev/full inside leaves the
 * host's /dev/full as it was, wherever the store is. As root they are made with mknod on a
 * tmpfs of the container's; an ordinary user cannot mknod and binds the host's nodes, which it
 * does not own.
 */
class DevNodesTest {

    private static final Path FULL = Path.of("/dev/full");

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to start containers as both users, and to put the host's node back
    }

    /** Changes the container's /dev/full, then writes to it. */
    private static final String CHANGE = "chmod 0660 /dev/full; chown 1:1 /dev/full; ls -ln /dev/full; echo x >/dev/full";

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void chmodOfDevFullInsideLeavesTheHostsAlone(User user) throws IOException {
        String before = owner();
        try {
            assertOwnNode(before, user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c", CHANGE));
        } finally {
            putBack(before);
        }
    }

    /**
     * A store on a nodev filesystem (a systemd /tmp, /run, /dev/shm), where a node made in the
     * store could not be opened: root's container still gets nodes of its own, not the host's.
     */
    @Test
    void aStoreOnANodevMountGivesRootItsOwnNodesAllTheSame() throws IOException {
        Archives.readable(tmp);
        Path nodev = Files.createDirectory(tmp.resolve("nodev"));
        Mydocker.host("mount", "-t", "tmpfs", "-o", "nodev,size=16m,mode=755", "tmpfs", nodev.toString());
        String before = owner();
        try {
            Map<String, String> env = Map.of("MYDOCKER_ROOT", nodev.resolve("store").toString());
            List<String> root = List.of(Mydocker.LAUNCHER.toString());
            Path busybox = Archives.write(tmp.resolve("busybox.tar"), Archives.busybox());
            Mydocker.Result imported = Mydocker.exec(root, null, env, "import", busybox.toString(), Mydocker.IMAGE);
            assertEquals(0, imported.status(), imported.toString());
            assertOwnNode(before, Mydocker.exec(root, null, env, "run", "--rm", Mydocker.IMAGE, "sh", "-c", CHANGE));
        } finally {
            putBack(before);
            Mydocker.host("umount", nodev.toString());
        }
    }

    /**
     * Root of a user namespace only, whose root is the host's (unshare -Ur; mydocker run as root
     * inside a rootless container made by root): it cannot make nodes, and binds the host's,
     * which its root owns. The binds are read-only, so chmod and chown fail there too.
     */
    @Test
    void rootOfAUserNamespaceCannotChangeTheHostsNodesItBinds() throws IOException {
        Archives.readable(tmp);
        String before = owner();
        try {
            Map<String, String> env = Map.of("MYDOCKER_ROOT", tmp.resolve("userns-store").toString());
            List<String> userns = List.of("unshare", "-Ur", Mydocker.LAUNCHER.toString());
            Path busybox = Archives.write(tmp.resolve("busybox.tar"), Archives.busybox());
            Mydocker.Result imported = Mydocker.exec(userns, null, env, "import", busybox.toString(), Mydocker.IMAGE);
            assertEquals(0, imported.status(), imported.toString());
            Mydocker.Result r = Mydocker.exec(userns, null, env, "run", "--rm", Mydocker.IMAGE, "sh", "-c", CHANGE);
            assertOwnNode(before, r);
            assertTrue(r.err().contains("Read-only file system"), r.toString());
        } finally {
            putBack(before);
        }
    }

    private static void assertOwnNode(String before, Mydocker.Result r) throws IOException {
        assertEquals(before, owner(), "chmod or chown in the container changed the host's /dev/full:\n" + r);
        // Still the full device: a write fails with ENOSPC.
        assertTrue(r.err().contains("No space left on device"), r.toString());
    }

    /** Puts a changed node back for everything else on this machine. */
    private static void putBack(String before) {
        String[] modeUidGid = before.split(" ");
        Mydocker.host("chown", modeUidGid[1] + ":" + modeUidGid[2], FULL.toString());
        Mydocker.host("chmod", modeUidGid[0], FULL.toString());
    }

    /** Mode (octal, with the special bits), uid and gid of the host's /dev/full. */
    private static String owner() throws IOException {
        int mode = (int) Files.getAttribute(FULL, "unix:mode") & 07777;
        return Integer.toOctalString(mode) + " " + Files.getAttribute(FULL, "unix:uid") + " "
                + Files.getAttribute(FULL, "unix:gid");
    }
}
