package mydocker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code -e KEY=VALUE}, {@code -e KEY} and {@code --env-file FILE}, for run and exec, as docker reads them. */
final class Env {

    private Env() {}

    // tag::env[]
    /**
     * The variables the user gave: each env file's lines, then each -e, a later one replacing
     * an earlier one of the same name. {@code KEY} without '=' takes the caller's value, and
     * is left out when the caller has none (docker does both).
     */
    static List<String> given(List<String> envFiles, List<String> dashE) {
        List<String> entries = new ArrayList<>();
        for (String file : envFiles) {
            entries.addAll(readFile(file));
        }
        for (String e : dashE) {
            entries.add(check(e, "-e " + Trace.quote(e)));
        }
        List<String> resolved = new ArrayList<>();
        for (String e : entries) {
            if (e.indexOf('=') >= 0) {
                resolved.add(e);
            } else if (System.getenv(e) != null) {
                resolved.add(e + "=" + System.getenv(e));
            }
        }
        return resolved;
    }

    /** {@code over} on top of {@code base}: a name in both keeps base's place with over's value. */
    static List<String> merge(List<String> base, List<String> over) {
        Map<String, String> env = new LinkedHashMap<>();
        for (List<String> list : List.of(base, over)) {
            for (String e : list) {
                int eq = e.indexOf('=');
                env.put(eq < 0 ? e : e.substring(0, eq), e);
            }
        }
        return new ArrayList<>(env.values());
    }
    // end::env[]

    /** docker's env file: one KEY=VALUE or KEY a line, taken as it is; blank lines and # comments skipped. */
    private static List<String> readFile(String file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new MydockerException("--env-file " + Trace.quote(file) + ": No such file or directory"
                    + " (give the path of a file of KEY=VALUE lines)");
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
                    : e instanceof java.nio.charset.CharacterCodingException ? "not UTF-8 text"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e.getMessage() != null ? e.getMessage() // "Is a directory"
                    : e.getClass().getSimpleName();
            throw new MydockerException("--env-file " + Trace.quote(file) + ": " + why
                    + " (give a readable UTF-8 file of KEY=VALUE lines)");
        }
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.stripLeading();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            entries.add(check(trimmed, "--env-file " + Trace.quote(file) + " line " + (i + 1)));
        }
        return entries;
    }

    /** A name must be there, without blanks or NUL: execve's envp cannot carry what the shell could not name. */
    private static String check(String entry, String where) {
        int eq = entry.indexOf('=');
        String name = eq < 0 ? entry : entry.substring(0, eq);
        if (name.isEmpty() || name.chars().anyMatch(c -> Character.isWhitespace(c) || c == 0)
                || entry.indexOf('\0') >= 0) {
            throw new MydockerException(where + ": invalid variable " + Trace.quote(name)
                    + " (use KEY=VALUE, a name without blanks)");
        }
        return entry;
    }
}
