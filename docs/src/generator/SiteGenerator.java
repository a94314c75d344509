import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes the parts of the course site that come from the code rather than from a writer: one
 * AsciiDoc page per step transition (the unified diff of the step directory against the
 * previous step's, with a file-by-file summary), the list of files each transition changes
 * (which the docs tests hold the chapters to), and the step ladder picture with each step's
 * size in lines.
 *
 * Run by the docs module at generate-resources as a single-file program, so that it needs no
 * compile step of its own: java SiteGenerator.java REPO OUT IMAGES
 *
 * The diff is the system's diff(1), run once per changed file: it is the tool the chapters
 * tell learners to run, so the site shows exactly what they will see.
 */
public class SiteGenerator {

    record Step(String name, Path dir, String description, int mainLines, int testLines) {
        String number() { return name.substring(4, 6); }
    }

    record FileChange(String path, char status, int added, int removed, String diff) {
        String statusWord() {
            return switch (status) { case 'A' -> "added"; case 'D' -> "removed"; default -> "changed"; };
        }
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toRealPath();
        Path out = Path.of(args[1]);
        Path images = Path.of(args[2]);
        Files.createDirectories(out);
        Files.createDirectories(images);
        List<Step> steps = steps(repo);
        List<List<FileChange>> transitions = new ArrayList<>();
        for (int i = 1; i < steps.size(); i++) {
            Step from = steps.get(i - 1), to = steps.get(i);
            List<FileChange> changes = changes(from, to);
            transitions.add(changes);
            String id = from.number() + "-" + to.number();
            write(out.resolve("diff-" + id + ".adoc"), diffPage(from, to, changes));
            write(out.resolve("changed-" + id + ".txt"), changedList(changes));
        }
        write(images.resolve("ladder.svg"), ladderSvg(steps, transitions));
        write(out.resolve("ladder-table.adoc"), ladderTable(steps, transitions));
        write(out.resolve("performance-results.adoc"), performanceResults(repo));
        System.out.println("SiteGenerator: " + steps.size() + " steps, " + transitions.size() + " diffs in " + out);
    }

    /** The step modules, in order: step01-..., step02-..., each a directory with a pom. */
    static List<Step> steps(Path repo) throws IOException {
        List<Step> steps = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(repo)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (name.matches("step\\d\\d-.+") && Files.isRegularFile(dir.resolve("pom.xml"))) {
                    steps.add(new Step(name, dir, description(dir.resolve("pom.xml")),
                            lines(dir.resolve("src/main")), lines(dir.resolve("src/test"))));
                }
            }
        }
        if (steps.size() < 2) {
            throw new IllegalStateException("expected step modules in " + repo + ", found " + steps.size());
        }
        return steps;
    }

    static String description(Path pom) throws IOException {
        Matcher m = Pattern.compile("<description>(.*?)</description>", Pattern.DOTALL).matcher(Files.readString(pom));
        return m.find() ? m.group(1).trim().replaceAll("\\s+", " ") : "";
    }

    static int lines(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        for (String file : files(dir)) {
            n += Files.readAllLines(dir.resolve(file), StandardCharsets.UTF_8).size();
        }
        return n;
    }

    /**
     * The files of a step as the chapters count them: everything in the step directory except
     * its chapter (README.adoc) and the build output (target/).
     */
    static TreeSet<String> stepFiles(Path stepDir) throws IOException {
        TreeSet<String> files = files(stepDir);
        files.removeIf(f -> f.equals("README.adoc") || f.startsWith("target/"));
        return files;
    }

    static TreeSet<String> files(Path dir) throws IOException {
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(p -> files.add(dir.relativize(p).toString()));
        }
        return files;
    }

    static List<FileChange> changes(Step from, Step to) throws IOException, InterruptedException {
        TreeSet<String> all = stepFiles(from.dir());
        all.addAll(stepFiles(to.dir()));
        List<FileChange> changes = new ArrayList<>();
        for (String path : all) {
            Path a = from.dir().resolve(path), b = to.dir().resolve(path);
            boolean inA = Files.isRegularFile(a), inB = Files.isRegularFile(b);
            if (inA && inB && Files.mismatch(a, b) == -1) {
                continue;
            }
            String diff = diff(inA ? a : Path.of("/dev/null"), inB ? b : Path.of("/dev/null"),
                    from.name() + "/" + path, to.name() + "/" + path);
            int added = 0, removed = 0;
            for (String line : diff.split("\n", -1)) {
                if (line.startsWith("+") && !line.startsWith("+++ ")) added++;
                if (line.startsWith("-") && !line.startsWith("--- ")) removed++;
            }
            changes.add(new FileChange(path, !inA ? 'A' : !inB ? 'D' : 'M', added, removed, diff));
        }
        return changes;
    }

    /** diff -u of one file; exit status 1 means "they differ", anything but 0 or 1 is trouble. */
    static String diff(Path a, Path b, String labelA, String labelB) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("diff", "-u", "--label", labelA, "--label", labelB, a.toString(), b.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        if (status != 0 && status != 1) {
            throw new IOException("diff " + a + " " + b + " exited " + status);
        }
        return out;
    }

    static String diffPage(Step from, Step to, List<FileChange> changes) {
        int added = 0, removed = 0;
        for (FileChange c : changes) { added += c.added(); removed += c.removed(); }
        StringBuilder s = new StringBuilder();
        s.append("= From ").append(from.name()).append(" to ").append(to.name()).append('\n')
         .append(":toc:\n:toclevels: 1\n\n")
         .append("Generated at build time from the source tree: the unified diff of `").append(to.name())
         .append("` against `").append(from.name()).append("`, every file but the chapter (README.adoc) and ")
         .append("`target/`. The chapter explains it: link:").append(to.name().substring(0, 6)).append(".html[")
         .append(to.name()).append("]. To see it in a terminal, from the repository root:\n\n")
         .append("[source,console]\n----\n$ diff -ruN -x target -x README.adoc ").append(from.name()).append(' ')
         .append(to.name()).append("\n----\n\n")
         .append("== Summary\n\n")
         .append(count(changes, 'A')).append(" added, ").append(count(changes, 'M')).append(" changed, ")
         .append(count(changes, 'D')).append(" removed; ").append(added).append(" lines added, ")
         .append(removed).append(" removed.\n\n")
         .append("[cols=\"4,1,1,1\",options=\"header\",role=\"diff-summary\"]\n|===\n| File | Change | + | \u2212\n");
        for (int i = 0; i < changes.size(); i++) {
            FileChange c = changes.get(i);
            s.append("| <<file-").append(i + 1).append(",`").append(c.path()).append("`>> | ").append(c.statusWord())
             .append(" | ").append(c.added()).append(" | ").append(c.removed()).append('\n');
        }
        s.append("|===\n");
        for (int i = 0; i < changes.size(); i++) {
            FileChange c = changes.get(i);
            String fence = fence(c.diff());
            s.append("\n[#file-").append(i + 1).append("]\n== `").append(c.path()).append("`: ")
             .append(c.statusWord()).append(", +").append(c.added()).append(" \u2212").append(c.removed())
             .append("\n\n[source,diff,subs=\"-callouts\"]\n").append(fence).append('\n').append(c.diff());
            if (!c.diff().endsWith("\n")) s.append('\n');
            s.append(fence).append('\n');
        }
        return s.toString();
    }

    /** A listing delimiter longer than any run of dashes alone on a line of the diff. */
    static String fence(String text) {
        int longest = 0;
        for (String line : text.split("\n")) {
            if (line.matches("-+")) longest = Math.max(longest, line.length());
        }
        return "-".repeat(Math.max(4, longest + 1));
    }

    static long count(List<FileChange> changes, char status) {
        return changes.stream().filter(c -> c.status() == status).count();
    }

    static String changedList(List<FileChange> changes) {
        StringBuilder s = new StringBuilder();
        for (FileChange c : changes) s.append(c.status()).append(' ').append(c.path()).append('\n');
        return s.toString();
    }

    static String ladderTable(List<Step> steps, List<List<FileChange>> transitions) {
        StringBuilder s = new StringBuilder("[cols=\"2,5,1,1,2\",options=\"header\"]\n|===\n"
                + "| Step | What it adds | Main lines | Test lines | Diff from the previous step\n");
        for (int i = 0; i < steps.size(); i++) {
            Step st = steps.get(i);
            s.append("| link:").append(st.name().substring(0, 6)).append(".html[").append(st.name()).append("] | ")
             .append(st.description()).append(" | ").append(st.mainLines()).append(" | ").append(st.testLines()).append(" | ");
            if (i == 0) {
                s.append("(the base)");
            } else {
                List<FileChange> t = transitions.get(i - 1);
                String id = steps.get(i - 1).number() + "-" + st.number();
                s.append("link:diff-").append(id).append(".html[").append(t.size()).append(" files, +")
                 .append(t.stream().mapToInt(FileChange::added).sum()).append(" \u2212")
                 .append(t.stream().mapToInt(FileChange::removed).sum()).append(']');
            }
            s.append('\n');
        }
        return s.append("|===\n").toString();
    }

    /** The benchmark's results, written by bench/ (not by this build), when someone has run it. */
    static String performanceResults(Path repo) {
        Path results = repo.resolve("bench/results/start-latency.adoc");
        if (Files.isRegularFile(results)) {
            return "include::{repo}/bench/results/start-latency.adoc[leveloffset=+1]\n";
        }
        return "No results in this build: `bench/results/start-latency.adoc` does not exist yet. Run the "
                + "start-latency benchmark in `bench/` (see `bench/README.md`), then rebuild the site.\n";
    }

    /** The ladder: one box per step, each a rung higher, with what it adds and its size. */
    static String ladderSvg(List<Step> steps, List<List<FileChange>> transitions) {
        int boxW = 560, boxH = 74, dx = 40, dy = 84, pad = 10;
        int width = boxW + dx * (steps.size() - 1) + 2 * pad, height = boxH + dy * (steps.size() - 1) + 2 * pad;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
         .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" font-family=\"sans-serif\">\n")
         .append("<title>The step ladder: each step adds one capability to the previous one</title>\n");
        for (int i = 0; i < steps.size(); i++) {
            Step st = steps.get(i);
            int x = pad + dx * i, y = pad + dy * (steps.size() - 1 - i);
            String size = String.format(Locale.ROOT, "%,d lines of code, %,d of tests", st.mainLines(), st.testLines());
            if (i > 0) {
                List<FileChange> t = transitions.get(i - 1);
                size += String.format(Locale.ROOT, "  (+%,d \u2212%,d in %d files)",
                        t.stream().mapToInt(FileChange::added).sum(), t.stream().mapToInt(FileChange::removed).sum(), t.size());
            }
            s.append("<g class=\"step\">\n")
             .append("  <rect x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(boxW)
             .append("\" height=\"").append(boxH).append("\" rx=\"6\" fill=\"").append(i % 2 == 0 ? "#e8f0fb" : "#eef7ea")
             .append("\" stroke=\"#4a6a8a\"/>\n")
             .append("  <text x=\"").append(x + 12).append("\" y=\"").append(y + 22).append("\" font-size=\"16\" font-weight=\"bold\">")
             .append(xml(st.name())).append("</text>\n")
             .append("  <text x=\"").append(x + 12).append("\" y=\"").append(y + 43).append("\" font-size=\"13\">")
             .append(xml(shorten(st.description(), 78))).append("</text>\n")
             .append("  <text x=\"").append(x + 12).append("\" y=\"").append(y + 63).append("\" font-size=\"12\" fill=\"#555\">")
             .append(xml(size)).append("</text>\n</g>\n");
        }
        return s.append("</svg>\n").toString();
    }

    static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, text.lastIndexOf(' ', max - 1)) + " \u2026";
    }

    static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
