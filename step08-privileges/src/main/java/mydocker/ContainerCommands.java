package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
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

/** The container commands: ps, inspect, rm and diff. */
final class ContainerCommands {

    private ContainerCommands() {}

    @Command(name = "ps", description = "List running containers (-a: all).")
    static final class Ps implements Callable<Integer> {
        @Option(names = {"-a", "--all"}, description = "Show exited containers too.")
        boolean all;

        @Override
        public Integer call() {
            System.out.printf("%-12s  %-16s  %-12s  %-24s  %-26s  %s%n", "CONTAINER ID", "NAME", "IMAGE", "COMMAND",
                    "STATUS", "CREATED");
            for (ContainerState c : ContainerState.all(Store.open())) {
                boolean running = c.running();
                if (!all && !running) {
                    continue;
                }
                String command = String.join(" ", c.command()).replaceAll("\\s", " ");
                System.out.printf("%-12s  %-16s  %-12s  %-24s  %-26s  %s%n", c.id(), c.name(), c.image(),
                        command.length() > 24 ? command.substring(0, 21) + "..." : command, status(c, running), c.created());
            }
            return 0;
        }

        // tag::ps-status[]
        /** As docker words it: Up 5 seconds, Exited (0) 3 minutes ago. */
        static String status(ContainerState c, boolean running) {
            if (running) {
                return "Up " + ago(c.startedAt());
            }
            if (c.status().equals("running")) {
                return "Exiting"; // PID 1 is gone, its waiter is writing how it ended
            }
            if (!c.status().equals("exited")) {
                return "Created";
            }
            String exited = "Exited (" + c.exitCode() + ")";
            return c.finishedAt().isEmpty() ? exited : exited + " " + ago(c.finishedAt()) + " ago";
        }
        // end::ps-status[]

        private static String ago(String instant) {
            if (instant.isEmpty()) {
                return "";
            }
            long s = java.time.Duration.between(java.time.Instant.parse(instant), java.time.Instant.now()).toSeconds();
            return s < 1 ? "Less than a second" : s < 120 ? s + " seconds" : s < 7200 ? s / 60 + " minutes"
                    : s < 172800 ? s / 3600 + " hours" : s / 86400 + " days";
        }
    }

    /** The container's state as JSON: its volumes, its status, its init's pid. */
    @Command(name = "inspect", description = "Show a container's state, volumes included, as JSON.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            ContainerState c = ContainerState.find(store, container);
            String json = Files.readString(store.container(c.id()).resolve("state.json"));
            java.util.Map<String, Object> state = JSON.std.mapFrom(json);
            Path privileges = store.container(c.id()).resolve("privileges.json");
            if (Files.exists(privileges)) { // what the command started with: see Privileges
                state.put("privileges", JSON.std.mapFrom(Files.readString(privileges)));
            }
            System.out.println(JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(state));
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove an exited container and its layer (-f: a running one too).")
    static final class Rm implements Callable<Integer> {
        @Option(names = {"-f", "--force"}, description = "Kill a running container first (SIGKILL, as docker rm -f).")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            for (String name : containers) {
                if (force) {
                    // Outside the lock: the waiter's recorder takes it to write how the container ended.
                    if (Stop.stop(store, ContainerState.find(store, name), -1) == null) {
                        System.out.println(name); // it was --rm: its waiter removed it
                        continue;
                    }
                }
                // Under the lock: two rm of one container, or an rm and a run taking its name, take turns.
                store.locked("containers", () -> {
                    ContainerState c = ContainerState.find(store, name);
                    if (c.running()) {
                        throw new MydockerException("container " + c.name() + " is running; stop it first (mydocker stop "
                                + c.name() + "), or remove it with rm -f");
                    }
                    store.discard(store.container(c.id())); // gone from ps at once, then deleted in tmp/
                    System.out.println(c.name());
                    return c;
                });
            }
            return 0;
        }
    }

    // tag::stop[]
    @Command(name = "stop", description = "Stop a running container: SIGTERM to its PID 1, SIGKILL after the grace period.")
    static final class Stop implements Callable<Integer> {
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Seconds to wait before SIGKILL (default 10).")
        int seconds = 10;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> containers;

        @Override
        public Integer call() {
            if (seconds < 0) {
                throw new MydockerException("-t " + seconds + ": the grace period is a number of seconds, 0 or more"
                        + " (see: mydocker stop --help)");
            }
            Store store = Store.open();
            for (String name : containers) {
                stop(store, ContainerState.find(store, name), seconds * 1000L);
                System.out.println(name); // a stopped one too, as docker does
            }
            return 0;
        }

        /**
         * Signals through a pidfd, then waits for the waiter (or the foreground run) to record
         * the exit: afterwards ps -a shows it. {@code graceMs} -1: SIGKILL at once. Returns the
         * state as recorded, or null if the container is gone (--rm).
         */
        static ContainerState stop(Store store, ContainerState c, long graceMs) {
            int pidfd = c.running() ? Pidfd.open(c) : -1;
            if (pidfd >= 0) {
                try {
                    if (graceMs >= 0) {
                        Pidfd.signal(pidfd, Signals.SIGTERM); // ignored by a PID 1 without a handler for it
                    }
                    if (graceMs < 0 || !Pidfd.awaitExit(pidfd, graceMs)) {
                        Pidfd.signal(pidfd, Signals.SIGKILL);
                        Pidfd.awaitExit(pidfd, -1);
                    }
                } finally {
                    Syscalls.close(pidfd);
                }
            }
            return recorded(store, c.id());
        }
        // end::stop[]

