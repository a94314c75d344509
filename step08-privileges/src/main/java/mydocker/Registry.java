package mydocker;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * One repository of a registry, spoken to through the OCI distribution API with the JDK's
 * HttpClient: {@code GET /v2/} to learn how it wants to be authenticated, then manifests and
 * blobs of {@code /v2/REPOSITORY/}. Every request and its status go to --trace.
 */
final class Registry {

    private final Reference ref;
    private final String base;
    private final String username;
    private final String password;
    private final HttpClient http;
    private volatile String authorization;

    Registry(Reference ref, boolean insecure, String username, String password) {
        this.ref = ref;
        this.base = (insecure ? "http://" : "https://") + ref.host();
        this.username = username;
        this.password = password;
        // Redirects are followed by hand (see send): the registry's credentials must not go to
        // the blob storage it redirects to, which signs its URLs itself and refuses a second scheme.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(30)).build();
    }

    // tag::login[]
    /**
     * {@code GET /v2/}: 200 means no authentication; 401 names the scheme in WWW-Authenticate.
     * Bearer: ask the realm for a token for this repository's pull scope (anonymously, or with
     * the credentials as basic auth), then send it with every request. Basic: send the
     * credentials themselves.
     */
    void login() throws IOException {
        HttpResponse<InputStream> r = send(URI.create(base + "/v2/"), List.of(), false);
        r.body().close();
        if (r.statusCode() == 200) {
            return;
        }
        if (r.statusCode() != 401) {
            throw failed("GET /v2/", r.statusCode(), "is " + ref.host() + " a registry?");
        }
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        if (challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
            authorization = "Bearer " + token(params(challenge.substring(7)));
        } else if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            if (username == null) {
                throw unauthorized();
            }
            authorization = basic();
        } else {
            throw new MydockerException("pull " + ref + ": the registry asks for " + Store.quote(challenge)
                    + ", which mydocker does not speak (only Bearer and Basic)");
        }
        HttpResponse<InputStream> again = send(URI.create(base + "/v2/"), List.of(), true);
        again.body().close();
        if (again.statusCode() == 401) {
            throw unauthorized();
        }
    }

    private String token(Map<String, String> challenge) throws IOException {
        String realm = challenge.get("realm");
        if (realm == null) {
            throw new MydockerException("pull " + ref + ": the registry's Bearer challenge names no realm");
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?");
        if (challenge.containsKey("service")) {
            url.append("service=").append(URLEncoder.encode(challenge.get("service"), StandardCharsets.UTF_8)).append('&');
        }
        url.append("scope=").append(URLEncoder.encode("repository:" + ref.repository() + ":pull", StandardCharsets.UTF_8));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(60));
        if (username != null) {
            request.header("Authorization", basic());
        }
        HttpResponse<InputStream> r = exchange(request.GET().build());
        byte[] body = Pull.readLimited(r.body(), "the token");
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw unauthorized();
        }
        if (r.statusCode() != 200) {
            throw failed("GET " + realm, r.statusCode(), "the registry's token server failed");
        }
        Map<String, Object> json = Image.object(Image.parse(new String(body, StandardCharsets.UTF_8), "the token"), "the token");
        Object token = json.containsKey("token") ? json.get("token") : json.get("access_token");
        if (!(token instanceof String t) || t.isEmpty()) {
            throw new MydockerException("pull " + ref + ": the token server at " + realm + " sent no token");
        }
        return t;
    }
    // end::login[]

    /** realm="https://auth.docker.io/token",service="registry.docker.io" as a map. */
    private static Map<String, String> params(String header) {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = Pattern.compile("([A-Za-z]+)=\"([^\"]*)\"").matcher(header);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(), m.group(2));
        }
        return params;
    }

    private String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    MydockerException unauthorized() {
        return new MydockerException("pull " + ref + ": 401 Unauthorized: "
                + (username == null ? "the registry wants credentials (give --username, and the password on stdin)"
                        : "the registry refused " + username + "'s credentials (check the user name and password)"));
    }

    /** GET /v2/REPOSITORY/manifests/REFERENCE or /blobs/DIGEST, with the credentials login found. */
    HttpResponse<InputStream> get(String kind, String reference, List<String> accept) throws IOException {
        return send(URI.create(base + "/v2/" + ref.repository() + "/" + kind + "/" + reference), accept, true);
    }

    // tag::redirects[]
    /** Sends a GET, following up to five redirects; the credentials go only to the registry's own host. */
    private HttpResponse<InputStream> send(URI uri, List<String> accept, boolean authorized) throws IOException {
        for (int hops = 0; ; hops++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET();
            if (!accept.isEmpty()) {
                request.header("Accept", String.join(", ", accept));
            }
            if (authorized && authorization != null && uri.getHost().equals(URI.create(base).getHost())) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> r = exchange(request.build());
            int status = r.statusCode();
            if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
                return r;
            }
            r.body().close();
            String location = r.headers().firstValue("Location").orElse(null);
            if (location == null || hops == 5) {
                throw failed("GET " + uri.getPath(), status, location == null ? "a redirect without a Location" : "too many redirects");
            }
            URI next = uri.resolve(location);
            if (uri.getScheme().equals("https") && !next.getScheme().equals("https")) {
                throw new MydockerException("pull " + ref + ": the registry redirects " + uri.getPath()
                        + " to plain HTTP at " + next.getHost() + "; refused");
            }
            uri = next;
        }
    }
    // end::redirects[]

    private HttpResponse<InputStream> exchange(HttpRequest request) throws IOException {
        try {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (Trace.on()) {
                Trace.print("GET " + request.uri() + " -> " + r.statusCode() + headers(r.headers()));
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MydockerException("pull " + ref + ": interrupted");
        } catch (ConnectException e) {
            throw new MydockerException("pull " + ref + ": connecting to " + request.uri().getHost() + ":"
                    + port(request.uri()) + ": connection refused (is the registry running there?)");
        } catch (SSLException e) {
            throw new MydockerException("pull " + ref + ": TLS with " + request.uri().getHost() + ": " + e.getMessage()
                    + " (a registry that speaks plain HTTP needs --insecure)");
        } catch (HttpTimeoutException e) {
            throw new MydockerException("pull " + ref + ": GET " + request.uri() + ": timed out (try again)");
        }
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
    }

    private static String headers(HttpHeaders h) {
        StringBuilder s = new StringBuilder();
        for (String name : List.of("Content-Type", "Content-Length", "Docker-Content-Digest", "Location", "WWW-Authenticate")) {
            h.firstValue(name).ifPresent(v -> s.append(s.length() == 0 ? " (" : ", ").append(name).append(": ").append(v));
        }
        return s.length() == 0 ? "" : s.append(')').toString();
    }

    MydockerException failed(String what, int status, String hint) {
        return new MydockerException("pull " + ref + ": " + what + ": HTTP " + status + " (" + hint + ")");
    }

    /** Whether the user named this registry as one that speaks plain HTTP. */
    static boolean listedInsecure(Store store, String host) {
        String home = System.getProperty("user.home");
        for (Path file : List.of(store.root.resolve("insecure-registries"),
                Path.of(home == null ? "/nonexistent" : home, ".config/mydocker/insecure-registries"))) {
            try {
                for (String line : Files.readAllLines(file)) {
                    if (line.replaceFirst("#.*", "").strip().equals(host)) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // no such file: nothing listed there
            }
        }
        return false;
    }
}
