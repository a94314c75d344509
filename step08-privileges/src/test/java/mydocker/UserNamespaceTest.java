package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Containers of an ordinary user: root inside, that user outside, no privilege gained. */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class UserNamespaceTest {

    private static final int SUB_START = 300000;
    private static final int SUB_COUNT = 65536;
    private static final String SUB_LINE = "nobody:" + SUB_START + ":" + SUB_COUNT + "\n";


    @BeforeEach
    void root() {
        Mydocker.requireRoot(); // to become the ordinary user, and to inspect the host
    }

    @Test
    void ordinaryUserIsRootInside() {
        Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map");
        assertEquals(0, r.status(), r.toString());
        assertEquals(List.of("0", "0", "0 65534 1", "0 65534 1"), normalized(r.out()), r.toString());
    }

    @Test
    void ordinaryUserCanSetTheHostname() {
        // With CAP_SYS_ADMIN given back (step08); without it the rename is refused, as in docker.
        Mydocker.Result r = Mydocker.run("run", "--cap-add", "SYS_ADMIN", "-h", "box", Mydocker.IMAGE, "sh", "-c",
                "hostname; hostname again; hostname");
        assertEquals("box\nagain\n", r.out(), r.toString());
        r = Mydocker.run("run", "-h", "box", Mydocker.IMAGE, "sh", "-c", "hostname again; hostname");
        assertEquals("box\n", r.out(), r.toString());
        assertTrue(r.err().contains("sethostname: Operation not permitted"), r.toString());
    }

    @Test
    void containerRootGainsNoPrivilegeOnTheHost() {
        // The host's files are out of reach since pivot_root; what is left to try is the kernel.
        Mydocker.Result mknod = Mydocker.run("run", "--rm", Mydocker.IMAGE, "mknod", "/dev/mem2", "c", "1", "1");
        assertNotEquals(0, mknod.status(), mknod.toString());
        assertTrue(mknod.err().contains("Operation not permitted"), mknod.toString());
    }

    @Test
    void filesTheContainerCreatesBelongToTheCaller() throws IOException {
        Mydocker.Result r = Mydocker.run("run", "--name", "made-inside", Mydocker.IMAGE, "sh", "-c",
                "touch /made-inside && stat -c %u:%g /made-inside");
        Path file = Mydocker.upper(Mydocker.NOBODY_STORE, "made-inside").resolve("made-inside");
        assertEquals("0:0\n", r.out(), "inside, the file is root's:\n" + r);
        assertEquals(Mydocker.NOBODY, Files.getAttribute(file, "unix:uid"), "on the host, it is the caller's");
        assertEquals(Mydocker.NOBODY, Files.getAttribute(file, "unix:gid"));
    }

    @Test
    void moreIdsThroughNewuidmapAndSubordinateRanges() throws IOException {
        Mydocker.requireCommand("newuidmap");
        String subuid = read("/etc/subuid");
        String subgid = read("/etc/subgid");
        try {
            Files.writeString(Path.of("/etc/subuid"), subuid + SUB_LINE);
            Files.writeString(Path.of("/etc/subgid"), subgid + SUB_LINE);
            String name = "chowned";
            String map = "0:" + Mydocker.NOBODY + ":1";
            String sub = "1:" + SUB_START + ":" + SUB_COUNT;
            Mydocker.Result r = Mydocker.run("run", "--uidmap", map, "--uidmap", sub, "--gidmap", map, "--gidmap", sub,
                    "--name", name, Mydocker.IMAGE, "sh", "-c", "cat /proc/self/uid_map; touch /f && chown 1:1 /f");
            Path file = Mydocker.upper(Mydocker.NOBODY_STORE, name).resolve("f");
            assertEquals(0, r.status(), r.toString());
            assertEquals(List.of("0 65534 1", "1 " + SUB_START + " " + SUB_COUNT), normalized(r.out()));
            assertEquals(SUB_START, Files.getAttribute(file, "unix:uid"), "uid 1 inside is the first subordinate uid");
            assertEquals(SUB_START, Files.getAttribute(file, "unix:gid"));
        } finally {
            Files.writeString(Path.of("/etc/subuid"), subuid);
            Files.writeString(Path.of("/etc/subgid"), subgid);
        }
    }

    @Test
    void withoutSubordinateRangesTheErrorSaysWhatToAdd() throws IOException {
        Mydocker.requireCommand("newuidmap");
        String subuid = read("/etc/subuid");
        try {
            Files.writeString(Path.of("/etc/subuid"), "");
            Mydocker.Result r = Mydocker.run("run", "--uidmap", "0:65534:1", "--uidmap", "1:300000:10", Mydocker.IMAGE, "true");
            assertEquals(125, r.status(), r.toString());
            assertTrue(r.err().contains("no subordinate ids for nobody in /etc/subuid"), r.toString());
            assertTrue(r.err().contains("usermod --add-subuids"), r.toString());
            ExitStatusTest.assertOneLine(r.err());
        } finally {
            Files.writeString(Path.of("/etc/subuid"), subuid);
        }
    }

    @Test
    void rootGetsTheSameDefaultInItsOwnNamespace() {
        Mydocker.Result r = Mydocker.runAsRoot("run", "-h", "box", Mydocker.IMAGE, "sh", "-c",
                "id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user; hostname");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = normalized(r.out());
        assertEquals(List.of("0", "0 0 1"), lines.subList(0, 2), r.toString());
        assertNotEquals(Mydocker.host("readlink", "/proc/self/ns/user").strip(), lines.get(2), "no new user namespace");
        assertEquals("box", lines.get(3));
    }

    @Test
    void rootMapsASubordinateRangeDirectly() throws IOException {
        Mydocker.Result r = Mydocker.runAsRoot("run", "--uidmap", "0:" + SUB_START + ":" + SUB_COUNT,
                "--gidmap", "0:" + SUB_START + ":" + SUB_COUNT, "--name", "root-mapped", Mydocker.IMAGE, "sh", "-c",
                "id -u; cat /proc/self/uid_map; touch /root-mapped");
        Path file = Mydocker.upper(Mydocker.ROOT_STORE, "root-mapped").resolve("root-mapped");
        assertEquals(0, r.status(), r.toString());
        assertEquals(List.of("0", "0 " + SUB_START + " " + SUB_COUNT), normalized(r.out()));
        assertEquals(SUB_START, Files.getAttribute(file, "unix:uid"), "container root is the subordinate uid");
    }

    @Test
    void badMapsAreRefused() {
        Mydocker.Result r = Mydocker.run("run", "--uidmap", "0:x:1", Mydocker.IMAGE, "true");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().contains("invalid id map \"0:x:1\": use CONTAINER:HOST:SIZE"), r.toString());
        Mydocker.Result noRoot = Mydocker.run("run", "--gidmap", "1:65534:1", Mydocker.IMAGE, "true");
        assertEquals(125, noRoot.status(), noRoot.toString());
        assertTrue(noRoot.err().contains("--gidmap must map container gid 0"), noRoot.toString());
    }

    private static String read(String file) throws IOException {
        Path p = Path.of(file);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** Lines with runs of blanks squeezed, as /proc/self/uid_map pads its columns. */
    private static List<String> normalized(String out) {
        return out.lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList();
    }
}
