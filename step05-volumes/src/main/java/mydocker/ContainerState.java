package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** What {@code ps -a} and {@code inspect} show of a container: containers/ID/state.json, rewritten at start and at exit. */
record ContainerState(String id, String name, String image, List<String> command, String created, String status,
        int exitCode, int pid, List<String> volumes) {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}");

    static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new MydockerException("invalid container name " + Trace.quote(name)
                    + ": use letters, digits, '_', '.' and '-'");
        }
        return name;
    }

    ContainerState with(String newStatus, int newExitCode, int newPid) {
        return new ContainerState(id, name, image, command, created, newStatus, newExitCode, newPid, volumes);
    }

    void save(Store store) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("name", name);
        json.put("image", image);
        json.put("command", command);
        json.put("created", created);
        json.put("status", status);
        json.put("exitCode", exitCode);
        json.put("pid", pid);
        json.put("volumes", volumes);
        try {
            Store.writeAtomically(store.container(id).resolve("state.json"), JSON.std.asString(json));
        } catch (IOException e) {
            throw new MydockerException("writing the state of container " + name, e);
        }
    }

    static ContainerState load(Path dir) {
        try {
            Map<String, Object> json = JSON.std.mapFrom(Files.readString(dir.resolve("state.json")));
            return new ContainerState((String) json.get("id"), (String) json.get("name"), (String) json.get("image"),
                    Image.strings(json.get("command")), (String) json.get("created"), (String) json.get("status"),
                    ((Number) json.get("exitCode")).intValue(), ((Number) json.get("pid")).intValue(),
                    Image.strings(json.get("volumes")));
        } catch (IOException | RuntimeException e) {
            throw new MydockerException("reading " + dir.resolve("state.json"), e);
        }
    }

    static List<ContainerState> all(Store store) {
        List<ContainerState> all = new ArrayList<>();
        try (var dirs = Files.list(store.root.resolve("containers"))) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                try {
                    all.add(load(dir));
                } catch (MydockerException e) {
                    // One being created has no state yet, one being removed (another run's --rm)
                    // none any more: neither is an error. A state file that cannot be read is.
                    if (!(e.getCause() instanceof NoSuchFileException)) {
                        throw e;
                    }
                }
            }
        } catch (IOException e) {
            throw new MydockerException("listing containers in " + store.root, e);
        }
        all.sort((a, b) -> b.created.compareTo(a.created));
        return all;
    }

    /** A container by name or id. */
    static ContainerState find(Store store, String nameOrId) {
        return all(store).stream().filter(c -> c.name.equals(nameOrId) || c.id.equals(nameOrId)).findFirst()
                .orElseThrow(() -> new MydockerException("no such container " + Trace.quote(nameOrId)
                        + " (mydocker ps -a lists them)"));
    }

    /**
     * Whether its PID 1 is still alive. If mydocker run was killed, the container goes on
     * without it and shows as running; once it ends, its state says "running" still, and ps
     * shows it as Dead.
     */
    boolean running() {
        return status.equals("running") && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
