package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The container's device nodes are its own: chmod or chown of /dev/full inside leaves the
 * host's /dev/full as it was. As root they are made with mknod on the container's tmpfs; an
 * ordinary user cannot mknod and binds the host's nodes, which it does not own.
 */
class DevNodesTest {

    private static final Path FULL = Path.of("/dev/full");

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to start containers as both users, and to put the host's node back
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void chmodOfDevFullInsideLeavesTheHostsAlone(User user) throws IOException {
        String before = owner();
        try {
            Mydocker.Result r = user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c",
                    "chmod 0660 /dev/full; chown 1:1 /dev/full; ls -ln /dev/full; echo x >/dev/full");
            assertEquals(before, owner(), "chmod or chown in the container changed the host's /dev/full:\n" + r);
            // Still the full device: a write fails with ENOSPC.
            assertTrue(r.err().contains("No space left on device"), r.toString());
        } finally {
            // Today's code changes the host's node: put it back for everything else on this machine.
            String[] modeUidGid = before.split(" ");
            Mydocker.host("chown", modeUidGid[1] + ":" + modeUidGid[2], FULL.toString());
            Mydocker.host("chmod", modeUidGid[0], FULL.toString());
        }
    }

    /** Mode (octal, with the special bits), uid and gid of the host's /dev/full. */
    private static String owner() throws IOException {
        int mode = (int) Files.getAttribute(FULL, "unix:mode") & 07777;
        return Integer.toOctalString(mode) + " " + Files.getAttribute(FULL, "unix:uid") + " "
                + Files.getAttribute(FULL, "unix:gid");
    }
}
