package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
