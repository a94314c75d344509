package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the container sees of /proc beyond its processes: the host-wide files runc masks are
 * empty, and kernel settings are read-only, for an ordinary user's container and for root's.
 * So is all of /sys.
 */
class ProcMaskTest {

    /** For each name: its size in bytes (a file) or its number of entries (a directory). */
    private static final String SIZES = "for f in " + String.join(" ", Proc.MASKED) + "; do"
            + " if [ -d /proc/$f ]; then echo \"$f $(ls -A /proc/$f | wc -l)\";"
            + " elif [ -e /proc/$f ]; then echo \"$f $(cat /proc/$f | wc -c)\"; fi; done";

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void hostWideFilesAreEmptyAsAnOrdinaryUser() {
        assertMasked(container(false, SIZES));
    }

    @Test
    void hostWideFilesAreEmptyAsRoot() {
        assertMasked(container(true, SIZES));
    }

    @Test
    void kernelSettingsAreReadOnlyAsAnOrdinaryUser() {
        assertReadOnly(container(false, READ_ONLY_CHECK));
    }

    @Test
    void kernelSettingsAreReadOnlyAsRoot() {
        assertReadOnly(container(true, READ_ONLY_CHECK));
    }

    @Test
    void sysIsReadOnlyAsAnOrdinaryUser() {
        assertSysReadOnly(container(false, SYS_CHECK));
    }

    @Test
    void sysIsReadOnlyAsRoot() {
        assertSysReadOnly(container(true, SYS_CHECK));
    }

    private static final String SYS_CHECK = "awk '$5 == \"/sys\" { print $6 }' /proc/self/mountinfo;"
            + " if mkdir /sys/fs/mydocker-test; then echo written; else echo refused; fi";

    private static void assertSysReadOnly(Mydocker.Result r) {
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), "/sys is mounted once, and a write is refused:\n" + r);
        assertTrue(List.of(lines.get(0).split(",")).containsAll(List.of("ro", "nosuid", "nodev", "noexec")), r.toString());
        assertEquals("refused", lines.get(1), r.toString());
        assertTrue(r.err().contains("Read-only file system"), r.toString());
    }

    /** Which masked names this host has: the test means something only if it has some. */
    private static List<String> onTheHost(List<String> names) {
        List<String> present = new ArrayList<>();
        for (String name : names) {
            if (Files.exists(Path.of("/proc", name))) {
                present.add(name);
            }
        }
        assertFalse(present.isEmpty(), "this host's /proc has none of " + names + ": nothing to check");
        return present;
    }

    private static void assertMasked(Mydocker.Result r) {
        assertEquals(0, r.status(), r.toString());
        List<String> expected = onTheHost(Proc.MASKED).stream().map(name -> name + " 0").toList();
        assertEquals(expected, r.out().lines().toList(), "masked files and directories must read empty:\n" + r);
    }

    /**
     * The hostname in /proc/sys belongs to the container's UTS namespace, so a write would be
     * harmless; a read-only /proc/sys refuses it all the same. Then the mount options.
     */
    private static final String READ_ONLY_CHECK =
            "if echo changed > /proc/sys/kernel/hostname; then echo written; else echo refused; fi;"
            + " for p in " + String.join(" ", Proc.READ_ONLY) + "; do"
            + " [ -e /proc/$p ] && echo \"$p $(grep \" /proc/$p \" /proc/self/mountinfo | cut -d' ' -f6)\"; done; true";

    private static void assertReadOnly(Mydocker.Result r) {
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals("refused", lines.get(0), "writing /proc/sys/kernel/hostname must fail:\n" + r);
        assertTrue(r.err().contains("Read-only file system"), r.toString());
        List<String> present = onTheHost(Proc.READ_ONLY);
        assertEquals(present.size(), lines.size() - 1, r.toString());
        for (String line : lines.subList(1, lines.size())) {
            List<String> options = List.of(line.split(" ")[1].split(","));
            assertTrue(options.containsAll(List.of("ro", "nosuid", "nodev", "noexec")), "not read-only: " + line);
        }
    }

    private static Mydocker.Result container(boolean root, String script) {
        String[] args = {"run", Mydocker.IMAGE, "sh", "-c", script};
        return root ? Mydocker.runAsRoot(args) : Mydocker.run(args);
    }
}
