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

    @Test
    void chmodOfAMaskLeavesTheHostsDevNullAloneAsRoot() throws Exception {
        assertDevNullUntouched(true);
    }

    @Test
    void chmodOfAMaskLeavesTheHostsDevNullAloneAsAnOrdinaryUser() throws Exception {
        assertDevNullUntouched(false);
    }

    /**
     * A file mask is a bind of a /dev/null: a chmod, chown or touch of /proc/keys changes that
     * node. It must be the container's own, never the host's, which root's container would own.
     * An ordinary user's container binds the host's node, which the user can touch outside as
     * well (it is writable by all): only its mode and owner are checked there.
     */
    private static void assertDevNullUntouched(boolean root) throws Exception {
        List<String> files = onTheHost(Proc.MASKED).stream().filter(f -> !Files.isDirectory(Path.of("/proc", f))).toList();
        assertFalse(files.isEmpty(), "this host has no masked file of /proc: nothing to check");
        String before = devNull(root);
        try {
            Mydocker.Result r = container(root, "for f in " + String.join(" ", files) + "; do chmod 0600 /proc/$f;"
                    + " chown 1:1 /proc/$f; touch /proc/$f; done; ls -ln /proc/" + files.get(0));
            assertEquals(0, r.status(), r.toString());
            assertEquals(before, devNull(root), "changing /proc's masked files in the container changed the host's /dev/null:\n" + r);
        } finally {
            // Put a changed node back for everything else on this machine (its ctime cannot be).
            String[] modeUidGid = before.split(" ");
            Mydocker.host("chown", modeUidGid[1] + ":" + modeUidGid[2], "/dev/null");
            Mydocker.host("chmod", modeUidGid[0], "/dev/null");
        }
    }

    /** Mode, owner and group of the host's /dev/null, and with {@code ctime} its change time. */
    private static String devNull(boolean ctime) throws Exception {
        Path node = Path.of("/dev/null");
        return Integer.toOctalString((int) Files.getAttribute(node, "unix:mode") & 07777) + " "
                + Files.getAttribute(node, "unix:uid") + " " + Files.getAttribute(node, "unix:gid")
                + (ctime ? " " + Files.getAttribute(node, "unix:ctime") : "");
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
