package mydocker.docs;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Headless Chromium, driven over its DevTools protocol with nothing but the JDK's WebSocket
 * client and a JSON reader: one page (one session), commands answered by id, events collected.
 */
final class Chromium implements AutoCloseable {

    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final List<Map<String, Object>> events = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();
    private String session;

    private Chromium(Process process, String endpoint) throws Exception {
        this.process = process;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create(endpoint), new Listener()).get(20, TimeUnit.SECONDS);
    }

    /** Starts chromium on a throwaway profile and attaches to a new blank page. */
    static Chromium start(String binary, Path profile) throws Exception {
        Process p = new ProcessBuilder(binary, "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
                "--user-data-dir=" + profile, "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        Pattern listening = Pattern.compile("DevTools listening on (ws://\\S+)");
        CompletableFuture<String> endpoint = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = err.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    Matcher m = listening.matcher(line);
                    if (m.find()) return m.group(1);
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String ws = endpoint.get(60, TimeUnit.SECONDS);
        if (ws == null) {
            p.destroyForcibly();
            throw new IOException(binary + " exited without a DevTools endpoint:\n" + seen);
        }
        Chromium c = new Chromium(p, ws);
        Thread drain = new Thread(() -> {
            try {
                for (String line; (line = err.readLine()) != null; ) {
                    synchronized (c.stderr) { c.stderr.append(line).append('\n'); }
                }
            } catch (IOException ignored) {
                // chromium is gone
            }
        }, "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        String target = (String) c.call(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId");
        c.session = (String) c.call(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true)).get("sessionId");
        for (String domain : List.of("Page", "Runtime", "Log", "Network")) c.send(domain + ".enable", Map.of());
        return c;
    }

    /** A command to the page; its result, or an exception with the protocol's error. */
    Map<String, Object> send(String method, Map<String, Object> params) throws Exception {
        return call(session, method, params);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> call(String sessionId, String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        Map<String, Object> message = new HashMap<>(Map.of("id", id, "method", method, "params", params));
        if (sessionId != null) message.put("sessionId", sessionId);
        CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(JSON.std.asString(message), true).get(10, TimeUnit.SECONDS);
        Map<String, Object> reply = answer.get(60, TimeUnit.SECONDS);
        if (reply.containsKey("error")) throw new IOException(method + ": " + reply.get("error"));
        Object result = reply.get("result");
        return result == null ? Map.of() : (Map<String, Object>) result;
    }

    /** Takes the events received so far, leaving none. */
    List<Map<String, Object>> drainEvents() {
        synchronized (events) {
            List<Map<String, Object>> copy = new ArrayList<>(events);
            events.clear();
            return copy;
        }
    }

    /** Waits for an event of this method, keeping every event for drainEvents. */
    boolean awaitEvent(String method, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (events) {
            while (events.stream().noneMatch(e -> method.equals(e.get("method")))) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) return false;
                events.wait(left);
            }
            return true;
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.abort();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        @SuppressWarnings("unchecked")
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    Map<String, Object> message = JSON.std.mapFrom(partial.toString());
                    Object id = message.get("id");
                    if (id != null) {
                        CompletableFuture<Map<String, Object>> answer = pending.remove(((Number) id).intValue());
                        if (answer != null) answer.complete(message);
                    } else {
                        synchronized (events) {
                            events.add(message);
                            events.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("unreadable DevTools message: " + partial, e);
                } finally {
                    partial.setLength(0);
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
