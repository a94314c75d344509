package mydocker;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An image: its layers, bottom first as OCI manifests list them, and the parts of its config
 * that run uses. Stored as images/NAME.json.
 */
record Image(String name, List<String> layers, List<String> cmd, List<String> env, String workingDir) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._:-]{0,127}");

    static String checkName(String name) {
        if (!NAME.matcher(name).matches() || name.contains("..")) {
            throw new MydockerException("invalid image name " + Store.quote(name)
                    + ": use lowercase letters, digits, '.', '_', ':' and '-'");
        }
        return name;
    }

    static Image load(Store store, String name) {
        Path file = store.image(checkName(name));
        if (!Files.exists(file)) {
            throw new MydockerException("unknown image " + Store.quote(name)
                    + ": import one with mydocker import FILE " + name + " (mydocker images lists them)");
        }
        try {
            Map<String, Object> json = object(parse(Files.readString(file), "it"), "it");
            return new Image(name, strings(json.get("layers"), "its layers"), strings(json.get("cmd"), "its cmd"),
                    strings(json.get("env"), "its env"), string(json.get("workingDir"), "its workingDir", ""));
        } catch (IOException | MydockerException e) {
            throw new MydockerException("reading image " + file + ": " + e.getMessage());
        }
    }

    static List<String> names(Store store) {
        try (var files = Files.list(store.root.resolve("images"))) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".json"))
                    .map(f -> f.substring(0, f.length() - 5)).sorted().toList();
        } catch (IOException e) {
            throw new MydockerException("listing images in " + store.root, e);
        }
    }

    /** Writes the image file whole, then renames it into place: a reader never sees half of it. */
    void save(Store store) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("layers", layers);
        json.put("cmd", cmd);
        json.put("env", env);
        json.put("workingDir", workingDir);
        try {
            Store.writeAtomically(store.image(name), JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(json));
        } catch (IOException e) {
            throw new MydockerException("writing image " + name, e);
        }
    }

    /**
     * The layer directories as overlay's lowerdir wants them: the topmost first. A layer that
     * comes again lower down (docker's empty layer often does) is given once, at its topmost
     * place: overlay refuses a directory twice (ELOOP), and everything the lower copy holds is
     * hidden by the upper one anyway.
     */
    List<String> lowerdirs(Store store) {
        List<String> dirs = new ArrayList<>();
        for (int i = layers.size() - 1; i >= 0; i--) {
            String dir = store.layer(layers.get(i)).toString();
            if (!dirs.contains(dir)) {
                dirs.add(dir);
            }
        }
        return dirs;
    }

    // tag::json[]
    /**
     * JSON from a file that mydocker did not write: any value, or one line that says where
     * the text stops being JSON (Jackson's own message spans two lines and hides the source).
     */
    static Object parse(String text, String what) {
        try {
            return JSON.std.anyFrom(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var at = e.getLocation();
            String problem = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("").strip();
            problem = problem.length() > 120 ? problem.substring(0, 120) + "..." : problem;
            throw new MydockerException(what + " is not valid JSON: " + problem
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + " (the file is damaged or was cut short)");
        } catch (IOException e) {
            throw new MydockerException(what + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A JSON object, or one line naming what it is instead. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value, String what) {
        if (value instanceof Map) {
            return (Map<String, Object>) value;
        }
        throw wrongType(what, value, "an object");
    }

    /** A JSON string, {@code absent} if there is none, or one line naming what it is instead. */
    static String string(Object value, String what, String absent) {
        if (value == null) {
            return absent;
        }
        if (value instanceof String s) {
            return s;
        }
        throw wrongType(what, value, "a string");
    }

    /** A JSON list of strings (numbers taken as written), empty if there is none, or one line naming what it is instead. */
    static List<String> strings(Object value, String what) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw wrongType(what, value, "a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof Map || o instanceof List) {
                throw wrongType(what, value, "a list of strings");
            }
            out.add(String.valueOf(o));
        }
        return out;
    }

    /** "the image config's Cmd is a string, not a list of strings (...)" */
    static MydockerException wrongType(String what, Object value, String expected) {
        return new MydockerException(what + " is " + kind(value) + ", not " + expected + (what.startsWith("import")
                ? " (the image is malformed: fix it where it was made, then import it again)"
                : " (the store's file is damaged: remove it)"));
    }

    private static String kind(Object value) {
        return value == null ? "null" : value instanceof String ? "a string" : value instanceof Number ? "a number"
                : value instanceof Boolean ? "a boolean" : value instanceof Map ? "an object"
                : value instanceof List<?> l && l.stream().anyMatch(o -> o instanceof Map || o instanceof List)
                        ? "a list of more than strings" : "a list";
    }
    // end::json[]
}
