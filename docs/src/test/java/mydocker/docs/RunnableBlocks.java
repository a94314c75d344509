package mydocker.docs;

import java.util.ArrayList;
import java.util.List;

/**
 * The runnable listings of a chapter's "How to check your work": `[source,console,role=runnable]`
 * blocks in which a line starting with "$ " is a command, and the lines after it, up to the next
 * command, are its exact output; a line "..." stands for any number of lines.
 */
record RunnableBlocks(List<Command> commands) {

    static final String SECTION = "How to check your work";
    static final String MARKER = "[source,console,role=runnable]";

    record Command(String line, List<String> expected, int lineInSection) {
    }

    static RunnableBlocks parse(List<String> section) {
        List<Command> commands = new ArrayList<>();
        for (int i = 0; i < section.size(); i++) {
            if (!section.get(i).trim().equals(MARKER)) continue;
            String fence = section.get(++i);
            if (!fence.matches("-{4,}")) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + MARKER + " must be followed by a ---- listing");
            }
            Command current = null;
            for (i++; i < section.size() && !section.get(i).equals(fence); i++) {
                String line = section.get(i);
                if (line.startsWith("$ ")) {
                    current = new Command(line.substring(2), new ArrayList<>(), i + 1);
                    commands.add(current);
                } else if (current == null) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": a runnable listing starts with a '$ ' command");
                } else {
                    current.expected().add(line);
                }
            }
        }
        return new RunnableBlocks(commands);
    }

    /** Whether the output matches the expected lines, where a line "..." matches any lines. */
    static boolean matches(List<String> expected, List<String> actual) {
        return matches(expected, 0, actual, 0);
    }

    private static boolean matches(List<String> expected, int e, List<String> actual, int a) {
        if (e == expected.size()) return a == actual.size();
        if (expected.get(e).equals("...")) {
            for (int skip = a; skip <= actual.size(); skip++) {
                if (matches(expected, e + 1, actual, skip)) return true;
            }
            return false;
        }
        return a < actual.size() && expected.get(e).equals(actual.get(a)) && matches(expected, e + 1, actual, a + 1);
    }
}
