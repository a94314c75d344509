package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A fresh /proc for the container (proc(5)). The proc filesystem shows the processes of the
 * PID namespace of whoever mounts it; the container inherited the host's, which still lists
 * every host process, so the container mounts a new one over it.
 */
final class Proc {

    /** The flags of every mount in the container's /proc: no setuid, no devices, no executables. */
    private static final long LOCKED = Syscalls.MS_NOSUID | Syscalls.MS_NODEV | Syscalls.MS_NOEXEC;

    private Proc() {}

    // tag::mount[]
    /**
     * Mounts a proc for the container's PID namespace on {@code target}: no setuid, no
     * devices, no executables. Before pivot_root: the kernel checks the old /proc is fully visible.
     */
    static void mount(Plan plan, String target) {
        plan.mkdirat(target, 0755).tolerate(Errors.EEXIST);
        plan.mount("proc", target, "proc", Syscalls.MS_NOSUID | Syscalls.MS_NODEV | Syscalls.MS_NOEXEC, null)
                .explain(e -> e.errno != Errors.EPERM ? e
                        : new MydockerException(e.getMessage() + ": " + whyRefused(overMounts())));
    }
    // end::mount[]

    // tag::mask[]
    /**
     * Files of /proc that tell about, or act on, the whole host rather than the container:
     * the kernel's memory image, keyrings, timers and scheduler internals. Each is covered
     * by /dev/null, as runc and crun cover them; directories by an empty read-only tmpfs.
     */
    static final List<String> MASKED = List.of("kcore", "keys", "latency_stats", "timer_list", "timer_stats",
            "sched_debug", "acpi", "asound", "scsi");

    /** Kernel settings and triggers the container may read but not change (sysctl, SysRq, IRQ affinity). */
    static final List<String> READ_ONLY = List.of("sys", "sysrq-trigger", "irq", "bus", "fs");

    /**
     * Masks the host-wide parts of the proc mounted on {@code proc}. Run by root, container root
     * is the host's uid 0 (the default map), which file permissions let write
     * /proc/sysrq-trigger and reboot the host; the user namespace does not stop that. Which
     * files exist depends on the kernel, which is the host's: the parent looks in its own /proc.
     * Files are covered by {@code devNull}, the container's own /dev/null, never the host's:
     * container root owns a bound host node, and a chmod of /proc/keys would reach the host's
     * /dev/null (runc masks after making the container's /dev, for the same reason).
     */
    static void mask(Plan plan, String proc, String devNull) {
        for (String name : MASKED) {
            String path = proc + "/" + name;
            if (Files.isDirectory(Path.of("/proc", name))) {
                plan.mount("tmpfs", path, "tmpfs", Syscalls.MS_RDONLY | LOCKED, "size=0");
            } else if (Files.exists(Path.of("/proc", name))) {
                plan.mount(devNull, path, null, Syscalls.MS_BIND, null);
            }
        }
        for (String name : READ_ONLY) {
            String path = proc + "/" + name;
            if (Files.exists(Path.of("/proc", name))) {
                // A bind mount takes its read-only flag only from a second, remounting call.
                // The flags proc was mounted with are repeated: a remount that would drop them
                // is refused in a user namespace (EPERM).
                plan.mount(path, path, null, Syscalls.MS_BIND | Syscalls.MS_REC, null);
                plan.mount(path, path, null, Syscalls.MS_BIND | Syscalls.MS_REMOUNT | Syscalls.MS_RDONLY | LOCKED, null);
            }
        }
    }
    // end::mask[]

    // tag::refused[]
    /**
     * In a user namespace the kernel mounts a new proc only if the PID namespace belongs to
     * that user namespace, and only if a proc is already fully visible to it: none of its
     * files or non-empty directories covered by another mount, which would have hidden them
     * (fs/namespace.c, mount_too_revealing). Docker masks /proc/kcore and others that way,
     * which is why this fails inside a docker container (moby issue 26070).
     */
    static String whyRefused(List<String> overMounts) {
        if (!overMounts.isEmpty()) {
            return "a user namespace may mount proc only where the existing /proc is fully visible, and here "
                    + String.join(", ", overMounts) + " " + (overMounts.size() == 1 ? "is" : "are")
                    + " covered by another mount (moby issue 26070); run on a host where /proc has nothing"
                    + " mounted over it, not inside a container that masks it";
        }
        return "the PID namespace must belong to the container's user namespace (both made by the same clone)";
    }
    // end::refused[]

    /** The mount points below /proc, from the mount table init inherited. */
    static List<String> overMounts() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(line -> line.split(" ")[4])
                    .filter(point -> point.startsWith("/proc/"))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }
}
