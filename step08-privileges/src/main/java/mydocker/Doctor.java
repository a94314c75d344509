package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mydocker doctor}: what this step needs from the kernel and the host, one line per
 * check, and the fix for what is missing. Each step adds the rows of its own capability, so
 * the diff between two steps' doctors lists what the later step needs.
 */
@Command(name = "doctor", description = "Check what this step needs from the kernel and the host, one line each.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:nothing is missing (a warn line names what only some options need)",
            "1:a missing line: this step cannot run here until it is fixed, as the line says"})
final class Doctor implements Callable<Integer> {

    static final String OK = "ok";
    static final String WARN = "warn";
    static final String MISSING = "missing";

    /** One line of the report: {@code ok       kernel 6.18.0 (...)}. */
    record Row(String status, String text) {
        @Override
        public String toString() {
            return String.format("%-8s %s", status, text);
        }
    }

    /** A namespace type: its name under /proc/self/ns, its clone flag, and the kernel option that builds it in. */
    record Namespace(String name, long flag, String config) {}

    // tag::namespaces[]
    /** The namespaces this step's containers get, in the order clone's flags name them. */
    static final List<Namespace> NAMESPACES = List.of(
            new Namespace("uts", Namespaces.CLONE_NEWUTS, "CONFIG_UTS_NS"),
            new Namespace("ipc", Namespaces.CLONE_NEWIPC, "CONFIG_IPC_NS"),
            new Namespace("pid", Namespaces.CLONE_NEWPID, "CONFIG_PID_NS"),
            new Namespace("mnt", Namespaces.CLONE_NEWNS, "CONFIG_NAMESPACES"),
            new Namespace("net", Namespaces.CLONE_NEWNET, "CONFIG_NET_NS"),
            new Namespace("user", Namespaces.CLONE_NEWUSER, "CONFIG_USER_NS"));
    // end::namespaces[]

    // tag::kernel-needed[]
    /** The oldest kernel with everything this step uses, and what it brought. */
    static final int[] KERNEL_NEEDED = {5, 11};
    static final String KERNEL_WHY = "5.11+ needed for overlay in a user namespace";
    // end::kernel-needed[]

    @ParentCommand
    Main main;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    private boolean missing;

    @Override
    public Integer call() {
        Trace.enable(main.tracing(), "doctor");
        // tag::checks[]
        check("kernel", () -> kernel(System.getProperty("os.version")));
        check("root", Doctor::root);
        for (Namespace ns : NAMESPACES) {
            check(ns.name() + " namespace", () -> namespace(ns));
        }
        check("user namespace settings", () -> usernsSettings(UsernsSettings.PROC_SYS, isRoot()));
        check("newuidmap", () -> idMapHelper(Path.of("/usr/bin/newuidmap")));
        check("newgidmap", () -> idMapHelper(Path.of("/usr/bin/newgidmap")));
        check("subuid", () -> subordinateIds(Path.of("/etc/subuid")));
        check("subgid", () -> subordinateIds(Path.of("/etc/subgid")));
        check("/ propagation", () -> rootPropagation(Path.of("/proc/self/mountinfo")));
        check("proc", Doctor::proc);
        check("overlay", () -> overlayFilesystem(Path.of("/proc/filesystems")));
        check("overlay mount", () -> overlayMount(Store.location()));
        check("store", () -> store(Store.location()));
        check("image", () -> image(Store.location(), "busybox"));
        check("bind mount", () -> bindMount(Store.location()));
        check("seccomp", () -> seccomp(Path.of("/proc/sys/kernel/seccomp/actions_avail")));
        check("no_new_privs", () -> noNewPrivs(Path.of("/proc/self/status")));
        // end::checks[]
        return missing ? 1 : 0;
    }

    /** Prints one row; a check that fails in an unforeseen way is a missing row too, not a stack trace. */
    private void check(String what, Supplier<Row> check) {
        Row row;
        try {
            row = check.get();
        } catch (RuntimeException e) {
            row = new Row(MISSING, what + ": could not check: " + e.getMessage());
        }
        missing |= row.status().equals(MISSING);
        System.out.println(row);
        System.out.flush();
    }

    // tag::kernel[]
    /** {@code release} as uname(2) gives it, e.g. 6.1.0-18-amd64, against {@link #KERNEL_NEEDED}. */
    static Row kernel(String release) {
        String[] parts = release.split("[^0-9]+", 3);
        int major = parts.length > 0 && !parts[0].isEmpty() ? Integer.parseInt(parts[0]) : 0;
        int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        boolean recent = major > KERNEL_NEEDED[0] || major == KERNEL_NEEDED[0] && minor >= KERNEL_NEEDED[1];
        return new Row(recent ? OK : MISSING, "kernel " + release + " (" + KERNEL_WHY + ")"
                + (recent ? "" : " (upgrade the kernel)"));
    }
    // end::kernel[]

