package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A fresh /proc for the container (proc(5)). The proc filesystem shows the processes of the
 * PID namespace of whoever mounts it; the container inherited the host's, which still lists
 * every host process, so init mounts a new one over it.
 */
final class Proc {

    private Proc() {}

    // tag::mount[]
    /**
     * Mounts a proc for init's PID namespace on {@code target}: no setuid, no devices, no
     * executables. Before pivot_root: the kernel checks the old /proc is fully visible.
     */
    static void mount(String target) {
        new java.io.File(target).mkdirs();
        try {
            Syscalls.mount("proc", target, "proc", Syscalls.MS_NOSUID | Syscalls.MS_NODEV | Syscalls.MS_NOEXEC, null);
        } catch (SyscallException e) {
            if (e.errno != Errors.EPERM) {
                throw e;
            }
            throw new MydockerException(e.getMessage() + ": " + whyRefused(overMounts()));
        }
    }
    // end::mount[]

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
