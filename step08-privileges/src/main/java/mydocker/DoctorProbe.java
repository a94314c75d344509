package mydocker;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The doctor's probes: a short-lived child cloned into new namespaces the way run clones
 * the container (through {@link CloneExec}), running a small shell script there. The child's
 * namespaces, and any mount it made in them, end when it exits; what it printed is the
 * reason it failed.
 */
final class DoctorProbe {

    /** A probe that has not finished by then is stuck, and killed. */
    static final int TIMEOUT_MS = 10_000;

    // <sys/wait.h>
    private static final int WNOHANG = 1;

    private DoctorProbe() {}

    // tag::probe[]
    /** Runs {@code script} in a child cloned with {@code flags}: null if it exits 0, else why not, in one line. */
    static String run(long flags, String script) {
        // The child's output goes to a pipe, reopened by the script through /proc because sh
        // redirects only single-digit descriptors and the JVM's are higher.
        int[] output = Syscalls.pipe2(Syscalls.O_CLOEXEC);
        int pid;
        try {
            Syscalls.inherit(output[1]);
            int out = output[1];
            // The id maps run writes without --uidmap: root in the child's user namespace is the caller.
            pid = CloneExec.start(flags, plan -> {
                Exec.closeInherited(plan, out);
                Exec.execve(plan, List.of("/bin/sh", "-c", "exec >/proc/self/fd/" + out + " 2>&1; " + script),
                        List.of("PATH=" + Exec.DEFAULT_PATH, "LANG=C.UTF-8"));
            }, IdMaps.of(List.of(), List.of())::write);
        } catch (RuntimeException e) {
            Syscalls.close(output[0]);
            throw e;
        } finally {
            Syscalls.close(output[1]);
        }
        int status = waitOrKill(pid);
        String said = new String(Syscalls.readAll(output[0]), StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        Syscalls.close(output[0]);
        if (status == -1) {
            return "no answer within " + TIMEOUT_MS / 1000 + " s; killed it";
        }
        if (ExitStatus.of(status) == 0) {
            return null;
        }
        return said.isEmpty() ? ExitStatus.describe(status) : said;
    }
    // end::probe[]

    /** The child's wait status, or -1 if it did not exit in time and was killed. */
    private static int waitOrKill(int pid) {
        int[] status = new int[1];
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            int rc = Syscalls.C.waitpid(pid, status, WNOHANG);
            if (rc == pid) {
                return status[0];
            }
            if (rc == -1 && Syscalls.errno() != Errors.EINTR) {
                Syscalls.check("waitpid(" + pid + ", WNOHANG)", rc);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Syscalls.kill(pid, Signals.SIGKILL);
        Syscalls.waitpid(pid);
        return -1;
    }
}
