package mydocker;

import java.util.ArrayList;
import java.util.List;

/**
 * The last step of the plan: replace the child with the user's command, which so becomes
 * PID 1. Like execvp, a name without a slash is looked up in the command's PATH: since the
 * plan cannot decide while it runs, that is one execve step per PATH directory, each allowed
 * to fail with "not there" but the last.
 */
final class Exec {

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private Exec() {}

    // tag::exec[]
    /** The execve steps for {@code command}: its path, or each candidate from PATH. */
    static void execve(Plan plan, List<String> command, List<String> env) {
        String name = command.get(0);
        long argv = plan.strings(command);
        long envp = plan.strings(env);
        List<String> candidates = candidates(name, env);
        boolean searched = !name.contains("/");
        for (int i = 0; i < candidates.size(); i++) {
            String path = candidates.get(i);
            plan.execve(path, command, argv, envp, env.size())
                    .explain(e -> notStarted(name, path, e.errno, searchPath(env), searched));
            if (i < candidates.size() - 1) {
                plan.tolerate(Errors.ENOENT, Errors.ENOTDIR, Errors.EACCES);
            }
        }
    }
    // end::exec[]

    /** 127 when nothing was found, 126 when it was found but could not be executed. */
    private static MydockerException notStarted(String name, String path, int errno, String searchPath,
            boolean searched) {
        if (errno == Errors.ENOENT && searched) {
            return new MydockerException(ExitStatus.NOT_FOUND,
                    "exec " + Trace.quote(name) + ": executable file not found in $PATH (" + searchPath + ")");
        }
        int status = errno == Errors.ENOENT ? ExitStatus.NOT_FOUND : ExitStatus.NOT_EXECUTABLE;
        return new MydockerException(status, "exec " + Trace.quote(path) + ": " + Errors.describe(errno));
    }

    /** PATH lookup, as execvp(3) does it: a name with a slash is a path; otherwise each directory in turn. */
    static List<String> candidates(String name, List<String> env) {
        if (name.contains("/")) {
            return List.of(name);
        }
        List<String> paths = new ArrayList<>();
        for (String dir : searchPath(env).split(":")) {
            paths.add((dir.isEmpty() ? "." : dir) + "/" + name);
        }
        return paths;
    }

    private static String searchPath(List<String> env) {
        return env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5))
                .findFirst().orElse(DEFAULT_PATH);
    }

    // tag::close-inherited[]
    /**
     * The parent JVM holds descriptors of its own (jar files, the pipes), and the caller may
     * have left some open for it (a shell's {@code exec 7</some/dir}); none of them is the
     * container's. A path such as {@code /proc/self/fd/7} would lead through one onto the
     * host, so every descriptor but stdio and those the plan still needs is closed, before
     * any other step resolves a path. Those left are close-on-exec, or closed by a later step.
     */
    static void closeInherited(Plan plan, int... needed) {
        java.util.TreeSet<Integer> keep = new java.util.TreeSet<>(plan.kept());
        for (int fd : needed) {
            if (fd >= 0) {
                keep.add(fd);
            }
        }
        long from = 3;
        for (int fd : keep) {
            if (fd > from) {
                plan.closeRange(from, fd - 1);
            }
            from = Math.max(from, fd + 1L);
        }
        plan.closeRange(from, 0xFFFFFFFFL);
    }
    // end::close-inherited[]
}
