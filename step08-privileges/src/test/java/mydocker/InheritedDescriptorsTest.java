package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A descriptor the caller holds open (here a directory on fd 7, as {@code exec 7</some/dir}
 * leaves it) does not reach the container: not the command, and not the setup before it,
 * which resolves paths while the descriptor would still be open. Through /proc/self/fd/7 a
 * path would lead out of the container onto the host (CVE-2024-21626, in runc).
 */
class InheritedDescriptorsTest {

    @TempDir
    Path tmp;

    private Path held;

    @BeforeEach
    void heldDirectory() throws IOException {
        Mydocker.requireRoot(); // to start containers as both users
        Mydocker.requireCommand("busybox");
        held = Files.createDirectory(tmp.resolve("held"));
        // A static echo, which runs on the host's filesystem and in any image alike.
        Path busybox = Files.isExecutable(Path.of("/bin/busybox")) ? Path.of("/bin/busybox") : Path.of("/usr/bin/busybox");
        Files.copy(busybox, held.resolve("echo"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(held.resolve("echo"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path dir : List.of(tmp, held)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** The launcher started from a shell that holds the directory open on fd 7. */
    private Mydocker.Result runHolding(String mydocker, String runArgs) {
        return Mydocker.exec(List.of("sh", "-c", "exec 7<" + held + "; exec " + mydocker + " run " + Mydocker.IMAGE + " " + runArgs), null, Map.of());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void theCommandGetsOnlyStdinStdoutAndStderr(String mydocker) {
        Mydocker.Result r = runHolding(mydocker, "ls /proc/self/fd");
        assertEquals(0, r.status(), r.toString());
        // ls's own descriptor for /proc/self/fd is 3, opened after exec.
        Set<String> fds = r.out().lines().map(String::strip).collect(Collectors.toSet());
        assertEquals(Set.of("0", "1", "2", "3"), fds, "the container has descriptors its caller held:\n" + r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void noPathResolvesThroughTheCallersDescriptor(String mydocker) {
        Mydocker.Result r = runHolding(mydocker, "/proc/self/fd/7/echo reached the caller\\'s directory");
        assertFalse(r.out().contains("reached the caller's directory"),
                "the container's command was found through the caller's fd 7, open while init resolved it:\n" + r);
        assertEquals(127, r.status(), "/proc/self/fd/7 should not exist in the container:\n" + r);
    }
}