    static boolean isRoot() {
        return Syscalls.C.geteuid() == 0;
    }

    // tag::root[]
    /** Creating namespaces takes CAP_SYS_ADMIN, which a new user namespace gives its first child. */
    static Row root() {
        int uid = Syscalls.C.geteuid();
        if (uid == 0) {
            return new Row(OK, "root: running as uid 0; not needed from this step on, and container root is host root");
        }
        return new Row(OK, "root: running as uid " + uid + "; not needed from this step on: the user namespace makes"
                + " the child root inside it");
    }
    // end::root[]

    // tag::namespace[]
    /**
     * The kernel has the namespace if /proc/self/ns shows it; a child cloned into one proves it
     * can be made. As run does, each is made with a user namespace, root's included.
     */
    static Row namespace(Namespace ns) {
        Path file = Path.of("/proc/self/ns", ns.name());
        String what = ns.name() + " namespace: ";
        if (!Files.exists(file)) {
            return new Row(MISSING, what + "this kernel has none, no " + file + " (a kernel built with "
                    + ns.config() + "=y)");
        }
        long flags = Namespaces.CLONE_NEWUSER | ns.flag() | Namespaces.SIGCHLD;
        return probe(what, flags, "true", file + ", and a child cloned with " + Namespaces.NAMES.format(flags) + " runs",
                "the child could not run /bin/true");
    }
    // end::namespace[]

    /**
     * A row from a probe: {@code ifOk} if {@code script} succeeds in a child cloned with
     * {@code flags}; otherwise what failed, and {@code fix}.
     */
    static Row probe(String what, long flags, String script, String ifOk, String fix) {
        try {
            String failure = DoctorProbe.run(flags, script);
            return failure == null ? new Row(OK, what + ifOk) : new Row(MISSING, what + failure + " (" + fix + ")");
        } catch (SyscallException e) {
            return new Row(MISSING, what + UsernsSettings.explain(e, UsernsSettings.PROC_SYS).getMessage());
        }
    }

    // tag::userns[]
    /**
     * The sysctls that forbid ordinary users their user namespaces (UsernsSettings says which).
     * They do not stop root, so for root they are a warning about everyone else.
     */
    static Row usernsSettings(Path procSys, boolean root) {
        String why = UsernsSettings.diagnose(procSys);
        if (why == null) {
            return new Row(OK, "user namespace settings: nothing in " + procSys + " forbids them"
                    + " (user.max_user_namespaces, kernel.unprivileged_userns_clone,"
                    + " kernel.apparmor_restrict_unprivileged_userns)");
        }
        return new Row(root ? WARN : MISSING, "user namespace settings: " + why);
    }

    /**
     * newuidmap and newgidmap write the maps an ordinary user may not write itself: any other
     * host id than its own. Only --uidmap and --gidmap need them, and only without root.
     */
    static Row idMapHelper(Path binary) {
        String name = binary.getFileName().toString();
        if (isRoot()) {
            return new Row(OK, name + ": not needed by root, which writes any id map itself");
        }
        if (!Files.isExecutable(binary)) {
            return new Row(WARN, name + ": not installed; --uidmap and --gidmap beyond your own id need it"
                    + " (apt-get install uidmap)");
        }
        try {
            int mode = (Integer) Files.getAttribute(binary, "unix:mode");
            int owner = (Integer) Files.getAttribute(binary, "unix:uid");
            if ((mode & 04000) != 0 && owner == 0) {
                return new Row(OK, name + ": " + binary + ", setuid root");
            }
        } catch (IOException e) {
            return new Row(WARN, name + ": cannot read " + binary + ": " + e.getMessage());
        }
        return new Row(WARN, name + ": " + binary + " is not setuid root, so it works only if it has file"
                + " capabilities (getcap " + binary + " must show cap_setuid; else reinstall uidmap)");
    }

    /** This user's range in /etc/subuid or /etc/subgid, which newuidmap and newgidmap check a map against. */
    static Row subordinateIds(Path file) {
        String name = file.getFileName().toString();
        if (isRoot()) {
            return new Row(OK, name + ": not needed by root, which maps any host id itself");
        }
        int uid = Syscalls.C.getuid();
        String user = System.getProperty("user.name").equals("?") ? Integer.toString(uid)
                : System.getProperty("user.name"); // "?": a uid without a passwd entry
        if (SubordinateIds.hasRange(file, user, uid)) {
            return new Row(OK, name + ": " + user + " has a range in " + file);
        }
        return new Row(WARN, name + ": no range for " + user + " in " + file + "; only --uidmap and --gidmap beyond"
                + " your own id need one (as root: usermod --add-" + name + "s 100000-165535 " + user + ")");
    }
    // end::userns[]

