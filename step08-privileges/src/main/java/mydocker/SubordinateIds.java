package mydocker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Subordinate ids (subuid(5), subgid(5)): the host ids root has set aside for an ordinary
 * user, which the setuid helpers newuidmap(1) and newgidmap(1) map into that user's
 * namespaces on its behalf.
 */
final class SubordinateIds {

    private SubordinateIds() {}

    // tag::helper[]
    /** Runs {@code newuidmap PID C H N ...} (or newgidmap), saying what to install or add if it cannot. */
    static void helper(String helper, int pid, List<IdMaps.Range> ranges) {
        Path binary = Path.of("/usr/bin", helper);
        if (!Files.isExecutable(binary)) {
            throw new MydockerException(helper + " not found: mapping more than your own id needs the setuid"
                    + " helpers; install them (apt-get install uidmap), or drop --uidmap/--gidmap");
        }
        String file = helper.equals("newuidmap") ? "/etc/subuid" : "/etc/subgid";
        int own = helper.equals("newuidmap") ? Syscalls.C.getuid() : Syscalls.C.getgid();
        String user = System.getProperty("user.name").equals("?") ? Integer.toString(Syscalls.C.getuid())
                : System.getProperty("user.name"); // "?": a uid without a passwd entry
        if (ranges.stream().anyMatch(r -> r.host() != own) && !hasRange(Path.of(file), user, Syscalls.C.getuid())) {
            throw new MydockerException("no subordinate ids for " + user + " in " + file + "; add a range as root,"
                    + " e.g. usermod --add-" + (file.endsWith("uid") ? "subuids" : "subgids") + " 100000-165535 "
                    + user);
        }
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), Integer.toString(pid)));
        for (IdMaps.Range r : ranges) {
            cmd.addAll(List.of(Long.toString(r.container()), Long.toString(r.host()), Long.toString(r.size())));
        }
        run(cmd);
    }
    // end::helper[]

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int status = p.waitFor();
            Trace.print(String.join(" ", cmd) + " = exit " + status);
            if (status != 0) {
                throw new MydockerException(String.join(" ", cmd) + " failed (exit " + status + "): " + output
                        + "; check the ranges in /etc/subuid and /etc/subgid");
            }
        } catch (IOException e) {
            throw new MydockerException("running " + cmd.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MydockerException("interrupted while running " + cmd.get(0));
        }
    }

    /** Whether {@code file} has a line {@code NAME:START:COUNT} or {@code UID:START:COUNT} for this user. */
    static boolean hasRange(Path file, String user, int uid) {
        try {
            for (String line : Files.readAllLines(file)) {
                String owner = line.split(":", 2)[0];
                if (owner.equals(user) || owner.equals(Integer.toString(uid))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
