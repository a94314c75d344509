package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Host directories and files bound into containers with -v and --mount: what the container
 * writes lands on the host, :ro refuses writes (also from a nosuid,nodev,noexec mount, whose
 * flags an ordinary user may not clear), targets resolve inside the container's root, and a
 * bad spec is refused before anything is made.
 */
@Tag("smoke") // run in every step, also where CI runs only what a step introduces
class VolumeTest {

    /** Where the sources live; shared by the class so that {@link #noMountOfASourceIsLeft} can look for them. */
    @TempDir
    static Path tmp;

    /** A tmpfs mounted nosuid,nodev,noexec,noatime, as /tmp or /run often are. */
    private static Path locked;

    @BeforeAll
    static void mountLockedTmpfs() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, to inspect both stores, and to mount the tmpfs
        Archives.readable(tmp);
        Path dir = Files.createDirectory(tmp.resolve("locked"));
        Mydocker.host("mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,noatime,size=1m", "mydocker-volume-test",
                dir.toString());
        locked = dir;
    }

    /**
     * A bind mount that reached the host (a propagation bug) would show here with a source as
     * its root, or a container's merged directory as its mount point. Only the tmpfs may be there.
     */
    @AfterAll
    static void noMountOfASourceIsLeft() throws IOException {
        if (locked == null) {
            return; // skipped, or the mount failed: nothing to unmount
        }
        List<String> ours;
        try {
            ours = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(line -> {
                        String[] fields = line.split(" ");
                        return fields[3].contains(tmp.toString()) || fields[4].startsWith(tmp.toString())
                                || fields[4].startsWith(Mydocker.STORES.toString());
                    }).toList();
        } finally {
            Mydocker.host("umount", locked.toString());
        }
        assertEquals(1, ours.size(), "mounts of the test's sources or in its stores are left on the host:\n"
                + String.join("\n", ours));
        assertTrue(ours.get(0).split(" ")[4].equals(locked.toString()), ours.get(0));
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aFileWrittenInAVolumeIsOnTheHostOwnedByTheCaller(User user) throws IOException {
        Path source = source(tmp, user, "rw");
        Files.writeString(source.resolve("from-host"), "written on the host\n");
        // Relative to the working directory, which is /tmp for the launcher here.
        String relative = Path.of("/tmp").relativize(source).toString();
        Mydocker.Result r = user.mydocker("run", "--rm", "-v", relative + ":/data", Mydocker.IMAGE, "sh", "-c",
                "cat /data/from-host && echo written inside > /data/from-container && " + readOrWrite("/data"));
        assertEquals(0, r.status(), r.toString());
        assertEquals("written on the host\nrw\n", r.out(), r.toString());
        Path written = source.resolve("from-container");
        assertEquals("written inside\n", Files.readString(written), "the container's file is not on the host");
        assertEquals(uid(user), Files.getAttribute(written, "unix:uid"),
                "the file's host owner is not the user who ran mydocker");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void readOnlyVolumesRefuseWritesAndLeaveTheSourceAlone(User user) throws IOException {
        Path source = source(tmp, user, "ro");
        Path kept = Files.writeString(source.resolve("kept"), "original\n");
        FileTime mtime = Files.getLastModifiedTime(kept);
        Mydocker.Result r = user.mydocker("run", "--rm", "-v", source + ":/ro1:ro",
                "--mount", "type=bind,source=" + source + ",target=/ro2,readonly", Mydocker.IMAGE, "sh", "-c",
                "for d in /ro1 /ro2; do echo changed > $d/kept; touch $d/new; rm $d/kept; cat $d/kept;"
                        + " " + readOrWrite("$d") + "; done");
        assertEquals("original\nro\noriginal\nro\n", r.out(), r.toString());
        for (String d : List.of("/ro1", "/ro2")) {
            for (String refused : List.of("can't create " + d + "/kept", d + "/new", "can't remove '" + d + "/kept'")) {
                assertTrue(r.err().contains(refused + ": Read-only file system"), "no \"" + refused
                        + ": Read-only file system\":\n" + r);
            }
        }
        assertEquals(List.of("kept"), ImageImportTest.list(source), "a file was made or removed in the source");
        assertEquals("original\n", Files.readString(kept));
        assertEquals(mtime, Files.getLastModifiedTime(kept));
        Files.writeString(kept, "still writable on the host\n"); // read-only stayed inside the container
    }

    /**
     * In a user namespace nosuid, nodev, noexec and the atime mode of a mount from the host are
     * locked: a read-only remount that drops one fails with EPERM. mydocker keeps them. The
     * tmpfs also comes along, as a submount, in a volume of the directory it is mounted in.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void readOnlyKeepsTheLockedFlagsOfTheSourcesMount(User user) throws IOException {
        Path source = source(locked, user, "src");
        Files.writeString(source.resolve("in-tmpfs"), "on a noexec tmpfs\n");
        Path below = tmp.relativize(source);
        Mydocker.Result r = user.mydocker("run", "--rm", "-v", source + ":/data:ro", "-v", tmp + ":/above",
                Mydocker.IMAGE, "sh", "-c", "cat /data/in-tmpfs; echo changed > /data/in-tmpfs;"
                        + " grep ' /data ' /proc/mounts | cut -d' ' -f4; cat /above/" + below + "/in-tmpfs");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.toString());
        assertEquals("on a noexec tmpfs", lines.get(0), r.toString());
        assertTrue(r.err().contains("Read-only file system"), r.toString());
        Set<String> options = Set.of(lines.get(1).split(","));
        assertTrue(options.containsAll(Set.of("ro", "nosuid", "nodev", "noexec", "noatime")) && !options.contains("rw"),
                "the volume is not ro with the source's flags: " + lines.get(1));
        assertEquals("on a noexec tmpfs", lines.get(2), "the tmpfs is not in the volume of " + tmp + ":\n" + r);
        assertEquals("on a noexec tmpfs\n", Files.readString(source.resolve("in-tmpfs")));
    }

    /** A read-only volume is read-only in what is mounted below its source too (AT_RECURSIVE). */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void readOnlyReachesTheSourcesSubmounts(User user) throws IOException {
        Path below = tmp.relativize(locked);
        Mydocker.Result r = user.mydocker("run", "--rm", "-v", tmp + ":/above:ro", Mydocker.IMAGE, "sh", "-c",
                "touch /above/" + below + "/written; " + readOrWrite("/above/" + below));
        assertEquals("ro\n", r.out(), r.toString());
        assertFalse(Files.exists(locked.resolve("written")), "the container wrote into the submount of a :ro volume");
    }

    /**
     * The source is checked, then swapped for a symlink before the container opens it: the
     * container's openat2 refuses the symlink (RESOLVE_NO_SYMLINKS) rather than mount its target.
     * The go-ahead comes 3 s late, so the swap lands between the check and the mount every time.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aSourceSwappedForASymlinkAfterTheCheckIsNotFollowed(User user) throws Exception {
        Mydocker.importImage();
        Path source = source(tmp, user, "swapped");
        Path elsewhere = source(tmp, user, "elsewhere");
        Files.writeString(elsewhere.resolve("marker"), "the symlink's target\n");
        List<String> launcher = user == User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher();
        Process p = Mydocker.start(launcher, Map.of("MYDOCKER_FAULT_SLOW_GO_AHEAD", "3000"),
                "run", "--rm", "-v", source + ":/data", Mydocker.IMAGE, "cat", "/data/marker");
        // The cloned child, a java whose parent is java, exists once the parent has checked the
        // source; it then waits for its go-ahead.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (p.descendants().noneMatch(VolumeTest::isClonedChild) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Files.delete(source);
        Files.createSymbolicLink(source, elsewhere);
        Mydocker.Result r = Mydocker.finish(p, null);
        assertEquals(125, r.status(), r.toString());
        assertFalse(r.out().contains("the symlink's target"), "the container mounted the symlink's target:\n" + r);
        assertTrue(r.err().contains("became a symbolic link since it was checked"), r.toString());
        ExitStatusTest.assertOneLine(r.err());
    }

    private static boolean isClonedChild(ProcessHandle h) {
        return isJava(h) && h.parent().map(VolumeTest::isJava).orElse(false);
    }

    private static boolean isJava(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    static Stream<Arguments> usersAndOrders() {
        List<Arguments> all = new ArrayList<>();
        for (User user : User.values()) {
            all.add(Arguments.of(user, false));
            all.add(Arguments.of(user, true));
        }
        return all.stream();
    }

    /** /a before /a/b whatever the command line's order, or /a would hide /a/b. */
    @ParameterizedTest(name = "as {0}, reversed: {1}")
    @MethodSource("usersAndOrders")
    void severalVolumesNestedAndDeep(User user, boolean reversed) throws IOException {
        String name = user.name("nested-" + reversed);
        Path outer = source(tmp, user, name + "-outer");
        Files.createDirectory(outer.resolve("b"));
        Path inner = source(tmp, user, name + "-inner");
        Path deep = source(tmp, user, name + "-deep");
        List<String> args = new ArrayList<>(List.of("run", "--name", name));
        List<String> volumes = new ArrayList<>(List.of(outer + ":/a", inner + ":/a/b", deep + ":/deep/er/data"));
        if (reversed) {
            Collections.reverse(volumes);
        }
        volumes.forEach(v -> args.addAll(List.of("-v", v)));
        args.addAll(List.of(Mydocker.IMAGE, "sh", "-c", "echo o > /a/o && echo i > /a/b/i && echo d > /deep/er/data/d"
                + " && awk '$2 ~ \"^/(a|deep)\" { print $2 }' /proc/mounts"));
        Mydocker.Result r = user.mydocker(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.toString());
        assertEquals("/a\n/a/b\n/deep/er/data\n", r.out(), "the mounts, in the order they were made:\n" + r);
        assertEquals(List.of("b", "o"), ImageImportTest.list(outer));
        assertEquals(List.of(), ImageImportTest.list(outer.resolve("b")), "/a/b/i landed under /a, not in its volume");
        assertEquals(List.of("i"), ImageImportTest.list(inner));
        assertEquals(List.of("d"), ImageImportTest.list(deep));

        // The missing mount points were made in the container's layer, and nothing else went there.
        Path upper = Mydocker.upper(user.store, name);
        assertEquals(List.of(), ImageImportTest.list(upper.resolve("a")));
        assertEquals(List.of(), ImageImportTest.list(upper.resolve("deep/er/data")));
        assertEquals(List.of("a", "deep"), ImageImportTest.list(upper));
        assertEquals(0, user.mydocker("rm", name).status());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aFileVolumeOnAnExistingAndOnAMissingPath(User user) throws IOException {
        String name = user.name("file-volume");
        Path file = owned(Files.writeString(source(tmp, user, "file-volume").resolve("conf"), "the host's file\n"), user);
        Mydocker.Result r = user.mydocker("run", "--name", name, "-v", file + ":/etc/hostname",
                "-v", file + ":/etc/new/x.conf", Mydocker.IMAGE, "sh", "-c",
                "cat /etc/hostname /etc/new/x.conf && echo appended >> /etc/new/x.conf && cat /etc/hostname"
                        + " && test -f /etc/new/x.conf && echo a-file");
        assertEquals(0, r.status(), r.toString());
        assertEquals("the host's file\nthe host's file\nthe host's file\nappended\na-file\n", r.out(), r.toString());
        assertEquals("the host's file\nappended\n", Files.readString(file));
        Path upper = Mydocker.upper(user.store, name);
        assertEquals(0, Files.size(upper.resolve("etc/new/x.conf")), "the missing mount point is not an empty file");
        assertFalse(Files.exists(upper.resolve("etc/hostname"), LinkOption.NOFOLLOW_LINKS),
                "mounting on the image's /etc/hostname copied it up");
        assertEquals(0, user.mydocker("rm", name).status());
    }

    /**
     * /abs and /usr/abs are symlinks to /etc, /usr/rel one to ../../..: on the host they lead to
     * the host's /etc and /, in the container to the container's. /loop and /l1, /l2 lead nowhere.
     */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void symlinksInTheImageResolveInsideTheContainersRoot(User user) throws IOException {
        String image = user.name("symlinks");
        byte[] links = new Archives.Tar().include(Archives.busybox()).symlink("abs", "/etc").symlink("usr/rel", "../../..")
                .symlink("usr/abs", "/etc")
                .symlink("loop", "/loop").symlink("l1", "l2").symlink("l2", "l1").bytes();
        Path tar = Archives.write(tmp.resolve(image + ".tar"), links);
        Mydocker.Result imported = user.mydocker("import", tar.toString(), image);
        assertEquals(0, imported.status(), imported.toString());

        String abs = "mydocker-volume-test-abs-" + user.name().toLowerCase();
        String rel = "mydocker-volume-test-rel-" + user.name().toLowerCase();
        String deeper = "mydocker-volume-test-deeper-" + user.name().toLowerCase();
        Path source = source(tmp, user, "symlinked");
        Files.writeString(source.resolve("marker"), "the volume\n");
        Mydocker.Result r = user.mydocker("run", "--rm", "-v", source + ":/abs/" + abs, "-v", source + ":/usr/rel/" + rel,
                "-v", source + ":/usr/abs/" + deeper, image, "sh", "-c",
                "cat /etc/" + abs + "/marker /" + rel + "/marker /etc/" + deeper + "/marker"
                        + " && awk '$2 ~ \"mydocker-volume-test\" { print $2 }' /proc/mounts");
        assertEquals(0, r.status(), r.toString());
        assertEquals("the volume\n".repeat(3) + "/etc/" + abs + "\n/" + rel + "\n/etc/" + deeper + "\n", r.out(),
                r.toString());
        for (Path onHost : List.of(Path.of("/etc", abs), Path.of("/", rel), Path.of("/etc", deeper))) {
            assertFalse(Files.exists(onHost, LinkOption.NOFOLLOW_LINKS), "the volume's mount point reached the host: " + onHost);
        }

        List<String> containers = ImageImportTest.list(user.store.resolve("containers"));
        for (String target : List.of("/loop/x", "/l1")) {
            Mydocker.Result loop = user.mydocker("run", "--rm", "-v", source + ":" + target, image, "echo", "ran");
            assertEquals(125, loop.status(), loop.toString());
            assertEquals("", loop.out(), loop.toString());
            assertTrue(loop.err().startsWith("mydocker: ") && loop.err().contains(target)
                    && loop.err().contains("too many symbolic links"), loop.toString());
            ExitStatusTest.assertOneLine(loop.err());
        }
        assertEquals(containers, ImageImportTest.list(user.store.resolve("containers")), "a refused run left a container");
        assertEquals(List.of("marker"), ImageImportTest.list(source));
    }

    /** Each bad spec, and the words its one line must have. SRC stands for an existing directory. */
    static Stream<Arguments> badSpecs() {
        return Stream.of(
                Arguments.of(List.of("-v", "SRC"), "write it as SRC:DST"),
                Arguments.of(List.of("-v", "SRC:/data:ro:rw"), "write it as SRC:DST"),
                Arguments.of(List.of("-v", "SRC:data"), "the target \"data\" must be an absolute path"),
                Arguments.of(List.of("-v", "SRC:/data:rx"), "unknown option \"rx\""),
                Arguments.of(List.of("-v", ":/data"), "the source is empty"),
                Arguments.of(List.of("-v", "MISSING:/data"), "MISSING does not exist"),
                Arguments.of(List.of("-v", "SRC:/"), "cannot replace the container's root"),
                Arguments.of(List.of("-v", "SRC:/.."), "cannot replace the container's root"),
                Arguments.of(List.of("-v", "SRC:/data/../.."), "cannot replace the container's root"),
                Arguments.of(List.of("-v", "SRC:/data", "-v", "SRC:/data/"), "two volumes on /data"),
                Arguments.of(List.of("-v", "SRC:/x/../data", "--mount", "type=bind,source=SRC,target=/data"),
                        "two volumes on /data"),
                Arguments.of(List.of("--mount", "source=SRC,target=/data"), "type=bind"),
                Arguments.of(List.of("--mount", "type=volume,source=SRC,target=/data"), "type \"volume\" is not supported"),
                Arguments.of(List.of("--mount", "type=bind,target=/data"), "needs source=SRC and target=DST"),
                Arguments.of(List.of("--mount", "type=bind,source=SRC"), "needs source=SRC and target=DST"),
                Arguments.of(List.of("--mount", "type=bind,source=SRC,target=/data,size=1"), "unknown field \"size\""),
                Arguments.of(List.of("--mount", "type=bind,source=SRC,target=/data,readonly=yes"),
                        "readonly takes true or false"),
                Arguments.of(List.of("--mount", "type=bind,source=MISSING,target=/data"), "MISSING does not exist"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSpecs")
    void aBadSpecIs125AndMakesNothing(List<String> spec, String problem) throws IOException {
        Mydocker.importImage();
        Path source = source(tmp, User.ORDINARY, "bad-spec");
        Path missing = source.resolve("never-created"); // where the ordinary user could make it
        List<String> args = new ArrayList<>(List.of("run", "--rm"));
        spec.forEach(s -> args.add(s.replace("SRC", source.toString()).replace("MISSING", missing.toString())));
        args.addAll(List.of(Mydocker.IMAGE, "echo", "ran"));
        Map<String, List<String>> store = ImageImportTest.contents(User.ORDINARY.store);
        List<String> host = ImageImportTest.list(tmp);

        Mydocker.Result r = User.ORDINARY.mydocker(args.toArray(String[]::new));
        assertEquals(125, r.status(), r.toString());
        assertEquals("", r.out(), "the container ran:\n" + r);
        assertTrue(r.err().startsWith("mydocker: invalid volume ") || r.err().startsWith("mydocker: two volumes"),
                r.toString());
        assertTrue(r.err().contains(problem.replace("MISSING", missing.toString())), "the error does not say \""
                + problem + "\":\n" + r);
        ExitStatusTest.assertOneLine(r.err());
        assertEquals(store, ImageImportTest.contents(User.ORDINARY.store), "the refused run left something in the store");
        assertEquals(host, ImageImportTest.list(tmp), "the refused run made something on the host");
        assertEquals(List.of(), ImageImportTest.list(source));
        assertFalse(Files.exists(missing, LinkOption.NOFOLLOW_LINKS), "the missing source was created");
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void theDataOutlivesTheContainerAndInspectShowsTheVolume(User user) throws IOException {
        String name = user.name("kept");
        Path source = source(tmp, user, "kept");
        assertEquals(0, user.mydocker("run", "--name", name, "-v", source + ":/data", "--mount",
                "type=bind,source=" + source + ",target=/again,readonly", Mydocker.IMAGE, "sh", "-c",
                "echo first > /data/first").status());
        Mydocker.Result inspect = user.mydocker("inspect", name);
        assertEquals(0, inspect.status(), inspect.toString());
        Map<String, Object> state = JSON.std.mapFrom(inspect.out());
        assertEquals(List.of(source + ":/data", source + ":/again:ro"), state.get("volumes"), inspect.toString());
        assertEquals(0, user.mydocker("rm", name).status());
        assertEquals("first\n", Files.readString(source.resolve("first")), "rm took the volume's data");

        List<String> containers = ImageImportTest.list(user.store.resolve("containers"));
        Mydocker.Result r = user.mydocker("run", "--rm", "--name", name, "-v", source + ":/data", Mydocker.IMAGE,
                "sh", "-c", "cat /data/first && echo second > /data/second");
        assertEquals(0, r.status(), r.toString());
        assertEquals("first\n", r.out(), r.toString());
        assertEquals(containers, ImageImportTest.list(user.store.resolve("containers")), "--rm left the container");
        assertEquals(List.of("first", "second"), ImageImportTest.list(source), "--rm took the volume's data");
    }

    /** A shell command that prints the first of the options of the mount at {@code path}: ro or rw. */
    private static String readOrWrite(String path) {
        return "grep \" " + path + " \" /proc/mounts | cut -d' ' -f4 | cut -d, -f1";
    }

    /** A directory the user's container root may write to: owned by 65534 for the ordinary user. */
    private static Path source(Path parent, User user, String base) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(user.name(base)));
        return owned(Archives.readable(dir), user);
    }

    private static Path owned(Path path, User user) throws IOException {
        Files.setAttribute(path, "unix:uid", uid(user));
        Files.setAttribute(path, "unix:gid", uid(user));
        return path;
    }

    private static int uid(User user) {
        return user == User.ROOT ? 0 : Mydocker.NOBODY;
    }
}
