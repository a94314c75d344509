package mydocker.docs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each chapter's "What changed since the previous step" names, in backticks, every file its step
 * adds, changes or removes, and no other file of the step: held against the generated diff, so
 * the notes cannot drift from the code.
 */
class ChangedFilesTest {

    static final String SECTION = "What changed since the previous step";
    /** Something in backticks that can only be meant as a file name. */
    static final Pattern FILE_LIKE = Pattern.compile("[\\w.-]+\\.(java|xml)");

    static List<String> transitions() throws IOException {
        List<String> steps = Chapters.steps();
        List<String> pairs = new ArrayList<>();
        for (int i = 1; i < steps.size(); i++) pairs.add(steps.get(i - 1) + " " + steps.get(i));
        return pairs;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitions")
    void chapterNamesExactlyTheFilesTheDiffChanges(String pair) throws IOException {
        String from = pair.split(" ")[0], to = pair.split(" ")[1];
        Path list = Chapters.GENERATED.resolve("changed-" + from.substring(4, 6) + "-" + to.substring(4, 6) + ".txt");
        assertTrue(Files.isRegularFile(list), list + " is missing: the site generator did not run");
        TreeSet<String> changed = new TreeSet<>();
        for (String line : Files.readAllLines(list)) changed.add(baseName(line.substring(2)));
        assertFalse(changed.isEmpty(), "the diff " + from + " -> " + to + " changes nothing");

        List<String> section = Chapters.section(Chapters.chapterLines(to), SECTION);
        assertFalse(section.isEmpty(), to + "/README.adoc has no section '== " + SECTION + "'");
        Set<String> known = baseNames(from);
        known.addAll(baseNames(to));
        TreeSet<String> named = new TreeSet<>(), unknown = new TreeSet<>();
        Matcher m = Pattern.compile("`([^`]+)`").matcher(String.join("\n", section));
        while (m.find()) {
            String token = m.group(1).trim();
            if (token.equals("README.adoc")) continue;
            if (known.contains(token)) named.add(token);
            else if (FILE_LIKE.matcher(token).matches()) unknown.add(token);
        }

        TreeSet<String> missing = new TreeSet<>(changed);
        missing.removeAll(named);
        TreeSet<String> unchanged = new TreeSet<>(named);
        unchanged.removeAll(changed);
        String where = to + "/README.adoc, section '== " + SECTION + "'";
        assertTrue(missing.isEmpty() && unchanged.isEmpty() && unknown.isEmpty(), where + " disagrees with the diff "
                + from + " -> " + to + ":\n  changed but not named: " + missing
                + "\n  named but unchanged: " + unchanged
                + "\n  named but in neither step: " + unknown
                + "\n(name each added, changed or removed file in backticks, e.g. `Volume.java`; see "
                + list + ")");
    }

    static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The file names of a step as the generator counts them: not README.adoc, nothing in target/. */
    static Set<String> baseNames(String step) throws IOException {
        Path dir = Chapters.REPO.resolve(step);
        try (Stream<Path> walk = Files.walk(dir)) {
            Set<String> names = new TreeSet<>();
            walk.filter(Files::isRegularFile).map(dir::relativize)
                    .filter(p -> !p.startsWith("target") && !p.toString().equals("README.adoc"))
                    .forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }
}
