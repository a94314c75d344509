package mydocker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attack a kept terminal allows: the TIOCSTI ioctl pushes characters into a terminal's
 * input as if typed, so a container started without -t from a shell queues a command line
 * that the caller's shell reads and runs, as the caller, once the container has exited. Perl
 * is the host's: up to step03 the container runs on the host's filesystem.
 */
class TiocstiTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to start containers as both users
        Mydocker.requireCommand("perl");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mydocker.Callers#both")
    void aContainerCannotTypeIntoTheCallersShell(String mydocker) throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path injected = tmp.resolve("injected");
        // TIOCSTI is 0x5412 in <asm-generic/ioctls.h>; perl's ioctl passes the string's address.
        String perl = "open(my $t, \"+<\", \"/dev/tty\") or die \"open /dev/tty: $!\\n\";"
                + " ioctl($t, 0x5412, $_) or die \"TIOCSTI: $!\\n\" for split //, \"touch " + injected + "\\n\";"
                + " print \"pushed\\n\"";
        try (ScriptSession s = new ScriptSession("env PS1='caller$ ' sh -i")) {
            s.expect("caller$ ");
            s.send(mydocker + " run perl -e '" + perl + "'; echo \"container gone $((6*7))\"\n");
            s.expect("container gone 42");
            // Whatever the container queued is read before this line.
            s.send("echo \"caller still here $((6*7))\"\n");
            s.expect("caller still here 42");
            s.send("exit\n");
            s.waitFor();
            assertFalse(Files.exists(injected), "the container typed `touch " + injected + "` into the caller's"
                    + " shell, which ran it as the caller (dev.tty.legacy_tiocsti = " + legacyTiocsti() + "):\n" + s.output());
            assertTrue(s.output().contains("open /dev/tty: No such device or address"),
                    "the container could open the caller's terminal as /dev/tty:\n" + s.output());
        }
    }

    /** Linux 6.2 and later can refuse TIOCSTI to processes without CAP_SYS_ADMIN; 1 is the old behaviour. */
    private static String legacyTiocsti() throws IOException {
        Path knob = Path.of("/proc/sys/dev/tty/legacy_tiocsti");
        return Files.exists(knob) ? Files.readString(knob).strip() : "absent, before Linux 6.2: 1";
    }
}
