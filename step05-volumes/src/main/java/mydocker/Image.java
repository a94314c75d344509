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
            throw new MydockerException("invalid image name " + Trace.quote(name)
                    + ": use lowercase letters, digits, '.', '_', ':' and '-'");
        }
        return name;
    }

    static Image load(Store store, String name) {
        Path file = store.image(checkName(name));
        if (!Files.exists(file)) {
            throw new MydockerException("unknown image " + Trace.quote(name)
                    + ": import one with mydocker import FILE " + name + " (mydocker images lists them)");
        }
        try {
            Map<String, Object> json = JSON.std.mapFrom(Files.readString(file));
            return new Image(name, strings(json.get("layers")), strings(json.get("cmd")), strings(json.get("env")),
                    (String) json.getOrDefault("workingDir", ""));
        } catch (IOException | ClassCastException e) {
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

    @SuppressWarnings("unchecked")
    static List<String> strings(Object value) {
        if (value == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Object o : (List<Object>) value) {
            out.add(String.valueOf(o));
        }
        return out;
    }
}
