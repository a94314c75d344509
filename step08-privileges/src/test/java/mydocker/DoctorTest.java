package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mydocker doctor: one row per check, exit 0 on a machine that has what this step needs, 1 and the fix otherwise. */
class DoctorTest {

    private static final List<String> NAMESPACES = List.of("uts", "ipc", "pid", "mnt", "net", "user");

    @Test
    void rootHasEverythingThisStepNeeds() {
        Mydocker.requireRoot();
        Mydocker.Result r = Mydocker.runAsRoot("doctor");
        assertEquals(0, r.status(), r.toString());
        assertRows(r);
        assertTrue(r.out().contains("ok       root: running as uid 0"), r.toString());
        assertNamespacesMade(r);
        for (String row : List.of("newuidmap", "newgidmap", "subuid", "subgid")) {
            assertTrue(r.out().contains("ok       " + row + ": not needed by root"), r.toString());
        }
        assertProcRows(r);
        assertOverlayRows(r, Mydocker.ROOT_STORE);
        assertBindRow(r, Mydocker.ROOT_STORE);
    }

    @Test
    void anOrdinaryUserHasEverythingThisStepNeeds() {
        Mydocker.requireRoot(); // to become another user
        Mydocker.requireCommand("setpriv");
        Mydocker.requireCommand("newuidmap");
        Mydocker.Result r = Mydocker.run("doctor");
        assertEquals(0, r.status(), r.toString());
        assertRows(r);
        assertTrue(r.out().contains("ok       root: running as uid 65534; not needed from this step on"), r.toString());
        assertNamespacesMade(r);
        assertTrue(r.out().contains("ok       user namespace settings: nothing in /proc/sys forbids them"), r.toString());
        assertTrue(r.out().contains("ok       newuidmap: /usr/bin/newuidmap, setuid root"), r.toString());
        assertTrue(r.out().contains("ok       newgidmap: /usr/bin/newgidmap, setuid root"), r.toString());
        // nobody has no subordinate ids here: a warning, since the default map needs none
        assertTrue(r.out().matches("(?s).*\\n(ok|warn) +subuid: .*"), r.toString());
        assertTrue(r.out().matches("(?s).*\\n(ok|warn) +subgid: .*"), r.toString());
        assertProcRows(r);
        assertOverlayRows(r, Mydocker.NOBODY_STORE);
        assertBindRow(r, Mydocker.NOBODY_STORE);
    }

    private static void assertProcRows(Mydocker.Result r) {
        assertTrue(r.out().contains("ok       / propagation: "), r.toString());
        assertTrue(r.out().contains("ok       proc: a child cloned with CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNS"
                + "|CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD mounted a new one on /proc"), r.toString());
    }

    /** Both users' stores are the tests' own, with the busybox image in them. */
    private static void assertOverlayRows(Mydocker.Result r, Path store) {
        assertTrue(r.out().contains("ok       overlay: in /proc/filesystems"), r.toString());
        assertTrue(r.out().contains("ok       overlay mount: a child cloned like init mounted one with userxattr (in "
                + store.resolve("tmp") + "), copied a file up and deleted one"), r.toString());
        assertTrue(r.out().contains("ok       store: " + store + ", private (0700), "), r.toString());
        assertTrue(r.out().contains("ok       image busybox: " + store.resolve("images/busybox.json")), r.toString());
        try (var left = Files.list(store.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the overlay probe left its scratch directory behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertBindRow(Mydocker.Result r, Path store) {
        assertTrue(r.out().contains("ok       bind mount: a child cloned like init bound a directory (in "
                + store.resolve("tmp") + ") and remounted it read-only, and a write to it was refused"), r.toString());
        try (var left = Files.list(store.resolve("tmp"))) {
            assertEquals(List.of(), left.toList(), "the bind probe left its scratch directory behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aStoreThatCannotBeMadeIsMissingWithTheFix(@TempDir Path dir) {
        Mydocker.requireRoot(); // to become another user
        Path store = dir.resolve("store"); // the temp dir is root's, 0700
        Mydocker.Result r = Mydocker.runWithEnv(Map.of("MYDOCKER_ROOT", store.toString()), "doctor");
        assertEquals(1, r.status(), r.toString());
        assertRows(r);
        assertTrue(r.out().contains("missing  store: " + store + " cannot be made: " + dir + " is not a directory you"
                + " can write (set MYDOCKER_ROOT to a directory you can write)"), r.toString());
        assertTrue(r.out().contains("missing  image busybox: not in " + store + " (from the repository:"
                + " scripts/busybox-rootfs.sh busybox.tar && mydocker import busybox.tar busybox)"), r.toString());
    }

    @Test
    void aSharedRootIsReportedAsSuch(@TempDir Path dir) throws IOException {
        Path mountinfo = dir.resolve("mountinfo");
        Files.writeString(mountinfo, "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                + "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n");
        Doctor.Row shared = Doctor.rootPropagation(mountinfo);
        assertEquals("ok       / propagation: shared (shared:1), as systemd makes it; fine, since init makes every"
                + " mount private (MS_REC|MS_PRIVATE) before it mounts proc", shared.toString());
        Doctor.Row unreadable = Doctor.rootPropagation(dir.resolve("none"));
        assertEquals(Doctor.MISSING, unreadable.status(), unreadable.toString());
    }

    private static void assertNamespacesMade(Mydocker.Result r) {
        for (String ns : NAMESPACES) {
            assertTrue(r.out().contains("ok       " + ns + " namespace: /proc/self/ns/" + ns + ", and a child cloned with"
                    + " CLONE_"), r.toString());
        }
    }

    @Test
    void aSysctlThatForbidsUserNamespacesIsMissingWithTheFix(@TempDir Path procSys) throws IOException {
        Files.createDirectories(procSys.resolve("user"));
        Files.writeString(procSys.resolve("user/max_user_namespaces"), "0\n");
        Doctor.Row ordinary = Doctor.usernsSettings(procSys, false);
        assertEquals(Doctor.MISSING, ordinary.status(), ordinary.toString());
        assertTrue(ordinary.text().contains("sudo sysctl -w user.max_user_namespaces=15000"), ordinary.toString());
        assertEquals(Doctor.WARN, Doctor.usernsSettings(procSys, true).status(), "root is not stopped by it");
        Files.writeString(procSys.resolve("user/max_user_namespaces"), "15000\n");
        assertEquals(Doctor.OK, Doctor.usernsSettings(procSys, false).status());
    }

    @Test
    void anOldKernelIsMissing() {
        assertEquals(Doctor.MISSING, Doctor.kernel("3.2.0-4-amd64").status());
        assertTrue(Doctor.kernel("3.2.0-4-amd64").text().endsWith("(upgrade the kernel)"));
        assertEquals(Doctor.MISSING, Doctor.kernel("5.10.0-28-amd64").status(), "no userxattr before 5.11");
        assertEquals(Doctor.OK, Doctor.kernel("5.11.0").status());
        assertEquals(Doctor.OK, Doctor.kernel("6.1.0-18-amd64").status());
        assertEquals(Doctor.OK, Doctor.kernel("10.0").status());
    }

    /** Every line is one row: a status, then what was checked; nothing on stderr. */
    static void assertRows(Mydocker.Result r) {
        assertEquals("", r.err(), r.toString());
        for (String line : r.out().lines().toList()) {
            assertTrue(line.matches("(ok {7}|warn {5}|missing {2})\\S.*"), "not a row: " + line + "\n" + r);
        }
        assertTrue(r.out().startsWith("ok       kernel "), r.toString());
    }
}
