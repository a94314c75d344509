package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ordinary user's container gains nothing on the host: container root is that user, so
 * root-only files stay closed, devices cannot be made or mounted, and what it writes, setuid
 * bits included, belongs to the user.
 */
class SecurityTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void rootOnlyHostFilesStayClosed() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("secret"));
        Files.writeString(dir.resolve("key"), "root's\n");
        Files.setPosixFilePermissions(dir.resolve("key"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Mydocker.Result r = Mydocker.run("run", "-v", dir + ":/secret", Mydocker.IMAGE, "sh", "-c",
                "id -u; cat /secret/key; echo \"cat $?\"");
        assertEquals(0, r.status(), r.toString());
        assertEquals("0\ncat 1\n", r.out(), "container root read a root-only host file:\n" + r);
        assertTrue(r.err().contains("Permission denied"), r.toString());
    }

    @Test
    void noDeviceCanBeMade() {
        Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "sh", "-c",
                "if mknod /tmp/disk b 8 0; then echo made; else echo refused; fi; ls /dev");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("refused\n"), "container root made a block device:\n" + r);
        assertTrue(r.out().lines().noneMatch(name -> name.startsWith("sd") || name.startsWith("vd")
                || name.startsWith("nvme")), "a host disk shows in the container's /dev:\n" + r);
    }

    @Test
    void whatItWritesIsTheUsersSetuidIncluded() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("out"));
        Files.setAttribute(dir, "unix:uid", Mydocker.NOBODY);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Mydocker.Result r = Mydocker.run("run", "-v", dir + ":/out", Mydocker.IMAGE, "sh", "-c",
                "cp /bin/busybox /out/su && chown 0:0 /out/su && chmod 4755 /out/su");
        assertEquals(0, r.status(), r.toString());
        Path su = dir.resolve("su");
        assertEquals(Mydocker.NOBODY, Files.getAttribute(su, "unix:uid"), "the file is not the user's on the host");
        assertEquals(Mydocker.NOBODY, Files.getAttribute(su, "unix:gid"));
        int mode = (int) Files.getAttribute(su, "unix:mode");
        assertEquals(04000, mode & 04000, "the setuid bit is kept, and grants only the user's own uid");
    }
}
