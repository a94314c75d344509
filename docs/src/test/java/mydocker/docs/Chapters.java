package mydocker.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The repository as the docs checks see it: the step modules in order, and their chapters. */
final class Chapters {

    static final Path REPO = Path.of(System.getProperty("docs.repo", "..")).toAbsolutePath().normalize();
    static final Path SITE = Path.of(System.getProperty("docs.site", "target/site")).toAbsolutePath().normalize();
    static final Path GENERATED = Path.of(System.getProperty("docs.generated", "target/generated-adoc"))
            .toAbsolutePath().normalize();

    private Chapters() {
    }

    /** step01-namespaces, step02-userns, ...: the directories the site generator diffs. */
    static List<String> steps() throws IOException {
        try (Stream<Path> dirs = Files.list(REPO)) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("step\\d\\d-.+") && Files.isRegularFile(REPO.resolve(name).resolve("pom.xml")))
                    .sorted().toList();
        }
    }

    static List<String> chapterLines(String step) throws IOException {
        return Files.readAllLines(REPO.resolve(step).resolve("README.adoc"));
    }

    /**
     * The lines of one level-1 section ("== Title"), without its title, up to the next level-1
     * section. Empty if the chapter has no such section.
     */
    static List<String> section(List<String> chapter, String title) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        String fence = null;
        for (String line : chapter) {
            if (fence == null && line.startsWith("== ")) {
                if (in) break;
                in = line.substring(3).trim().equals(title);
                continue;
            }
            if (fence == null && line.matches("-{4,}|\\.{4,}|={4,}")) {
                fence = line;
            } else if (line.equals(fence)) {
                fence = null;
            }
            if (in) lines.add(line);
        }
        return lines;
    }

    static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

    static boolean root() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
