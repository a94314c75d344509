package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

/**
 * A container's own directory in the store: upper (its writable layer), work (overlay's
 * scratch space, on the same filesystem), merged (the mount point of its root), and its state.
 */
final class ContainerLayer {

    final Path dir;
    final Path upper;
    final Path work;
    final Path merged;
    private final Store store;
    private final boolean removeOnExit;
    private ContainerState state;

    private ContainerLayer(Store store, ContainerState state, boolean removeOnExit) {
        this.store = store;
        this.state = state;
        this.removeOnExit = removeOnExit;
        this.dir = store.container(state.id());
        this.upper = dir.resolve("upper");
        this.work = dir.resolve("work");
        this.merged = dir.resolve("merged");
    }

    // tag::create[]
    /** Makes the directories, owned by whoever container root is on the host. */
    static ContainerLayer create(Store store, Image image, String name, List<String> command, List<Volume> volumes,
            IdMaps idMaps, boolean removeOnExit) {
        if (!name.isEmpty()) {
            ContainerState.checkName(name);
        }
        try {
            // Under the lock, so that a name checked free is still free when taken, and the image
            // still there: a concurrent rmi checks for containers under the same lock.
            return store.locked("containers", () -> {
                String id = Store.newId();
                while (Files.exists(store.container(id))) {
                    id = Store.newId();
                }
                String unique = name.isEmpty() ? id : name;
                if (!Files.exists(store.image(image.name()))) {
                    throw new MydockerException("image " + Trace.quote(image.name())
                            + " was removed meanwhile (mydocker images)");
                }
                if (ContainerState.all(store).stream().anyMatch(c -> c.name().equals(unique))) {
                    throw new MydockerException("the container name " + Trace.quote(unique) + " is in use;"
                            + " remove that container (mydocker rm " + unique + ") or choose another --name");
                }
                ContainerState state = new ContainerState(id, unique, image.name(), command, Instant.now().toString(),
                        "created", 0, 0, ContainerState.runnerPid(),
                        ContainerState.startOf(ContainerState.runnerPid()), removeOnExit,
                        volumes.stream().map(Volume::toString).toList(), "", "", "");
                ContainerLayer layer = new ContainerLayer(store, state, removeOnExit);
                try {
                    if (Syscalls.C.geteuid() == 0 && idMaps.hostUid(0) != 0) {
                        store.letIn(idMaps.hostUid(0)); // --uidmap: container root mounts the overlay as that uid
                    }
                    store.mkdirs(layer.dir.getParent());
                    Files.createDirectory(layer.dir);
                    Files.setPosixFilePermissions(layer.dir, PosixFilePermissions.fromString("rwx--x--x"));
                    for (Path p : List.of(layer.upper, layer.work, layer.merged)) {
                        Files.createDirectory(p);
                        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                        if (Syscalls.C.geteuid() == 0) {
                            Files.setAttribute(p, "unix:uid", (int) idMaps.hostUid(0), LinkOption.NOFOLLOW_LINKS);
                            Files.setAttribute(p, "unix:gid", (int) idMaps.hostGid(0), LinkOption.NOFOLLOW_LINKS);
                        }
                    }
                } catch (IOException e) {
                    Store.deleteTree(layer.dir);
                    throw new MydockerException("creating the container's layer in " + layer.dir, e);
                }
                state.save(store);
                return layer;
            });
        } catch (IOException e) {
            throw new MydockerException("locking " + store.root.resolve("containers.lock"), e);
        }
    }
    // end::create[]

    String id() {
        return state.id();
    }

    /** What the command starts with, beside state.json, which inspect shows with it. */
    void savePrivileges(Privileges.Settings privileges) {
        try {
            Store.writeWithSpare(dir.resolve("privileges.json"),
                    com.fasterxml.jackson.jr.ob.JSON.std.asString(privileges.toJson()));
        } catch (IOException e) {
            throw new MydockerException("writing the privileges of container " + state.name(), e);
        }
    }

    void started(int pid) {
        state = state.started(pid);
        state.save(store);
    }

    void exited(int status) {
        state = state.exited(status, Instant.now().toString());
        state.save(store);
    }

    /** With --rm, or when it never ran, nothing of the container is left behind. */
    void cleanUp() {
        if (removeOnExit || state.status().equals("created")) {
            try {
                Store.deleteTree(dir);
            } catch (MydockerException e) {
                // Files chowned inside to a subordinate id are not the caller's to delete.
                System.err.println("mydocker: warning: " + e.getMessage() + "; the container's files stay in " + dir);
            }
        }
    }
}
