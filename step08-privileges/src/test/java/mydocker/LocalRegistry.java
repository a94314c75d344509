package mydocker;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1 at a free port, its
 * config and storage in a directory of the test's, and skopeo to push OCI layouts into it.
 */
final class LocalRegistry implements AutoCloseable {

    final Path dir;
    final int port;
    private final Process process;
    private final String creds;

    private LocalRegistry(Path dir, int port, Process process, String creds) {
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.creds = creds;
    }

    /** A registry anyone may pull from and push to. */
    static LocalRegistry start(Path dir) throws IOException {
        return start(dir, null, null);
    }

    /** A registry that wants basic auth as user:password (htpasswd's bcrypt line, as the registry needs). */
    static LocalRegistry start(Path dir, String user, String password) throws IOException {
        Mydocker.requireCommand("docker-registry");
        Mydocker.requireCommand("skopeo");
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String config = "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n";
        if (user != null) {
            Mydocker.requireCommand("htpasswd");
            Files.writeString(dir.resolve("htpasswd"), Mydocker.host("htpasswd", "-Bbn", user, password));
            config += "auth:\n  htpasswd:\n    realm: test\n    path: " + dir.resolve("htpasswd") + "\n";
        }
        Files.writeString(dir.resolve("config.yml"), config);
        Process p = new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        LocalRegistry registry = new LocalRegistry(dir, port, p, user == null ? null : user + ":" + password);
        registry.awaitListening();
        return registry;
    }

    /** Waits until the registry accepts connections, or has died (then its log says why). */
    private void awaitListening() throws IOException {
        for (int i = 0; ; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive() || i == 600) {
                    close();
                    fail("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
                }
                sleep(50);
            }
        }
    }

    String host() {
        return "127.0.0.1:" + port;
    }

    /** skopeo copy of an OCI image layout into REPOSITORY:TAG; returns host/REPOSITORY:TAG. */
    String push(Path layout, String repositoryAndTag, String... options) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false"));
        cmd.addAll(List.of(options));
        if (creds != null) {
            cmd.addAll(List.of("--dest-creds", creds));
        }
        cmd.addAll(List.of("oci:" + layout, "docker://" + host() + "/" + repositoryAndTag));
        Mydocker.host(cmd.toArray(String[]::new));
        return host() + "/" + repositoryAndTag;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("registry.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
