package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A volume: a host directory or file that appears at a path inside the container. The parent
 * checks the whole spec before anything is created, so a typo costs nothing on the host.
 *
 * @param source    the host path, absolute and with its symlinks resolved
 * @param target    the path in the container, absolute and without "." or ".." parts
 * @param readOnly  whether the container may only read it
 * @param directory whether the source is a directory (else a file), as the caller sees it
 */
record Volume(String source, String target, boolean readOnly, boolean directory) {

    // tag::parse[]
    /** {@code -v SRC:DST[:ro|:rw]}, as docker spells it for a bind mount. */
    static Volume parse(String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw bad(spec, "write it as SRC:DST or SRC:DST:ro (SRC a host path, DST a path in the container)");
        }
        boolean readOnly = false;
        if (parts.length == 3) {
            if (!parts[2].equals("ro") && !parts[2].equals("rw")) {
                throw bad(spec, "unknown option " + Trace.quote(parts[2]) + "; the options are ro and rw");
            }
            readOnly = parts[2].equals("ro");
        }
        return of(spec, parts[0], parts[1], readOnly);
    }
    // end::parse[]

    /** {@code --mount type=bind,source=SRC,target=DST[,readonly]}, docker's longer form. */
    static Volume parseMount(String spec) {
        String type = null;
        String source = null;
        String target = null;
        boolean readOnly = false;
        for (String field : spec.split(",", -1)) {
            int eq = field.indexOf('=');
            String key = eq < 0 ? field : field.substring(0, eq);
            String value = eq < 0 ? null : field.substring(eq + 1);
            switch (key) {
                case "type" -> type = value;
                case "source", "src" -> source = value;
                case "target", "destination", "dst" -> target = value;
                case "readonly", "ro" -> readOnly = readOnlyValue(spec, value);
                default -> throw bad(spec, "unknown field " + Trace.quote(key)
                        + "; the fields are type, source, target and readonly");
            }
        }
        if (!"bind".equals(type)) {
            throw bad(spec, type == null ? "say type=bind, the only type mydocker has"
                    : "type " + Trace.quote(type) + " is not supported; the only type is bind");
        }
        if (source == null || target == null) {
            throw bad(spec, "a bind mount needs source=SRC and target=DST");
        }
        return of(spec, source, target, readOnly);
    }

    private static boolean readOnlyValue(String spec, String value) {
        if (value == null || value.equals("true") || value.equals("1")) {
            return true;
        }
        if (value.equals("false") || value.equals("0")) {
            return false;
        }
        throw bad(spec, "readonly takes true or false, not " + Trace.quote(value));
    }

    // tag::check[]
    private static Volume of(String spec, String source, String target, boolean readOnly) {
        if (source.isEmpty()) {
            throw bad(spec, "the source is empty");
        }
        if (!target.startsWith("/")) {
            throw bad(spec, "the target " + Trace.quote(target) + " must be an absolute path in the container");
        }
        String cleanTarget = Path.of(target).normalize().toString();
        if (cleanTarget.equals("/")) {
            throw bad(spec, "a volume cannot replace the container's root; mount it on a directory below /");
        }
        String realSource = existingSource(spec, source);
        return new Volume(realSource, cleanTarget, readOnly, Files.isDirectory(Path.of(realSource)));
    }

    /** Relative to the working directory; never created: a typo would otherwise become an empty volume. */
    private static String existingSource(String spec, String source) {
        Path path = Path.of(source).toAbsolutePath();
        try {
            return path.toRealPath().toString();
        } catch (NoSuchFileException e) {
            throw bad(spec, "the source " + path + " does not exist; create it first (mydocker does not)");
        } catch (IOException e) {
            throw bad(spec, "the source " + path + " cannot be reached: " + Errors.reason(e)
                    + " (it must be reachable by you, the user who runs mydocker)");
        }
    }

    /** Refuses two volumes on one target, and orders them so that /a is mounted before /a/b. */
    static List<Volume> checkAll(List<Volume> volumes) {
        Set<String> targets = new HashSet<>();
        for (Volume v : volumes) {
            if (!targets.add(v.target)) {
                throw new MydockerException("two volumes on " + v.target + ": give each target once");
            }
        }
        List<Volume> sorted = new ArrayList<>(volumes);
        sorted.sort(Comparator.comparingInt(v -> Path.of(v.target).getNameCount()));
        return sorted;
    }
    // end::check[]

    private static MydockerException bad(String spec, String why) {
        return new MydockerException("invalid volume " + Trace.quote(spec) + ": " + why);
    }

    /** SRC:DST or SRC:DST:ro, as -v takes it and ps shows it. */
    @Override
    public String toString() {
        return source + ":" + target + (readOnly ? ":ro" : "");
    }
}
