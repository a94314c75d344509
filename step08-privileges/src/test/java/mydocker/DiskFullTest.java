package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a filesystem that runs full: an import or a commit that does not fit fails with
 * one line naming ENOSPC, keeps nothing of itself, and the store goes on working. As root,
 * since it mounts a small tmpfs for the store.
 */
class DiskFullTest {

    /** Room for the busybox layer (2 MB) and a container, not for one more large layer. */
    static final String SIZE = "4m";

    @TempDir
    Path tmp;

    private Path store;
    private Map<String, String> env;

    @BeforeEach
    void smallStore() throws IOException {
        Mydocker.requireRoot();
        Archives.readable(tmp);
        Path mount = Files.createDirectory(tmp.resolve("small"));
        Mydocker.host("mount", "-t", "tmpfs", "-o", "size=" + SIZE + ",mode=755", "tmpfs", mount.toString());
        store = mount.resolve("store");
        env = Map.of("MYDOCKER_ROOT", store.toString());
        Path busybox = Archives.write(tmp.resolve("busybox.tar"), Archives.busybox());
        assertSucceeds("import", busybox.toString(), Mydocker.IMAGE);
    }

    @AfterEach
    void unmount() {
        if (store != null) {
            Mydocker.host("umount", store.getParent().toString());
        }
    }

    @Test
    void anImportTooLargeForTheStoreKeepsNothing() throws IOException {
        byte[] large = new Archives.Tar().dir("data").file("data/large", "x".repeat(3_000_000)).bytes();
        Path tar = Archives.write(tmp.resolve("large.tar"), large);
        assertFullAndUnchanged("import " + tar, "import", tar.toString(), "large");
        storeStillWorks();
    }

    @Test
    void aCommitTooLargeForTheStoreKeepsNothing() throws IOException {
        // The container's upper is on the store too: what it writes takes its share, the
        // commit's tar and the layer extracted from it would take twice as much again.
        assertSucceeds("run", "--name", "fat", Mydocker.IMAGE, "sh", "-c", "head -c 900000 /dev/zero > /fat");
        assertFullAndUnchanged("commit fat", "commit", "fat", "fat-image");
        assertSucceeds("rm", "fat");
        storeStillWorks();
    }

    @Test
    void aContainerThatFillsTheStoreIsRecordedAsItExitedAndRmAndRmiStillWork() throws IOException {
        byte[] small = new Archives.Tar().dir("etc").file("etc/small", "small\n").bytes();
        assertSucceeds("import", Archives.write(tmp.resolve("small.tar"), small).toString(), "small");
        // head stops at ENOSPC; the shell then exits 3, of its own accord, on a full store.
        Mydocker.Result run = mydocker("run", "--name", "filler", Mydocker.IMAGE, "sh", "-c",
                "head -c 8000000 /dev/zero > /fill; df -k / | tail -1; exit 3");
        assertEquals(3, run.status(), run.toString());
        assertTrue(Files.getFileStore(store).getUsableSpace() < 64 * 1024, "the store is not full: " + run);

        Mydocker.Result ps = assertSucceeds("ps", "-a");
        assertTrue(ps.out().lines().anyMatch(l -> l.contains("filler") && l.contains("Exited (3)")), ps.toString());
        assertEquals("", ps.err(), ps.toString());
        assertSucceeds("rmi", "small");
        assertEquals(List.of(Mydocker.IMAGE + ".json"), ImageImportTest.list(store.resolve("images")));
        assertSucceeds("rm", "filler");
        storeStillWorks();
    }

    private void assertFullAndUnchanged(String operation, String... args) {
        Map<String, List<String>> before = ImageImportTest.contents(store);
        Mydocker.Result r = mydocker(args);
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: " + operation + ": ENOSPC (No space left on device) (the filesystem of "
                + store + " is full"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(before, ImageImportTest.contents(store), "the failed " + args[0] + " left something in the store");
    }

    /** A small import and a container, after the failure. */
    private void storeStillWorks() throws IOException {
        byte[] small = new Archives.Tar().dir("etc").file("etc/small", "small\n").bytes();
        assertSucceeds("import", Archives.write(tmp.resolve("small.tar"), small).toString(), "small");
        Mydocker.Result images = mydocker("images");
        assertTrue(images.out().contains("small") && images.out().contains(Mydocker.IMAGE), images.toString());
        Mydocker.Result run = assertSucceeds("run", "--rm", Mydocker.IMAGE, "echo", "still works");
        assertEquals("still works\n", run.out());
        assertEquals(List.of(), ImageImportTest.list(store.resolve("tmp")), "tmp/ keeps something");
        assertEquals(List.of(), ImageImportTest.list(store.resolve("containers")), "a container is left");
    }

    private Mydocker.Result assertSucceeds(String... args) {
        Mydocker.Result r = mydocker(args);
        assertEquals(0, r.status(), r.toString());
        return r;
    }

    private Mydocker.Result mydocker(String... args) {
        return Mydocker.exec(List.of(Mydocker.LAUNCHER.toString()), null, env, args);
    }
}
