package mydocker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * An HTTP server in front of a {@link LocalRegistry}, for what a real network and real
 * registries do to a pull: it counts the requests, cuts a layer's connection halfway, alters
 * a byte, sends a layer longer than its descriptor or a manifest of many MB, redirects blobs
 * to another host name, and can demand a bearer token that its own token server at /token
 * hands out, as Docker Hub's auth.docker.io does.
 */
final class RegistryProxy implements AutoCloseable {

    enum Fault { NONE, CUT, FLIP, GROW, BIG_MANIFEST, STALL }

    /** A blob bigger than this is a layer (the tests' configs are a few hundred bytes). */
    private static final int LAYER = 4096;
    private static final String TOKEN = "token-for-the-tests";

    private final HttpServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final LocalRegistry registry;
    final List<String> requests = new ArrayList<>();
    volatile Fault fault = Fault.NONE;
    /** Whether /v2/ wants a bearer token from /token. */
    volatile boolean bearer;
    /** user:password the token server wants, or null to hand anyone a token. */
    volatile String tokenCredentials;
    /** Whether blobs are redirected to http://localhost:PORT/storage/..., as registries send them to S3. */
    volatile boolean redirect;
    volatile boolean storageSawAuthorization;
    /** STALL: counted down when half a layer is sent; the rest waits for release. */
    volatile java.util.concurrent.CountDownLatch stalled = new java.util.concurrent.CountDownLatch(1);
    volatile java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    RegistryProxy(LocalRegistry registry) throws IOException {
        this.registry = registry;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "proxy");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v2/", this::forward);
        server.createContext("/token", this::token);
        server.createContext("/storage/", this::storage);
        server.start();
    }

    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    synchronized void clear() {
        requests.clear();
    }

    private synchronized void count(HttpExchange x) {
        requests.add(x.getRequestMethod() + " " + x.getRequestURI().getPath());
    }

    private void token(HttpExchange x) throws IOException {
        count(x);
        String auth = x.getRequestHeaders().getFirst("Authorization");
        String expected = tokenCredentials == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(tokenCredentials.getBytes(StandardCharsets.UTF_8));
        if (expected != null && !expected.equals(auth)) {
            send(x, 401, "application/json", "{\"details\":\"incorrect username or password\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String query = String.valueOf(x.getRequestURI().getQuery());
        if (!query.contains("scope=repository:")) {
            send(x, 400, "text/plain", "no scope".getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(x, 200, "application/json", ("{\"token\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private void storage(HttpExchange x) throws IOException {
        count(x);
        if (x.getRequestHeaders().containsKey("Authorization")) {
            storageSawAuthorization = true;
        }
        relay(x, "/v2/" + x.getRequestURI().getPath().substring("/storage/".length()), null);
    }

    private void forward(HttpExchange x) throws IOException {
        count(x);
        String path = x.getRequestURI().getPath();
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (bearer) {
            if (!("Bearer " + TOKEN).equals(auth)) {
                x.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host()
                        + "/token\",service=\"test-registry\"");
                send(x, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            auth = null;
        }
        if (redirect && path.contains("/blobs/")) {
            x.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort()
                    + "/storage/" + path.substring("/v2/".length()));
            send(x, 307, "text/plain", new byte[0]);
            return;
        }
        relay(x, path, auth);
    }

    /** GETs the path from the registry and sends it on, altered as the fault says. */
    private void relay(HttpExchange x, String path, String auth) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + registry.host() + path));
        for (String h : List.of("Accept")) {
            String v = x.getRequestHeaders().getFirst(h);
            if (v != null) {
                request.header(h, v);
            }
        }
        if (auth != null) {
            request.header("Authorization", auth);
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        for (String h : List.of("Docker-Content-Digest", "WWW-Authenticate", "Docker-Distribution-Api-Version")) {
            r.headers().firstValue(h).ifPresent(v -> x.getResponseHeaders().add(h, v));
        }
        String type = r.headers().firstValue("Content-Type").orElse("application/octet-stream");
        byte[] body = r.body();
        boolean layer = path.contains("/blobs/") && body.length > LAYER && r.statusCode() == 200;
        Fault f = fault;
        if (layer && f == Fault.CUT) {
            x.getResponseHeaders().add("Content-Type", type);
            x.sendResponseHeaders(200, body.length);
            OutputStream out = x.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            x.close(); // short of its Content-Length: HttpServer drops the connection
            return;
        }
        if (layer && f == Fault.STALL) {
            x.getResponseHeaders().add("Content-Type", type);
            x.sendResponseHeaders(200, body.length);
            OutputStream out = x.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            java.util.concurrent.CountDownLatch go = release;
            stalled.countDown();
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.close();
            return;
        }
        if (layer && f == Fault.FLIP) {
            body = body.clone();
            body[body.length / 2] ^= 0x5a;
        }
        if (layer && f == Fault.GROW) {
            body = java.util.Arrays.copyOf(body, body.length + (1 << 20));
        }
        if (path.contains("/manifests/") && f == Fault.BIG_MANIFEST) {
            byte[] big = new byte[5 << 20];
            java.util.Arrays.fill(big, (byte) ' ');
            System.arraycopy(body, 0, big, 0, body.length);
            body = big;
        }
        send(x, r.statusCode(), type, body);
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
