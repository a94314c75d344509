package mydocker;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * docker's pull progress: a line per layer, named by the first 12 hex digits of its digest.
 * At a terminal each line is rewritten in place as bytes arrive (ANSI: cursor up, erase line,
 * cursor down); elsewhere, as in a log, a line is printed for each change of status only. A
 * library (jansi, progressbar) would bring the same two escapes and a dependency more.
 */
final class Progress {

    private final List<String> ids;
    private final List<String> lines = new ArrayList<>();
    private final boolean terminal = System.console() != null;
    private final PrintStream out = System.out;
    private final long[] shown;
    private boolean drawn;

    Progress(List<String> ids) {
        this.ids = ids;
        this.shown = new long[ids.size()];
        for (String id : ids) {
            lines.add(id + ": Pulling fs layer");
        }
    }

    // tag::progress[]
    synchronized void status(int i, String status) {
        set(i, ids.get(i) + ": " + status, true);
    }

    /** Bytes of a layer downloaded so far; redrawn at most once per 1% or 256 KiB, not for every read. */
    synchronized void bytes(int i, long done, long total) {
        if (done - shown[i] < Math.max(256 << 10, total / 100) && done != total) {
            return;
        }
        boolean first = shown[i] == 0;
        shown[i] = done;
        int width = 30;
        int filled = total == 0 ? width : (int) (width * done / total);
        String bar = "[" + "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(width - filled) + "]";
        set(i, ids.get(i) + ": Downloading " + bar + " " + mb(done) + "/" + mb(total), first);
    }

    private void set(int i, String line, boolean changed) {
        lines.set(i, line);
        if (!terminal) {
            if (changed) {
                out.println(line.replaceFirst(" \\[.*\\] .*/", " ")); // the total, once, without a bar
            }
            return;
        }
        if (!drawn) {
            lines.forEach(out::println);
            drawn = true;
            return;
        }
        int up = lines.size() - i;
        out.print("\033[" + up + "A\r\033[2K" + line + "\033[" + up + "B\r");
        out.flush();
    }
    // end::progress[]

    synchronized void finish() {
        out.flush();
    }

    private static String mb(long bytes) {
        return bytes < 1_000_000 ? String.format("%.1fkB", bytes / 1e3) : String.format("%.1fMB", bytes / 1e6);
    }
}
