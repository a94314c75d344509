package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The diagnosis of a refused user namespace, against fake /proc/sys trees. */
class UsernsSettingsTest {

    @TempDir
    Path procSys;

    private void set(String name, String value) throws IOException {
        Path file = procSys.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
    }

    @Test
    void maxUserNamespacesZero() throws IOException {
        set("user/max_user_namespaces", "0");
        String why = UsernsSettings.diagnose(procSys);
        assertTrue(why.contains("user.max_user_namespaces is 0"), why);
        assertTrue(why.contains("sysctl -w user.max_user_namespaces="), why);
    }

    @Test
    void debianUnprivilegedUsernsCloneOff() throws IOException {
        set("user/max_user_namespaces", "15000");
        set("kernel/unprivileged_userns_clone", "0");
        String why = UsernsSettings.diagnose(procSys);
        assertTrue(why.contains("kernel.unprivileged_userns_clone is 0"), why);
        assertTrue(why.contains("sysctl -w kernel.unprivileged_userns_clone=1"), why);
    }

    @Test
    void ubuntuAppArmorRestriction() throws IOException {
        set("user/max_user_namespaces", "15000");
        set("kernel/apparmor_restrict_unprivileged_userns", "1");
        String why = UsernsSettings.diagnose(procSys);
        assertTrue(why.contains("kernel.apparmor_restrict_unprivileged_userns is 1"), why);
        assertTrue(why.contains("AppArmor profile that allows userns"), why);
    }

    @Test
    void nothingToBlameOnAnOpenKernel() throws IOException {
        set("user/max_user_namespaces", "15000");
        set("kernel/unprivileged_userns_clone", "1");
        set("kernel/apparmor_restrict_unprivileged_userns", "0");
        assertNull(UsernsSettings.diagnose(procSys));
    }

    @Test
    void theReasonIsAddedToTheKernelsRefusal() throws IOException {
        set("user/max_user_namespaces", "0");
        SyscallException refused = new SyscallException("clone(CLONE_NEWUSER|SIGCHLD)", Errors.ENOSPC);
        RuntimeException explained = UsernsSettings.explain(refused, procSys);
        assertEquals("clone(CLONE_NEWUSER|SIGCHLD): ENOSPC (No space left on device): user namespaces are disabled"
                + " (user.max_user_namespaces is 0); enable them with: sudo sysctl -w user.max_user_namespaces=15000",
                explained.getMessage());
        SyscallException other = new SyscallException("clone(CLONE_NEWUSER|SIGCHLD)", Errors.EINVAL);
        assertSame(other, UsernsSettings.explain(other, procSys));
    }
}
