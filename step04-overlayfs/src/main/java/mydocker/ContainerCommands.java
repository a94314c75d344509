package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The container commands: ps, rm and diff. */
final class ContainerCommands {

    private ContainerCommands() {}

    @Command(name = "ps", description = "List running containers (-a: all).")
    static final class Ps implements Callable<Integer> {
        @Option(names = {"-a", "--all"}, description = "Show exited containers too.")
        boolean all;

        @Override
        public Integer call() {
            System.out.printf("%-12s  %-16s  %-12s  %-24s  %-12s  %s%n", "CONTAINER ID", "NAME", "IMAGE", "COMMAND",
                    "STATUS", "CREATED");
            for (ContainerState c : ContainerState.all(Store.open())) {
                boolean running = c.running();
                if (!all && !running) {
                    continue;
                }
                // "running" on record and PID 1 gone: its run is about to write how it ended.
                String status = running ? "Up" : c.status().equals("exited") ? "Exited (" + c.exitCode() + ")"
                        : c.status().equals("running") ? "Exiting" : "Created";
                String command = String.join(" ", c.command()).replaceAll("\\s", " ");
                System.out.printf("%-12s  %-16s  %-12s  %-24s  %-12s  %s%n", c.id(), c.name(), c.image(),
                        command.length() > 24 ? command.substring(0, 21) + "..." : command, status, c.created());
            }
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove an exited container and its layer.")
    static final class Rm implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            for (String name : containers) {
                // Under the lock: two rm of one container, or an rm and a run taking its name, take turns.
                store.locked("containers", () -> {
                    ContainerState c = ContainerState.find(store, name);
                    if (c.running()) {
                        throw new MydockerException("container " + c.name() + " is running; let it exit first");
                    }
                    store.discard(store.container(c.id())); // gone from ps at once, then deleted in tmp/
                    System.out.println(c.name());
                    return c;
                });
            }
            return 0;
        }
    }

    // tag::diff[]
    /**
     * What the container changed, read from its upper directory as docker diff reports it:
     * A added, C changed (it also exists in a lower layer), D deleted (a whiteout, or what an
     * opaque directory hides).
     */
    @Command(name = "diff", description = "List the files a container added (A), changed (C) or deleted (D).")
    static final class Diff implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            ContainerState c = ContainerState.find(store, container);
            List<Path> lowers = new ArrayList<>();
            for (String dir : Image.load(store, c.image()).lowerdirs(store)) {
                lowers.add(Path.of(dir));
            }
            Path upper = store.container(c.id()).resolve("upper");
            TreeMap<String, String> changes = new TreeMap<>();
            Set<String> inUpper = new HashSet<>();
            List<String> opaque = new ArrayList<>();
            // By descriptors: the container may be running, and swap a directory for a symlink meanwhile.
            LayerTar.walk(upper, (path, st, fd, parent, base) -> {
                String name = "/" + path;
                inUpper.add(name);
                if (st.isCharDevice() && st.rdevMajor() == 0 && st.rdevMinor() == 0) {
                    changes.put(name, "D");
                    return;
                }
                changes.put(name, inLowers(lowers, name) ? "C" : "A");
                if (st.isDirectory() && LayerTar.isOpaque(fd)) {
                    opaque.add(name);
                }
            });
            for (String name : opaque) {
                hiddenBy(lowers, name, inUpper, changes);
            }
            changes.forEach((name, kind) -> System.out.println(kind + " " + name));
            return 0;
        }
    }
    // end::diff[]

    /**
     * Whether the image shows {@code name}. The topmost layer that has it decides, unless a
     * layer hides it from those below: a whiteout, a file or a symlink in place of one of its
     * directories, or an opaque directory above it. The directories are checked before the
     * path itself so that a symlink in a layer is never followed out of it.
     */
    private static boolean inLowers(List<Path> lowers, String name) throws IOException {
        Path relative = Path.of(name.substring(1));
        for (Path lower : lowers) {
            Path dir = lower;
            boolean opaque = false;
            for (int i = 0; i < relative.getNameCount() - 1; i++) {
                dir = dir.resolve(relative.getName(i).toString());
                if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    break; // this layer has nothing on the path from here down
                }
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
                opaque |= LayerTar.isOpaque(dir);
            }
            Path p = lower.resolve(relative.toString());
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return !LayerTar.isWhiteout(p);
            }
            if (opaque) {
                return false; // the layers below are hidden here
            }
        }
        return false;
    }

    /** The lower entries an opaque directory hides, unless the container made them anew. */
    private static void hiddenBy(List<Path> lowers, String name, Set<String> inUpper, TreeMap<String, String> changes)
            throws IOException {
        for (Path lower : lowers) {
            Path below = lower.resolve(name.substring(1));
            if (!Files.isDirectory(below, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(below)) {
                for (Path entry : entries.toList()) {
                    String child = name + "/" + entry.getFileName();
                    if (!inUpper.contains(child) && inLowers(lowers, child)) { // not what a layer above had hidden already
                        changes.putIfAbsent(child, "D");
                    }
                }
            }
        }
    }
}
