package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The working directory is entered inside the container's root: {@code -w /proc/self/fd/7}
 * (or an image whose config says {@code WorkingDir: /proc/self/fd/7}), run by a caller holding
 * a host directory on fd 7, must not start there (CVE-2024-21626, in runc), where it would read
 * and write the host's files.
 */
class WorkingDirTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to look at the host's directory
        Archives.readable(tmp);
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aWorkingDirThroughTheCallersDescriptorDoesNotReachTheHost(User user) throws IOException {
        Path held = Files.createDirectory(tmp.resolve("held"));
        String secret = "host secret " + UUID.randomUUID();
        Files.writeString(held.resolve("secret"), secret + "\n");
        Files.setPosixFilePermissions(held.resolve("secret"), PosixFilePermissions.fromString("rw-r--r--"));
        // Open to the ordinary user too: only mydocker stands between its container and this directory.
        Files.setPosixFilePermissions(held, PosixFilePermissions.fromString("rwxrwxrwx"));
        Mydocker.importImage();
        String mydocker = user == User.ROOT ? Mydocker.LAUNCHER.toString() : Mydocker.launcherCommand();
        Mydocker.Result r = Mydocker.exec(List.of("sh", "-c", "exec 7<" + held + "; exec " + mydocker
                + " run --rm -w /proc/self/fd/7 " + Mydocker.IMAGE + " sh -c 'pwd; cat secret; touch planted; ls'"),
                null, Map.of());
        assertFalse(Files.exists(held.resolve("planted")),
                "the container wrote into the caller's directory on the host:\n" + r);
        assertFalse(r.out().contains(secret) || r.err().contains(secret),
                "the container read a file of the caller's directory on the host:\n" + r);
        if (r.status() == 125) {
            ExitStatusTest.assertOneLine(r.err());
            assertTrue(r.err().contains("working directory"), r.toString());
        } else {
            assertEquals(0, r.status(), r.toString());
            String pwd = r.out().lines().findFirst().orElse("");
            assertTrue(pwd.startsWith("/") && !pwd.contains(held.toString()),
                    "the working directory is not in the container (getcwd says " + pwd + "):\n" + r);
        }
    }
}
