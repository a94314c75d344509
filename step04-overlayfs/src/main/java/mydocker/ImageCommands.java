package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** The image commands: import, images and rmi. */
final class ImageCommands {

    private ImageCommands() {}

    @Command(name = "import", description = "Import a root filesystem tar (plain or gzip) as a one-layer image.")
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE")
        Path source;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            // Under the lock: a concurrent rmi must not take a layer this import has just put in
            // place, and two imports of one layer must not both rename it there.
            Image image = store.locked("images", () -> new ImageImport(store).run(source, name));
            System.out.println(image.name() + ": " + image.layers().size() + " layer(s)");
            return 0;
        }
    }

    @Command(name = "images", description = "List images.")
    static final class Images implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            System.out.printf("%-24s %-7s %s%n", "NAME", "LAYERS", "SIZE");
            for (String name : Image.names(store)) {
                Image image = Image.load(store, name);
                long size = 0;
                for (String layer : image.layers()) {
                    size += du(store.layer(layer));
                }
                System.out.printf("%-24s %-7d %.1f MB%n", name, image.layers().size(), size / 1e6);
            }
            return 0;
        }
    }

    @Command(name = "rmi", description = "Remove an image, and the layers no other image uses.")
    static final class Rmi implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws IOException {
            Store store = Store.open();
            // Images, then containers: the order every command takes the two locks in.
            return store.locked("images", () -> store.locked("containers", () -> remove(store)));
        }

        private Integer remove(Store store) throws IOException {
            Image.load(store, name);
            for (ContainerState c : ContainerState.all(store)) {
                if (c.image().equals(name)) {
                    throw new MydockerException("image " + Trace.quote(name) + " is used by container " + c.name()
                            + "; remove it first (mydocker rm " + c.name() + ")");
                }
            }
            Files.delete(store.image(name));
            Set<String> used = new HashSet<>();
            for (String other : Image.names(store)) {
                used.addAll(Image.load(store, other).layers().stream().map(Store::hex).toList());
            }
            try (Stream<Path> layers = Files.list(store.root.resolve("layers"))) {
                for (Path layer : (Iterable<Path>) layers::iterator) {
                    if (!used.contains(layer.getFileName().toString())) {
                        store.discard(layer); // renamed into tmp/ first: killed, it leaves no half layer to reuse
                    }
                }
            }
            return 0;
        }
    }

    static long du(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }
}
