package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A path inside a container's root, resolved as the container will see it once the root is
 * "/": its symlinks are read and followed, but an absolute one starts again at the container's
 * root and ".." stops there. What chroot would do, done by hand before there is a chroot.
 */
final class InRoot {

    /** As the kernel's MAXSYMLINKS: more links than this in one path is a loop (ELOOP). */
    private static final int MAX_SYMLINKS = 40;

    private InRoot() {}

    // tag::resolve[]
    /**
     * The parts of {@code path} below {@code root} with every symlink replaced by what it
     * points to, so that the result names no symlink at all. Parts that do not exist yet are
     * kept as they are: they are the mount point to create.
     */
    static List<String> resolve(String root, String path) {
        Deque<String> todo = new ArrayDeque<>(parts(path));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.removeFirst();
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1); // ".." at the root is the root, as in the kernel
                }
                continue;
            }
            Path onHost = Path.of(root, String.join("/", done), part);
            if (!Files.isSymbolicLink(onHost)) {
                done.add(part); // a directory, a file, or a part still to be created
                continue;
            }
            if (++links > MAX_SYMLINKS) {
                throw new MydockerException("resolving " + path + " in the container: too many symbolic links"
                        + " (a loop?); ELOOP");
            }
            String target = readLink(onHost);
            if (target.startsWith("/")) {
                done.clear(); // absolute: from the container's root, never the host's
            }
            List<String> rest = parts(target);
            for (int i = rest.size() - 1; i >= 0; i--) {
                todo.addFirst(rest.get(i));
            }
        }
        return done;
    }
    // end::resolve[]

    /** The non-empty parts of a path, without "." (which changes nothing). */
    private static List<String> parts(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return parts;
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new MydockerException("reading the symbolic link " + link + ": " + Errors.reason(e)
                    + " (something changed the container's files while it started)");
        }
    }
}
