package mydocker.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every runnable command of every chapter's "How to check your work" against the built
 * step, as a learner would type it, and compares its output with what the chapter says.
 *
 * Each command runs with /bin/sh from the repository root, as root, stdout and stderr together,
 * with M set to the step's launcher and, for the steps that have images, MYDOCKER_ROOT set to a
 * fresh store holding the busybox image made by scripts/busybox-rootfs.sh. The commands of one
 * chapter run in order and share that store.
 */
class RunnableBlocksTest {

    static final Path STORES = Path.of("/tmp/mydocker-test-stores", Chapters.REPO.getFileName() + "-docs");
    static Path busyboxTar;

    @BeforeAll
    static void rootAndImage() throws Exception {
        if (!Chapters.root()) {
            if (Chapters.ci()) fail("CI=true: the chapters' commands run containers as root, and this is not root");
            assumeTrue(false, "the chapters' commands run containers as root; run as root (with CI=true this fails)");
        }
        Files.createDirectories(STORES);
        busyboxTar = STORES.resolve("busybox.tar");
        Run made = run(List.of("scripts/busybox-rootfs.sh", busyboxTar.toString()), List.of());
        assertEquals(0, made.status, "scripts/busybox-rootfs.sh failed:\n" + made.output);
    }

    @AfterAll
    static void removeStores() throws Exception {
        if (Chapters.root()) run(List.of("rm", "-rf", STORES.toString()), List.of());
    }

    @Test
    void matchingAllowsEllipsisForAnyLines() {
        assertTrue(RunnableBlocks.matches(List.of("a", "...", "d"), List.of("a", "b", "c", "d")));
        assertTrue(RunnableBlocks.matches(List.of("a", "...", "b"), List.of("a", "b")));
        assertFalse(RunnableBlocks.matches(List.of("a", "b"), List.of("a", "b", "c")));
        assertFalse(RunnableBlocks.matches(List.of("a", "...", "d"), List.of("a", "b", "c")));
    }

    static List<String> steps() throws IOException {
        return Chapters.steps();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("steps")
    void chapterCommandsPrintWhatTheChapterSays(String step) throws Exception {
        List<String> section = Chapters.section(Chapters.chapterLines(step), RunnableBlocks.SECTION);
        RunnableBlocks blocks = RunnableBlocks.parse(section);
        assertFalse(blocks.commands().isEmpty(), step + "/README.adoc: '== " + RunnableBlocks.SECTION
                + "' has no " + RunnableBlocks.MARKER + " listing");

        List<String> env = new ArrayList<>(List.of("M=" + step + "/mydocker"));
        if (Files.isRegularFile(Chapters.REPO.resolve(step).resolve("src/main/java/mydocker/ImageCommands.java"))) {
            Path store = STORES.resolve(step);
            run(List.of("rm", "-rf", store.toString()), List.of());
            env.add("MYDOCKER_ROOT=" + store);
            Run imported = run(List.of(step + "/mydocker", "import", busyboxTar.toString(), "busybox"), env);
            assertEquals(0, imported.status, step + ": importing busybox failed:\n" + imported.output);
        }

        List<String> failures = new ArrayList<>();
        for (RunnableBlocks.Command c : blocks.commands()) {
            Run r = run(List.of("/bin/sh", "-c", c.line()), env);
            List<String> actual = r.output.isEmpty() ? List.of() : Arrays.asList(r.output.split("\n", -1));
            if (!actual.isEmpty() && actual.get(actual.size() - 1).isEmpty()) actual = actual.subList(0, actual.size() - 1);
            if (!RunnableBlocks.matches(c.expected(), actual)) {
                failures.add("$ " + c.line() + "\n  expected:\n    " + String.join("\n    ", c.expected())
                        + "\n  got:\n    " + String.join("\n    ", actual));
            }
        }
        if (!failures.isEmpty()) {
            fail(step + "/README.adoc, '== " + RunnableBlocks.SECTION + "': " + failures.size()
                    + " command(s) printed something else:\n" + String.join("\n", failures));
        }
    }

    record Run(int status, String output) {
    }

    static Run run(List<String> command, List<String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(Chapters.REPO.toFile())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getInputStream().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return new Run(-1, "timed out after 120 s: " + command);
        }
        return new Run(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8));
    }
}
