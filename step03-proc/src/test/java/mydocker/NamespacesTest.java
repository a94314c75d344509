package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        Mydocker.Result r = Mydocker.run("run", "-h", "box", "sh", "-c", "hostname; hostname renamed; hostname");
        assertEquals(0, r.status(), r.toString());
        assertEquals("box\nrenamed\n", r.out(), r.toString());
        assertEquals(hostBefore, Mydocker.host("hostname").strip(), "the host's name changed");
    }

    @Test
    void withoutHostnameTheContainerStartsWithACopyOfTheHosts() {
        String host = Mydocker.host("hostname").strip();
        Mydocker.Result r = Mydocker.run("run", "hostname");
        assertEquals(host + "\n", r.out(), r.toString());
    }

    @Test
    void commandIsPid1() {
        Mydocker.Result r = Mydocker.run("run", "sh", "-c", "echo $$");
        assertEquals("1\n", r.out(), r.toString());
    }

    @Test
    void networkHasOnlyLoopback() {
        Mydocker.Result r = Mydocker.run("run", "cat", "/proc/net/dev");
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
            Mydocker.Result r = Mydocker.run("run", "ipcs", "-q");
            assertEquals(0, r.status(), r.toString());
            assertFalse(r.out().contains(" " + id + " "), "the host's queue " + id + " is visible inside:\n" + r);
            Mydocker.Result made2 = Mydocker.run("run", "sh", "-c", "ipcmk -Q >/dev/null && ipcs -q | grep -c 0x");
            assertEquals("1\n", made2.out(), "a queue made inside is not listed inside:\n" + made2);
        } finally {
            Mydocker.host("ipcrm", "-q", id);
        }
    }
}