    // tag::proc[]
    /**
     * How / propagates mounts (the optional fields of mountinfo, proc(5)): systemd makes it
     * shared. Either way is fine, because init makes every mount private before it mounts.
     */
    static Row rootPropagation(Path mountinfo) {
        String fields = "";
        try {
            for (String line : Files.readAllLines(mountinfo)) {
                // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL FIELDS...] - TYPE SOURCE SUPER-OPTIONS
                String[] f = line.substring(0, line.indexOf(" - ")).split(" ");
                if (f[4].equals("/")) {
                    fields = String.join(" ", Arrays.copyOfRange(f, 6, f.length)); // the last / is the one on top
                }
            }
        } catch (IOException e) {
            return new Row(MISSING, "/ propagation: cannot read " + mountinfo + ": " + e.getMessage());
        }
        String kind = fields.contains("shared:") ? "shared (" + fields + "), as systemd makes it"
                : fields.contains("master:") ? "a slave (" + fields + ")" : "private";
        return new Row(OK, "/ propagation: " + kind + "; fine, since init makes every mount private"
                + " (MS_REC|MS_PRIVATE) before it mounts proc");
    }

    /** A child cloned as run clones init mounts a proc of its own, as init does. */
    static Row proc() {
        String script = "mount --make-rprivate / && mount -t proc -o nosuid,nodev,noexec proc /proc";
        return probe("proc: ", Namespaces.CONTAINER, script, "a child cloned with "
                + Namespaces.NAMES.format(Namespaces.CONTAINER) + " mounted a new one on /proc",
                Proc.whyRefused(Proc.overMounts()));
    }
    // end::proc[]

    // tag::privileges[]
    /** The filter returns EPERM and kills on a wrong architecture: the kernel must offer both actions. */
    static Row seccomp(Path actionsAvail) {
        String actions;
        try {
            actions = String.join(" ", Files.readAllLines(actionsAvail)).strip(); // /proc: see Capabilities.lastCap
        } catch (IOException e) {
            return new Row(MISSING, "seccomp: no " + actionsAvail + " (a kernel built with CONFIG_SECCOMP_FILTER,"
                    + " 4.14 or later; or run with --security-opt seccomp=unconfined)");
        }
        List<String> have = List.of(actions.split("\\s+"));
        if (!have.contains("errno") || !have.contains("kill_process")) {
            return new Row(MISSING, "seccomp: the kernel offers only " + actions + "; the filter needs errno and"
                    + " kill_process (run with --security-opt seccomp=unconfined)");
        }
        if (!Seccomp.supported()) {
            return new Row(WARN, "seccomp: the default filter is written for x86_64, not " + System.getProperty("os.arch")
                    + "; run with --security-opt seccomp=unconfined");
        }
        return new Row(OK, "seccomp: filters available (" + actions + "); run installs the default one");
    }

    /** /proc/PID/status has a NoNewPrivs line on every kernel with PR_SET_NO_NEW_PRIVS (3.5 and later). */
    static Row noNewPrivs(Path status) {
        try {
            String line = Files.readAllLines(status).stream().filter(l -> l.startsWith("NoNewPrivs:")).findFirst()
                    .orElse(null);
            if (line == null) {
                return new Row(MISSING, "no_new_privs: " + status + " has no NoNewPrivs line (a kernel 3.5 or later);"
                        + " --security-opt no-new-privileges cannot work");
            }
            return new Row(OK, "no_new_privs: available for --security-opt no-new-privileges (here "
                    + line.replaceAll("\\s+", " ") + ")");
        } catch (IOException e) {
            return new Row(MISSING, "no_new_privs: cannot read " + status + ": " + e.getMessage());
        }
    }
    // end::privileges[]

    // tag::overlay[]
    /** overlay is in /proc/filesystems once built in or loaded; a mount loads the module too, if root may. */
    static Row overlayFilesystem(Path filesystems) {
        try {
            if (Files.readAllLines(filesystems).stream().anyMatch(l -> l.strip().endsWith("overlay"))) {
                return new Row(OK, "overlay: in " + filesystems);
            }
        } catch (IOException e) {
            return new Row(MISSING, "overlay: cannot read " + filesystems + ": " + e.getMessage());
        }
        return new Row(MISSING, "overlay: not in " + filesystems + " (sudo modprobe overlay; a kernel built with"
                + " CONFIG_OVERLAY_FS)");
    }

