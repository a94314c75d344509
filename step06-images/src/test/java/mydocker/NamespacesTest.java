package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What each clone flag gives the container, checked the way a user would check it by hand. */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class NamespacesTest {

    @BeforeEach
    void root() {
        Mydocker.requireRoot();
    }

    @Test
    void hostnameIsTheContainersOwn() {
        String hostBefore = Mydocker.host("hostname").strip();
        Mydocker.Result r = Mydocker.run("run", "-h", "box", Mydocker.IMAGE, "sh", "-c", "hostname; hostname renamed; hostname");
        assertEquals(0, r.status(), r.toString());
        assertEquals("box\nrenamed\n", r.out(), r.toString());
        assertEquals(hostBefore, Mydocker.host("hostname").strip(), "the host's name changed");
    }

    @Test
    void withoutHostnameTheContainerIsNamedByItsId() {
        Mydocker.Result r = Mydocker.run("run", "--rm", Mydocker.IMAGE, "hostname");
        assertTrue(r.out().matches("[0-9a-f]{12}\n"), r.toString());
    }

    @Test
    void commandIsPid1() {
        Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "sh", "-c", "echo $$");
        assertEquals("1\n", r.out(), r.toString());
    }

    @Test
    void networkHasOnlyLoopback() {
        Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "cat", "/proc/net/dev");
        assertEquals(0, r.status(), r.toString());
        List<String> devices = Arrays.stream(r.out().split("\n")).filter(l -> l.contains(":"))
                .map(l -> l.substring(0, l.indexOf(':')).strip()).toList();
        assertEquals(List.of("lo"), devices, r.toString());
        assertTrue(Mydocker.host("cat", "/proc/net/dev").split("\n").length >= 3, "the test expects the host to have lo");
    }

    @Test
    void messageQueuesOfTheHostAreNotVisible() {
        Mydocker.requireCommand("ipcmk");
        String made = Mydocker.host("ipcmk", "-Q").strip(); // "Message queue id: 3"
        String id = made.substring(made.lastIndexOf(' ') + 1);
        try {
            assertTrue(Mydocker.host("ipcs", "-q").contains(" " + id + " "), "ipcmk made no queue: " + made);
            // busybox has no ipcs; /proc/sysvipc/msg lists the queues of the reader's IPC namespace
            Mydocker.Result r = Mydocker.run("run", Mydocker.IMAGE, "cat", "/proc/sysvipc/msg");
            assertEquals(0, r.status(), r.toString());
            assertEquals(1, r.out().lines().count(), "the host's queue " + id + " is visible inside:\n" + r);
        } finally {
            Mydocker.host("ipcrm", "-q", id);
        }
    }
}
