package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The store is its owner's alone: a layer holds setuid files and device nodes, and a root
 * container's upper directory whatever the container made, so another local user must not
 * reach anything under it. And a directory the user names with MYDOCKER_ROOT is never
 * changed: one that is not private is refused.
 */
class PrivateStoreTest {

    /** Another local user, neither root nor the ordinary user the tests run mydocker as. */
    static final int OTHER = 4242;

    /** The host uid of container root in root's container with --uidmap. */
    static final int MAPPED = 300000;

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        Mydocker.requireRoot(); // to become the other users
        Archives.readable(tmp);
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void anotherUserReachesNothingInTheStore(OverlayTest.User user) throws IOException {
        // A setuid-root file in a layer, and one a container made in its upper directory.
        byte[] layer = new Archives.Tar().dir("bin").file("bin/suid", "#!/bin/sh\nid -u\n").bytes();
        String image = user.name("private-suid");
        Path tar = Archives.write(tmp.resolve("suid.tar"), layer);
        assertEquals(0, user.mydocker("import", tar.toString(), image).status());
        String name = user.name("private-upper");
        Mydocker.Result run = user.mydocker("run", "--name", name, Mydocker.IMAGE, "sh", "-c",
                "cp /bin/busybox /made && chmod 4755 /made && id -u");
        assertEquals(0, run.status(), run.toString());
        assertEquals("0\n", run.out(), "container root, as before");

        if (user == OverlayTest.User.ROOT) {
            // Root's container with --uidmap: its root, another host uid, mounts the overlay, so it may
            // search the top directory (an ACL entry); it may not list it, and nobody else may enter.
            Mydocker.Result mapped = user.mydocker("run", "--rm", "--uidmap", "0:" + MAPPED + ":65536", "--gidmap",
                    "0:" + MAPPED + ":65536", Mydocker.IMAGE, "sh", "-c", "id -u; cat /etc/passwd >/dev/null");
            assertEquals(0, mapped.status(), mapped.toString());
            assertEquals("0\n", mapped.out());
            Mydocker.Result list = as(MAPPED, "ls", user.store.toString());
            assertTrue(list.status() != 0 && list.err().contains("Permission denied"), "the mapped root listed it:\n" + list);
        }
        Path store = user.store;
        int owner = user == OverlayTest.User.ROOT ? 0 : Mydocker.NOBODY;
        assertEquals(owner, Files.getAttribute(store, "unix:uid"), store + " is not its user's");
        assertPrivate(store);
        Path suid = ImageImportTest.layer(store, Archives.sha256(layer)).resolve("bin/suid");
        Path made = Mydocker.upper(store, name).resolve("made");
        for (Path p : List.of(suid, made, store.resolve("layers"), store.resolve("containers"),
                store.resolve("images/" + image + ".json"))) {
            assertTrue(Files.exists(p), p + " should be there");
            Mydocker.Result other = as(OTHER, "stat", p.toString());
            assertTrue(other.status() != 0 && other.err().contains("Permission denied"),
                    "uid " + OTHER + " reached " + p + ":\n" + other);
        }
        assertEquals(0, user.mydocker("rm", name).status());
        assertEquals(0, user.mydocker("rmi", image).status());
    }

    /**
     * Container root reaches its layers through the overlay, which its own user namespace
     * mounted: root's is root, and the ordinary user's is the ordinary user, the store's owner.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(OverlayTest.User.class)
    void containersStillRunOnAPrivateStore(OverlayTest.User user) {
        Mydocker.Result r = user.mydocker("run", "--rm", Mydocker.IMAGE, "sh", "-c",
                "id -u; head -c 4 /bin/busybox | tail -c 3; echo; echo written >/etc/new; cat /etc/new; ls -d /root");
        assertEquals(0, r.status(), r.toString());
        assertEquals("0\nELF\nwritten\n/root\n", r.out(), r.toString());
        assertPrivate(user.store);
    }

    @Test
    void anExistingDirectoryThatIsNotPrivateIsRefusedAndLeftAsItIs() throws IOException {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.setAttribute(shared, "unix:uid", Mydocker.NOBODY);
        Mydocker.host("chmod", "1777", shared.toString()); // as /tmp is: anyone may make an entry in it
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_ROOT", shared.toString()), "images");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: store " + shared + ": "), r.toString());
        assertTrue(r.err().contains("mode 1777"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(01777, (Integer) Files.getAttribute(shared, "unix:mode") & 07777, "the directory was chmodded");
        assertEquals(List.of(), ImageImportTest.list(shared), "something was made in the refused directory");

        // The ordinary user's own directory, private: taken as it is.
        Path own = Files.createDirectory(tmp.resolve("own"));
        Files.setAttribute(own, "unix:uid", Mydocker.NOBODY);
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwx------"));
        Mydocker.Result ok = Mydocker.runWithEnv(Map.of("MYDOCKER_ROOT", own.toString()), "images");
        assertEquals(0, ok.status(), ok.toString());
        assertEquals(0700, (Integer) Files.getAttribute(own, "unix:mode") & 07777);

        // Another user's private directory: not the ordinary user's to use.
        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", OTHER);
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwxrwxrwx"));
        Mydocker.Result refused = Mydocker.runWithEnv(Map.of("MYDOCKER_ROOT", theirs.toString()), "images");
        assertEquals(125, refused.status(), refused.toString());
        assertTrue(refused.err().contains("owned by uid " + OTHER), refused.toString());
        ExitStatusTest.assertOneLine(refused.err());
        assertEquals(0777, (Integer) Files.getAttribute(theirs, "unix:mode") & 07777);
    }

    @Test
    void aStoreMadeAnewIsPrivateFromItsFirstInstant() throws IOException {
        Path store = tmp.resolve("new/store");
        Files.createDirectory(tmp.resolve("new"));
        Files.setPosixFilePermissions(tmp.resolve("new"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_ROOT", store.toString()), "images");
        assertEquals(0, r.status(), r.toString());
        assertEquals(0700, (Integer) Files.getAttribute(store, "unix:mode") & 07777);
        assertEquals(Mydocker.NOBODY, Files.getAttribute(store, "unix:uid"));
    }

    /**
     * 0700; or, once root ran a container with --uidmap, 0710 where the group bits are the
     * mask of an ACL that lets that container's root uid search, and nobody else in.
     */
    static void assertPrivate(Path store) {
        int mode = mode(store);
        assertTrue(mode == 0700 || mode == 0710 && store.equals(Mydocker.ROOT_STORE),
                store + " is not private: " + Integer.toOctalString(mode));
    }

    static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Mydocker.Result as(int uid, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        argv.addAll(List.of(cmd));
        return Mydocker.exec(argv, null, Map.of());
    }
}
