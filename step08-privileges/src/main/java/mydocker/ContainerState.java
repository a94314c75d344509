package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** What {@code ps -a} and {@code inspect} show of a container: containers/ID/state.json, rewritten at start and at exit. */
record ContainerState(String id, String name, String image, List<String> command, String created, String status,
        int exitCode, int pid, long runner, String runnerStart, boolean autoRemove, List<String> volumes,
        String pidStart, String startedAt, String finishedAt) {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}");

    static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new MydockerException("invalid container name " + Store.quote(name)
                    + ": use letters, digits, '_', '.' and '-'");
        }
        return name;
    }

    /** Running: its PID 1, when that started (a pid reused since has another start), and now. */
    ContainerState started(int newPid) {
        return new ContainerState(id, name, image, command, created, "running", 0, newPid, runner, runnerStart,
                autoRemove, volumes, startOf(newPid), Instant.now().toString(), "");
    }

    /** Exited with {@code code} at {@code at}. */
    ContainerState exited(int code, String at) {
        return new ContainerState(id, name, image, command, created, "exited", code, 0, runner, runnerStart,
                autoRemove, volumes, "", startedAt, at);
    }

    /** The process that waits for it now: a detached container's waiter. */
    ContainerState waitedBy(long newRunner) {
        return new ContainerState(id, name, image, command, created, status, exitCode, pid, newRunner, startOf(newRunner),
                autoRemove, volumes, pidStart, startedAt, finishedAt);
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
        json.put("runner", runner);
        json.put("runnerStart", runnerStart);
        json.put("autoRemove", autoRemove);
        json.put("volumes", volumes);
        json.put("pidStart", pidStart);
        json.put("startedAt", startedAt);
        json.put("finishedAt", finishedAt);
        try {
            Store.writeWithSpare(store.container(id).resolve("state.json"), JSON.std.asString(json));
        } catch (IOException e) {
            if (Store.isFull(e)) {
                throw store.full("writing the state of container " + name);
            }
            throw new MydockerException("writing the state of container " + name, e);
        }
    }

    static ContainerState load(Path dir) {
        try {
            Map<String, Object> json = Image.object(Image.parse(Files.readString(dir.resolve("state.json")), "it"), "it");
            return new ContainerState((String) json.get("id"), (String) json.get("name"), (String) json.get("image"),
                    Image.strings(json.get("command"), "its command"), (String) json.get("created"),
                    (String) json.get("status"), ((Number) json.get("exitCode")).intValue(),
                    ((Number) json.get("pid")).intValue(), json.get("runner") instanceof Number n ? n.longValue() : 0,
                    (String) json.getOrDefault("runnerStart", ""), Boolean.TRUE.equals(json.get("autoRemove")),
                    Image.strings(json.get("volumes"), "its volumes"), (String) json.getOrDefault("pidStart", ""),
                    (String) json.getOrDefault("startedAt", ""), (String) json.getOrDefault("finishedAt", ""));
        } catch (IOException | RuntimeException e) {
            throw new MydockerException("reading " + dir.resolve("state.json"), e);
        }
    }

    static List<ContainerState> all(Store store) {
        List<ContainerState> all = new ArrayList<>();
        try (var dirs = Files.list(store.root.resolve("containers"))) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                try {
                    ContainerState c = load(dir);
                    if (c.orphaned()) {
                        c = store.locked("containers", () -> repair(store, dir));
                    }
                    if (c != null) {
                        all.add(c);
                    }
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

    /** Whether its PID 1 is still alive. */
    boolean running() {
        return status.equals("running") && alive(pid) && (pidStart.isEmpty() || startOf(pid).equals(pidStart));
    }

    private static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    // tag::stale[]
    /** This process, the mydocker run a new container's state names, and when it started. */
    static long runnerPid() {
        return ProcessHandle.current().pid();
    }

    /** When a process started, "" if it is gone: a pid reused since has another start. */
    static String startOf(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().startInstant()).map(Instant::toString).orElse("");
    }

    /**
     * Whether the container lost its mydocker run: the run was killed (SIGKILL, the OOM
     * killer) before it could write how the container ended, and the container is gone too,
     * killed with it (PR_SET_PDEATHSIG, see CloneExec) or never started.
     */
    boolean orphaned() {
        if (!status.equals("running") && !status.equals("created")) {
            return false;
        }
        boolean runnerGone = runner == 0 || runnerStart.isEmpty() ? !alive(runner) : !startOf(runner).equals(runnerStart);
        return runnerGone && !(alive(pid) && (pidStart.isEmpty() || startOf(pid).equals(pidStart)));
    }

    /**
     * What the killed run would have done at the container's exit, done by the next command
     * that reads the state: it reads exited, 137 (128 + SIGKILL, the signal it died of), and
     * with --rm it is removed. Under the containers lock, after a second look: another
     * command may have repaired it meanwhile. Returns null if it is gone.
     */
    static ContainerState repair(Store store, Path dir) {
        if (!Files.exists(dir.resolve("state.json"))) {
            return null;
        }
        ContainerState c = load(dir);
        if (!c.orphaned()) {
            return c;
        }
        ContainerState exited = c.exited(128 + Signals.SIGKILL, "");
        if (c.autoRemove) {
            store.discard(dir);
        } else {
            exited.save(store); // on a full store too: the spare state file is for this
        }
        System.err.println("mydocker: container " + c.name + " lost its mydocker run or waiter, which was killed; "
                + (c.autoRemove ? "removed it (--rm)" : "it now reads exited (137)"));
        return c.autoRemove ? null : exited;
    }
    // end::stale[]
}
