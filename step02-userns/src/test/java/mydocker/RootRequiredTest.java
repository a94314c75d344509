package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Without root, step01 cannot create namespaces, and says so in one line. */
class RootRequiredTest {

    @Test
    void ordinaryUserGetsOneLineThatPointsToStep02() {
        Mydocker.requireRoot(); // to become another user
        Mydocker.requireCommand("setpriv");
        Mydocker.Result r = Mydocker.runAsNobody("run", "/bin/true");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().startsWith("mydocker: clone(CLONE_NEWUTS|"), r.toString());
        assertTrue(r.err().contains("EPERM (Operation not permitted)"), r.toString());
        assertTrue(r.err().contains("needs root at this step"), r.toString());
        assertTrue(r.err().contains("step02-userns"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
    }
}
