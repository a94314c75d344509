package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** mydocker doctor: one row per check, exit 0 on a machine that has what this step needs, 1 and the fix otherwise. */
class DoctorTest {

    private static final List<String> NAMESPACES = List.of("uts", "ipc", "pid", "mnt", "net");

    @Test
    void rootHasEverythingThisStepNeeds() {
        Mydocker.requireRoot();
        Mydocker.Result r = Mydocker.run("doctor");
        assertEquals(0, r.status(), r.toString());
        assertRows(r);
        assertTrue(r.out().contains("ok       root: running as uid 0"), r.toString());
        for (String ns : NAMESPACES) {
            assertTrue(r.out().contains("ok       " + ns + " namespace: /proc/self/ns/" + ns + ", and a child cloned with"
                    + " CLONE_NEW"), r.toString());
        }
    }

    @Test
    void anOrdinaryUserIsToldThisStepNeedsRoot() {
        Mydocker.requireRoot(); // to become another user
        Mydocker.requireCommand("setpriv");
        Mydocker.Result r = Mydocker.runAsNobody("doctor");
        assertEquals(1, r.status(), r.toString());
        assertRows(r);
        assertTrue(r.out().contains("missing  root: running as uid 65534, and creating namespaces needs root at this step"
                + " (run it with sudo, or use step02-userns"), r.toString());
        for (String ns : NAMESPACES) {
            assertTrue(r.out().contains("ok       " + ns + " namespace: in this kernel (/proc/self/ns/" + ns + ")"),
                    r.toString());
        }
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
