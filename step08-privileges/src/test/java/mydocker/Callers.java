package mydocker;

import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Who starts the containers of a containment test: root, and from step02 on the ordinary user
 * the launcher runs as. Each is a shell command line that starts this step's launcher, for tests
 * that run it from a shell (under script(1), or holding a descriptor).
 */
final class Callers {

    private Callers() {}

    static Stream<Arguments> both() {
        String root = Mydocker.LAUNCHER.toString();
        String step = Mydocker.launcherCommand(); // step01: root's; from step02 on: uid 65534's
        Arguments asRoot = Arguments.of(Named.of("as root", root));
        return step.equals(root) ? Stream.of(asRoot)
                : Stream.of(asRoot, Arguments.of(Named.of("as uid " + Mydocker.NOBODY, step)));
    }
}
