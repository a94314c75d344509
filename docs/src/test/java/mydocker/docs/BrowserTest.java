package mydocker.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Opens every page of the rendered site in headless Chromium, as a reader would: each loads
 * without console errors or failed loads, every image (the diagrams included) is decoded, and
 * the diff pages show highlighted code. Keeps a screenshot of the index and of a chapter.
 */
class BrowserTest {

    static final Path SCREENSHOTS = Path.of(System.getProperty("docs.screenshots", "target/screenshots"));
    static Chromium browser;
    static Path profile;

    @BeforeAll
    static void startChromium() throws Exception {
        String binary = Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser")
                .filter(b -> Files.isExecutable(Path.of(b))).findFirst().orElse(null);
        if (binary == null) {
            if (Chapters.ci()) fail("chromium is not installed (.ci/run installs it: apt-get install chromium)");
            assumeTrue(false, "chromium is not installed; apt-get install chromium to run the browser check");
        }
        profile = Files.createTempDirectory("docs-chromium-");
        browser = Chromium.start(binary, profile);
        browser.send("Emulation.setDeviceMetricsOverride",
                Map.of("width", 1280, "height", 1400, "deviceScaleFactor", 1, "mobile", false));
    }

    @AfterAll
    static void stopChromium() throws Exception {
        if (browser != null) browser.close();
        // Chromium fills its profile with tens of megabytes, and deleteOnExit removes only an
        // empty directory. rm, because chromium's last helper processes may still be writing there.
        if (profile != null) new ProcessBuilder("rm", "-rf", profile.toString()).inheritIO().start().waitFor();
    }

    record Page(List<String> problems, int images, int highlighted, int inserted, int deleted) {
    }

    /** Loads one page and reports what a reader would notice. */
    @SuppressWarnings("unchecked")
    static Page open(String name) throws Exception {
        Path file = Chapters.SITE.resolve(name);
        assertTrue(Files.isRegularFile(file), file + " was not rendered");
        browser.drainEvents();
        browser.send("Page.navigate", Map.of("url", file.toUri().toString()));
        List<String> problems = new ArrayList<>();
        if (!browser.awaitEvent("Page.loadEventFired", 30_000)) problems.add("no load event within 30 s");
        String script = "JSON.stringify({"
                + "broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),"
                + "images: document.images.length,"
                + "highlighted: document.querySelectorAll('pre.highlight code span[class]').length,"
                + "inserted: document.querySelectorAll('pre.highlight code span.gi').length,"
                + "deleted: document.querySelectorAll('pre.highlight code span.gd').length})";
        Map<String, Object> result = (Map<String, Object>) browser.send("Runtime.evaluate",
                Map.of("expression", script, "returnByValue", true)).get("result");
        Map<String, Object> facts = JSON.std.mapFrom((String) result.get("value"));
        for (Object src : (List<Object>) facts.get("broken")) problems.add("image not loaded: " + src);
        for (Map<String, Object> event : browser.drainEvents()) {
            Map<String, Object> params = (Map<String, Object>) event.getOrDefault("params", Map.of());
            switch (String.valueOf(event.get("method"))) {
                case "Runtime.exceptionThrown" -> problems.add("exception: " + params.get("exceptionDetails"));
                case "Runtime.consoleAPICalled" -> {
                    if ("error".equals(params.get("type")) || "assert".equals(params.get("type"))) {
                        problems.add("console." + params.get("type") + ": " + params.get("args"));
                    }
                }
                case "Log.entryAdded" -> {
                    Map<String, Object> entry = (Map<String, Object>) params.get("entry");
                    if ("error".equals(entry.get("level"))) problems.add("console error: " + entry.get("text") + " " + entry.get("url"));
                }
                case "Network.loadingFailed" -> problems.add("failed load: " + params.get("errorText") + " " + params.get("requestId"));
                default -> { }
            }
        }
        return new Page(problems, ((Number) facts.get("images")).intValue(), ((Number) facts.get("highlighted")).intValue(),
                ((Number) facts.get("inserted")).intValue(), ((Number) facts.get("deleted")).intValue());
    }

    @Test
    void everyPageLoadsCleanly() throws Exception {
        List<String> pages;
        try (Stream<Path> files = Files.list(Chapters.SITE)) {
            pages = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".html")).sorted().toList();
        }
        assertTrue(pages.containsAll(List.of("index.html", "troubleshooting.html", "labs.html", "performance.html")),
                "pages missing from " + Chapters.SITE + ": " + pages);
        List<String> failures = new ArrayList<>();
        for (String name : pages) {
            Page page = open(name);
            if (!page.problems().isEmpty()) failures.add(name + ": " + String.join("; ", page.problems()));
            if (page.highlighted() == 0 && (name.startsWith("step") || name.startsWith("diff-"))) {
                failures.add(name + ": no highlighted code");
            }
        }
        if (!failures.isEmpty()) fail(String.join("\n", failures) + "\nchromium said:\n" + browser.stderr());
    }

    @Test
    void indexShowsTheLadderAndBothDiagrams() throws Exception {
        Page index = open("index.html");
        assertTrue(index.problems().isEmpty(), "index.html: " + index.problems());
        assertTrue(index.images() >= 3, "index.html shows " + index.images() + " images; expected the ladder and two diagrams");
        screenshot("index.png");
        Page chapter = open("step04.html");
        assertTrue(chapter.images() >= 1, "step04.html shows no overlay diagram");
        screenshot("step04.png");
    }

    @Test
    void diffPagesShowAdditionsAndRemovalsHighlighted() throws Exception {
        List<String> steps = Chapters.steps();
        for (int i = 1; i < steps.size(); i++) {
            String name = "diff-" + steps.get(i - 1).substring(4, 6) + "-" + steps.get(i).substring(4, 6) + ".html";
            Page page = open(name);
            assertTrue(page.inserted() > 0 && page.deleted() > 0, name + ": expected highlighted added and removed lines, got "
                    + page.inserted() + " added and " + page.deleted() + " removed");
        }
    }

    static void screenshot(String name) throws Exception {
        String png = (String) browser.send("Page.captureScreenshot", Map.of("format", "png")).get("data");
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name), Base64.getDecoder().decode(png));
    }
}
