package mydocker;

import java.util.ArrayList;
import java.util.List;

/**
 * The uid and gid maps of the container's user namespace (user_namespaces(7)): which host
 * ids the container's ids stand for. Written by the parent into /proc/PID/uid_map and
 * gid_map, once, before the child execs.
 */
final class IdMaps {

    /** One line of a map: {@code size} ids from {@code container} inside are {@code host} outside. */
    record Range(long container, long host, long size) {

        /** Parses podman's {@code CONTAINER:HOST:SIZE}. */
        static Range parse(String spec) {
            String[] parts = spec.split(":");
            try {
                if (parts.length == 3) {
                    Range r = new Range(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
                    if (r.container >= 0 && r.host >= 0 && r.size > 0 && r.container + r.size <= 1L << 32
                            && r.host + r.size <= 1L << 32) {
                        return r;
                    }
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new MydockerException("invalid id map " + Trace.quote(spec)
                    + ": use CONTAINER:HOST:SIZE, e.g. 0:100000:65536");
        }

        @Override
        public String toString() {
            return container + " " + host + " " + size;
        }
    }

    private final List<Range> uids;
    private final List<Range> gids;

    IdMaps(List<Range> uids, List<Range> gids) {
        this.uids = uids;
        this.gids = gids;
    }

    // tag::default-map[]
    /**
     * Without --uidmap and --gidmap, container root is the caller: uid 0 and gid 0 map to the
     * caller's own ids, one each. The only mapping the kernel lets anyone write for themselves.
     */
    static IdMaps of(List<String> uidmap, List<String> gidmap) {
        List<Range> uids = uidmap.isEmpty() ? List.of(new Range(0, Syscalls.C.getuid(), 1)) : parse(uidmap);
        List<Range> gids = gidmap.isEmpty() ? List.of(new Range(0, Syscalls.C.getgid(), 1)) : parse(gidmap);
        requireRoot(uids, "--uidmap", "uid");
        requireRoot(gids, "--gidmap", "gid");
        return new IdMaps(uids, gids);
    }
    // end::default-map[]

    /** Init runs as the namespace's uid and gid 0, so the maps must cover them. */
    private static void requireRoot(List<Range> ranges, String option, String id) {
        if (ranges.stream().noneMatch(r -> r.container() == 0)) {
            throw new MydockerException(option + " must map container " + id + " 0, the container's root,"
                    + " e.g. " + option + " 0:100000:65536");
        }
    }

    private static List<Range> parse(List<String> specs) {
        List<Range> ranges = new ArrayList<>();
        for (String spec : specs) {
            ranges.add(Range.parse(spec));
        }
        return ranges;
    }

    // tag::write[]
    /**
     * Writes the maps for the child {@code pid}. Root writes them itself. So does an ordinary
     * user mapping only its own ids; it must first deny setgroups(2) in the namespace, or
     * container root could drop the groups that keep it out of files (CVE-2014-8989). Any
     * other mapping an ordinary user gets from the setuid helpers newuidmap and newgidmap,
     * which check it against /etc/subuid and /etc/subgid.
     */
    void write(int pid) {
        if (Syscalls.C.geteuid() == 0) {
            writeFile(pid, "uid_map", lines(uids));
            writeFile(pid, "gid_map", lines(gids));
        } else if (isOwnIdOnly(uids, Syscalls.C.getuid()) && isOwnIdOnly(gids, Syscalls.C.getgid())) {
            writeFile(pid, "setgroups", "deny");
            writeFile(pid, "uid_map", lines(uids));
            writeFile(pid, "gid_map", lines(gids));
        } else {
            SubordinateIds.helper("newuidmap", pid, uids);
            SubordinateIds.helper("newgidmap", pid, gids);
        }
    }
    // end::write[]

    /** The host uid that container uid {@code id} stands for. */
    long hostUid(long id) {
        return toHost(uids, id);
    }

    long hostGid(long id) {
        return toHost(gids, id);
    }

    private static long toHost(List<Range> ranges, long id) {
        for (Range r : ranges) {
            if (id >= r.container() && id < r.container() + r.size()) {
                return r.host() + id - r.container();
            }
        }
        throw new IllegalArgumentException("id " + id + " is not mapped");
    }

    private static boolean isOwnIdOnly(List<Range> ranges, int own) {
        return ranges.size() == 1 && ranges.get(0).host() == own && ranges.get(0).size() == 1;
    }

    private static String lines(List<Range> ranges) {
        StringBuilder text = new StringBuilder();
        for (Range r : ranges) {
            text.append(r).append('\n');
        }
        return text.toString();
    }

    /** One write(2) of the whole map: the kernel takes a map in a single write, once. */
    private static void writeFile(int pid, String name, String content) {
        Syscalls.writeFile("/proc/" + pid + "/" + name, content);
    }
}
