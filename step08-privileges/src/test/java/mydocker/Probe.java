package mydocker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Builds src/test/resources/probe.c as a static program in a directory every user can read. */
final class Probe {

    private Probe() {}

    static Path build(Path tmp) throws IOException {
        Mydocker.requireCommand("gcc");
        Path dir = Files.createDirectories(tmp.resolve("probe"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = dir.resolve("probe.c");
        try (InputStream in = Probe.class.getResourceAsStream("/probe.c")) {
            Files.copy(in, source);
        }
        Path binary = dir.resolve("probe");
        Mydocker.host("gcc", "-static", "-O", "-o", binary.toString(), source.toString());
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        return binary;
    }
}
