package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Capability names and sets (capabilities(7)). A set is a bit mask, bit N for capability N,
 * as the kernel's 64-bit sets and /proc/PID/status print them.
 */
final class Capabilities {

    /** <linux/capability.h>, in number order: NAMES[n] is capability n. */
    static final List<String> NAMES = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
            "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
            "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
            "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
            "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    // tag::default-set[]
    /** What docker leaves a container: enough to act as root on its own files, nothing over the kernel. */
    static final long DEFAULT = of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
            "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");
    // end::default-set[]

    static final int SETPCAP = NAMES.indexOf("SETPCAP");
    static final int SYS_ADMIN = NAMES.indexOf("SYS_ADMIN");

    private Capabilities() {}

    private static long of(String... names) {
        long set = 0;
        for (String name : names) {
            set |= bit(NAMES.indexOf(name));
        }
        return set;
    }

    static long bit(int cap) {
        return 1L << cap;
    }

    static boolean has(long set, int cap) {
        return (set & bit(cap)) != 0;
    }

    /** Every capability this kernel knows: 0 to /proc/sys/kernel/cap_last_cap. */
    static long all() {
        int last = lastCap();
        return last == 63 ? -1L : (1L << (last + 1)) - 1;
    }

    /** The highest capability number of the running kernel; newer kernels add capabilities at the end. */
    static int lastCap() {
        Path file = Path.of("/proc/sys/kernel/cap_last_cap");
        try {
            // Not Files.readString: on JDK 17 it returned "4" of this file's "40" (it trusts the size of 0
            // that /proc reports); reading lines reads to the end.
            return Integer.parseInt(String.join("", Files.readAllLines(file)).strip());
        } catch (IOException | NumberFormatException e) {
            throw new MydockerException("reading " + file + ": " + e.getMessage()
                    + " (it comes with /proc; is /proc mounted?)");
        }
    }

    // tag::parse[]
    /**
     * A name as docker takes it: any case, with or without the CAP_ prefix; ALL stays ALL.
     * Returns the capability's number, or -1 for ALL.
     */
    static int parse(String name, String option) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (upper.equals("ALL")) {
            return -1;
        }
        String bare = upper.startsWith("CAP_") ? upper.substring(4) : upper;
        int cap = NAMES.indexOf(bare);
        if (cap < 0) {
            throw new MydockerException(option + " " + Trace.quote(name) + ": unknown capability"
                    + " (names are those of capabilities(7), e.g. SYS_ADMIN or CAP_NET_ADMIN, or ALL; see: mydocker run --help)");
        }
        return cap;
    }

    /**
     * The set a container keeps, computed as docker does: --cap-add ALL starts from every
     * capability and removes the drops; --cap-drop ALL keeps only the adds; otherwise the
     * default minus the drops plus the adds (an add wins over a drop of the same name).
     */
    static long kept(List<String> add, List<String> drop, long all) {
        long adds = 0;
        long drops = 0;
        boolean addAll = false;
        boolean dropAll = false;
        for (String name : add) {
            int cap = parse(name, "--cap-add");
            addAll |= cap < 0;
            adds |= cap < 0 ? 0 : bit(cap);
        }
        for (String name : drop) {
            int cap = parse(name, "--cap-drop");
            dropAll |= cap < 0;
            drops |= cap < 0 ? 0 : bit(cap);
        }
        long set;
        if (addAll) {
            set = all & ~drops;
        } else if (dropAll) {
            set = adds;
        } else {
            set = (DEFAULT & ~drops) | adds;
        }
        return set & all; // a capability newer than this kernel cannot be kept
    }
    // end::parse[]

    /** The names in {@code set}, CAP_ prefixed as docker inspect prints them. */
    static List<String> names(long set) {
        List<String> names = new ArrayList<>();
        for (int cap = 0; cap < NAMES.size(); cap++) {
            if (has(set, cap)) {
                names.add("CAP_" + NAMES.get(cap));
            }
        }
        return names;
    }

    /** As /proc/PID/status prints a set: 16 hex digits. */
    static String hex(long set) {
        return String.format("%016x", set);
    }
}