    /**
     * A child cloned as run clones init mounts an overlay with userxattr, as init does, then
     * writes a lower file (copy-up) and deletes one (a whiteout). In the store's tmp/ when the
     * store exists, since that filesystem must take the user.overlay.* xattrs.
     */
    static Row overlayMount(Path storeRoot) {
        Path dir;
        try {
            dir = scratch(storeRoot, "lower", "upper", "work", "merged");
            Files.writeString(dir.resolve("lower/copied"), "lower\n");
            Files.writeString(dir.resolve("lower/deleted"), "lower\n");
        } catch (IOException e) {
            return new Row(MISSING, "overlay mount: cannot make a scratch directory: " + e.getMessage());
        }
        try {
            String options = "userxattr,lowerdir=" + dir.resolve("lower") + ",upperdir=" + dir.resolve("upper")
                    + ",workdir=" + dir.resolve("work");
            String merged = "'" + dir.resolve("merged") + "'";
            String script = "mount --make-rprivate / && mount -t overlay -o '" + options + "' overlay " + merged
                    + " && echo upper >" + merged + "/copied && rm " + merged + "/deleted";
            return probe("overlay mount: ", Namespaces.CONTAINER, script, "a child cloned like init mounted one"
                    + " with userxattr (in " + dir.getParent() + "), copied a file up and deleted one",
                    "overlay in a user namespace needs Linux 5.11+, and an upper filesystem that takes user.* xattrs");
        } finally {
            Store.deleteTree(dir);
        }
    }

    /** A new directory with {@code subdirs} for a probe: in the store's tmp/ if it exists, else in /tmp. */
    static Path scratch(Path storeRoot, String... subdirs) throws IOException {
        Path tmp = storeRoot.resolve("tmp");
        Path dir = Files.createTempDirectory(Files.isWritable(tmp) ? tmp : Path.of(System.getProperty("java.io.tmpdir")),
                "doctor-");
        for (String sub : subdirs) {
            Files.createDirectory(dir.resolve(sub));
        }
        return dir;
    }

    /** The store: there or creatable, private to its owner (Store.makeTop says why), and room for layers. */
    static Row store(Path root) {
        Path existing = root;
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        if (!Files.isDirectory(existing) || !Files.isWritable(existing)) {
            return new Row(MISSING, "store: " + root + (existing.equals(root) ? " is not a directory you can write"
                    : " cannot be made: " + existing + " is not a directory you can write")
                    + " (set MYDOCKER_ROOT to a directory you can write)");
        }
        String free = String.format("%.1f GiB free", freeBytes(existing) / (1024.0 * 1024 * 1024));
        if (!existing.equals(root)) {
            return new Row(OK, "store: " + root + ", made at first use in " + existing + ", " + free);
        }
        String problem = Store.problem(root);
        if (problem != null) {
            return new Row(MISSING, "store: " + root + ": " + problem + " (chmod 700 " + root + ")");
        }
        return new Row(freeBytes(root) < 512L << 20 ? WARN : OK, "store: " + root + ", private (0700), " + free);
    }

    /** The image the chapter runs, or how to make it. */
    static Row image(Path root, String name) {
        Path file = new Store(root).image(name);
        if (Files.exists(file)) {
            return new Row(OK, "image " + name + ": " + file);
        }
        return new Row(MISSING, "image " + name + ": not in " + root + " (from the repository:"
                + " scripts/busybox-rootfs.sh busybox.tar && mydocker import busybox.tar " + name + ")");
    }

    private static long freeBytes(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }
    // end::overlay[]

    // tag::bind[]
    /**
     * A child cloned like init binds a directory and remounts it read-only, as -v SRC:DST:ro
     * does, and then must be refused a write to it.
     */
    static Row bindMount(Path storeRoot) {
        Path dir;
        try {
            dir = scratch(storeRoot, "source", "target");
        } catch (IOException e) {
            return new Row(MISSING, "bind mount: cannot make a scratch directory: " + e.getMessage());
        }
        try {
            String target = "'" + dir.resolve("target") + "'";
            String script = "mount --make-rprivate / && mount --bind '" + dir.resolve("source") + "' " + target
                    + " && mount -o remount,bind,ro " + target + " && if touch " + target + "/written 2>/dev/null;"
                    + " then echo " + target + " is still writable after the read-only remount; exit 1; fi";
            return probe("bind mount: ", Namespaces.CONTAINER, script, "a child cloned like init bound a directory"
                    + " (in " + dir.getParent() + ") and remounted it read-only, and a write to it was refused",
                    "a read-only remount in a user namespace must repeat the flags the kernel locked on the source's mount");
        } finally {
            Store.deleteTree(dir);
        }
    }
    // end::bind[]
}