        /** The state once nothing reads running any more: the recorder has written it, or a repair has. */
        private static ContainerState recorded(Store store, String id) {
            while (true) {
                ContainerState now = ContainerState.all(store).stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
                if (now == null || !now.status().equals("running") || now.orphaned()) {
                    return now;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return now;
                }
            }
        }
    }

    /** The waiter's last act, in a mydocker JVM of its own: how the container ended, and --rm. */
    @Command(name = "_exited", hidden = true)
    static final class Exited implements Callable<Integer> {
        @Parameters(index = "0")
        String id;

        @Parameters(index = "1")
        int status;

        @Parameters(index = "2")
        String end;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            store.locked("containers", () -> {
                Path dir = store.container(id);
                if (!Files.exists(dir.resolve("state.json"))) {
                    return null; // rm -f was first
                }
                ContainerState c = ContainerState.load(dir);
                if (c.autoRemove()) {
                    store.discard(dir);
                } else {
                    c.exited(status, end).save(store);
                }
                return c;
            });
            return 0;
        }
    }

    // tag::logs[]
    /**
     * The container's output from its two log files, the older first; -f goes on reading the
     * current one as the waiter writes it, across a rotation, until the container has exited:
     * the waiter writes everything before it records the exit.
     */
    @Command(name = "logs", description = "Print a detached container's output (stdout and stderr, in order).")
    static final class Logs implements Callable<Integer> {
        @Option(names = {"-f", "--follow"}, description = "Follow the output until the container exits.")
        boolean follow;

        @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines.")
        int tail = -1;

        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (tail < -1) {
                throw new MydockerException("--tail " + tail + ": a number of lines, 0 or more (see: mydocker logs --help)");
            }
            Store store = Store.open();
            ContainerState c = ContainerState.find(store, container);
            Path log = store.container(c.id()).resolve("container.log");
            java.io.OutputStream out = new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16);
            java.nio.channels.FileChannel current = openLog(log);
            if (tail >= 0) {
                out.write(lastLines(log, current, tail));
            } else {
                Path old = Path.of(log + ".1");
                if (Files.exists(old)) {
                    Files.copy(old, out);
                }
                copy(current, out);
            }
            out.flush();
            while (follow) {
                boolean exited = !unrecorded(store, c.id()); // before the read: what was written before the exit is all read
                if (current != null && !sameFile(current, log)) {
                    copy(current, out); // rotated: the rest of the old file, then the new one from its start
                    current.close();
                    current = openLog(log);
                }
                if (current == null) {
                    current = openLog(log);
                }
                copy(current, out);
                out.flush();
                if (exited) {
                    break;
                }
                Thread.sleep(100);
            }
            return 0;
        }
        // end::logs[]

        /**
         * Whether its exit is still to be recorded: PID 1 alive, or gone a moment ago and the
         * waiter not done writing. Ending on PID 1's death alone, logs -f returned before
         * ps -a could show the exit.
         */
        private static boolean unrecorded(Store store, String id) {
            return ContainerState.all(store).stream().anyMatch(s -> s.id().equals(id) && s.status().equals("running"));
        }

        private Object currentKey;

        /** Opens the current log, and notes which file it is: the same before and after the open, so no rotation between. */
        private java.nio.channels.FileChannel openLog(Path log) throws IOException {
            while (true) {
                Object before = key(log);
                if (before == null) {
                    return null; // a foreground container's output went to its terminal; or nothing written yet
                }
                java.nio.channels.FileChannel channel;
                try {
                    channel = java.nio.channels.FileChannel.open(log);
                } catch (java.nio.file.NoSuchFileException e) {
                    continue;
                }
                if (before.equals(key(log))) {
                    currentKey = before;
                    return channel;
                }
                channel.close();
            }
        }

        private boolean sameFile(java.nio.channels.FileChannel open, Path log) throws IOException {
            return currentKey.equals(key(log));
        }

        private static Object key(Path log) throws IOException {
            try {
                return Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            } catch (java.nio.file.NoSuchFileException e) {
                return null;
            }
        }

        private static void copy(java.nio.channels.FileChannel in, java.io.OutputStream out) throws IOException {
            if (in == null) {
                return;
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
            while (in.read(buf) > 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
        }

        /** The last {@code n} lines of the old file and the current one together. */
        private static byte[] lastLines(Path log, java.nio.channels.FileChannel current, int n) throws IOException {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            Path old = Path.of(log + ".1");
            if (Files.exists(old)) {
                Files.copy(old, all);
            }
            copy(current, all);
            byte[] b = all.toByteArray();
            int lines = 0;
            // A last line without its newline counts as a line.
            int i = b.length > 0 && b[b.length - 1] == '\n' ? b.length - 1 : b.length;
            for (; i > 0; i--) {
                if (b[i - 1] == '\n' && ++lines == n) {
                    break;
                }
            }
            return java.util.Arrays.copyOfRange(b, n == 0 ? b.length : i, b.length);
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
