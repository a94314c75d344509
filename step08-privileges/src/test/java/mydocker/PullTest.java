package mydocker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import mydocker.OverlayTest.User;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * mydocker pull from a real registry (Debian's docker-registry), the images pushed into it by
 * skopeo, as root and as an ordinary user; through a proxy of the tests' that counts requests,
 * demands a bearer token, and breaks the transfer in the ways networks and registries do.
 */
class PullTest {

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    static LocalRegistry registry;
    static RegistryProxy proxy;
    static String busybox;
    static String layered;

    @BeforeAll
    static void registry() throws IOException {
        Mydocker.requireRoot(); // to become the ordinary user, and to look into both stores
        Archives.readable(shared);
        registry = LocalRegistry.start(shared.resolve("registry"));
        proxy = new RegistryProxy(registry);
        busybox = registry.push(new Archives.Image().layer(Archives.busybox(), false).ociLayout(shared.resolve("busybox")),
                "library/busybox:latest");
        layered = registry.push(ImageFormatsTest.withWhiteouts("pulled", true).ociLayout(shared.resolve("layered")),
                "test/layered:3");
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void reset() throws IOException {
        Archives.readable(tmp);
        proxy.fault = RegistryProxy.Fault.NONE;
        proxy.bearer = false;
        proxy.tokenCredentials = null;
        proxy.redirect = false;
        proxy.stalled = new java.util.concurrent.CountDownLatch(1);
        proxy.release = new java.util.concurrent.CountDownLatch(1);
        proxy.clear();
    }

    static Mydocker.Result pull(User user, String stdin, String... args) {
        List<String> who = user == User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher();
        return Mydocker.exec(who, stdin, Map.of(), Stream.concat(Stream.of("pull"), Stream.of(args)).toArray(String[]::new));
    }

    /**
     * An image of busybox and one layer no other image has, of {@code size} random hex digits:
     * skopeo gzips a layer as it pushes it, and random digits stay large.
     */
    static String pushUnique(String repository, int size) throws IOException {
        byte[] random = new byte[size / 2];
        new java.security.SecureRandom().nextBytes(random);
        String unique = repository + "-" + Store.newId() + "\n" + java.util.HexFormat.of().formatHex(random);
        byte[] layer = new Archives.Tar().dir("data").file("data/unique", unique).bytes();
        Path layout = new Archives.Image().layer(Archives.busybox(), false).layer(layer, false)
                .ociLayout(Files.createTempDirectory(shared, "layout-"));
        return registry.push(layout, repository + ":latest").replace(registry.host(), proxy.host());
    }

    static long layers(User user) throws IOException {
        try (Stream<Path> l = Files.list(user.store.resolve("layers"))) {
            return l.count();
        }
    }

    static List<Path> leftovers(User user) throws IOException {
        try (Stream<Path> l = Files.list(user.store.resolve("tmp"))) {
            return l.toList();
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void busyboxAndAThreeLayerImageWithWhiteoutsArePulledAndRun(User user) {
        Mydocker.Result bb = pull(user, null, "--insecure", busybox, user.name("pulled-busybox"));
        assertEquals(0, bb.status(), bb.toString());
        assertTrue(bb.out().contains("Digest: sha256:"), bb.toString());
        Mydocker.Result hello = user.mydocker("run", "--rm", user.name("pulled-busybox"), "echo", "hello from a pull");
        assertEquals("hello from a pull\n", hello.out(), hello.toString());

        Mydocker.Result p = pull(user, null, "--insecure", layered, user.name("layered"));
        assertEquals(0, p.status(), p.toString());
        assertTrue(p.out().endsWith(user.name("layered") + ": 3 layer(s), from " + layered + "\n"), p.toString());
        Mydocker.Result r = user.mydocker("run", "--rm", user.name("layered"), "sh", "-c", "ls -A /first /last;"
                + " test -e /doomed.txt && echo doomed-present || echo doomed-gone; cat /keep/a.txt /keep/b.txt; pwd; echo $PATH");
        assertEquals(0, r.status(), r.toString());
        assertEquals("/first:\nnew.txt\n\n/last:\nnew.txt\ndoomed-gone\na\nb\n/\n/usr/bin:/bin:/usr/sbin:/sbin\n", r.out(), r.toString());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aSecondPullDownloadsOnlyTheManifestAndTheConfig(User user) throws IOException {
        String image = pushUnique(user.name("twice"), 100_000);
        Mydocker.Result first = pull(user, null, "--insecure", image, user.name("twice"));
        assertEquals(0, first.status(), first.toString());
        assertTrue(blobRequests() >= 2, "the config and at least the new layer: " + proxy.requests());
        proxy.clear();
        Mydocker.Result second = pull(user, null, "--insecure", image, user.name("twice-again"));
        assertEquals(0, second.status(), second.toString());
        assertEquals(1, blobRequests(), "only the config: " + proxy.requests());
        assertEquals(1, proxy.requests().stream().filter(r -> r.contains("/manifests/")).count(), proxy.requests().toString());
        assertTrue(second.out().contains(": Already exists"), second.toString());
    }

    private static long blobRequests() {
        return proxy.requests().stream().filter(r -> r.contains("/blobs/")).count();
    }

    @ParameterizedTest(name = "{0} as ROOT")
    @EnumSource(value = RegistryProxy.Fault.class, names = {"CUT", "FLIP", "GROW", "BIG_MANIFEST"})
    void aBrokenTransferKeepsNothingAndTheNextPullSucceeds(RegistryProxy.Fault fault) throws IOException {
        broken(fault, User.ROOT);
    }

    @ParameterizedTest(name = "{0} as ORDINARY")
    @EnumSource(value = RegistryProxy.Fault.class, names = {"CUT", "FLIP"})
    void aBrokenTransferKeepsNothingAsTheOrdinaryUserToo(RegistryProxy.Fault fault) throws IOException {
        broken(fault, User.ORDINARY);
    }

    private void broken(RegistryProxy.Fault fault, User user) throws IOException {
        String name = user.name("broken-" + fault.name().toLowerCase().replace('_', '-'));
        String image = pushUnique(name, 300_000);
        long before = layers(user);
        proxy.fault = fault;
        Mydocker.Result failed = pull(user, null, "--insecure", image, name);
        assertEquals(125, failed.status(), failed.toString());
        assertEquals(1, failed.err().lines().count(), "one line: " + failed);
        String expected = switch (fault) {
            case CUT -> "connection lost after";
            case FLIP -> "(altered on the way or in the registry; nothing was kept)";
            case GROW -> "is bigger than the";
            default -> "the manifest is bigger than 4 MB; refused";
        };
        assertTrue(failed.err().contains(expected), "expected " + expected + ": " + failed);
        assertEquals(before, layers(user), "a layer of the failed pull was kept");
        assertFalse(Files.exists(user.store.resolve("images/" + name + ".json")), failed.toString());
        assertEquals(List.of(), leftovers(user), "the failed pull left files in tmp/");

        proxy.fault = RegistryProxy.Fault.NONE;
        Mydocker.Result again = pull(user, null, "--insecure", image, name);
        assertEquals(0, again.status(), again.toString());
        Mydocker.Result r = user.mydocker("run", "--rm", name, "head", "-c", "6", "/data/unique");
        assertEquals(name.substring(0, 6), r.out(), r.toString());
    }

    /** SIGKILL halfway through a layer: what it was writing is in tmp/, under its dead pid, and swept. */
    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aPullKilledHalfwayLeavesNothingTheNextCommandKeeps(User user) throws Exception {
        String name = user.name("killed");
        String image = pushUnique(name, 600_000);
        long before = layers(user);
        proxy.fault = RegistryProxy.Fault.STALL;
        List<String> who = user == User.ROOT ? List.of(Mydocker.LAUNCHER.toString()) : Mydocker.launcher();
        Process p = Mydocker.start(who, Map.of(), "pull", "--insecure", image, name);
        try {
            assertTrue(proxy.stalled.await(60, java.util.concurrent.TimeUnit.SECONDS), "the pull never reached its layer");
            assertTrue(leftovers(user).stream().anyMatch(f -> f.getFileName().toString().startsWith("pull-")),
                    "no blob being written in tmp/: " + leftovers(user));
            p.destroyForcibly(); // SIGKILL, to the JVM itself: the launcher and setpriv exec it
            p.waitFor();
        } finally {
            proxy.fault = RegistryProxy.Fault.NONE;
            proxy.release.countDown();
        }
        assertEquals(before, layers(user), "the killed pull kept a layer");
        assertFalse(Files.exists(user.store.resolve("images/" + name + ".json")));
        Mydocker.Result again = pull(user, null, "--insecure", image, name);
        assertEquals(0, again.status(), again.toString());
        assertEquals(List.of(), leftovers(user), "the killed pull's blob outlived the next command's sweep");
        assertEquals(0, user.mydocker("run", "--rm", name, "true").status());
    }

    /** A store on a 4 MB tmpfs: a layer that does not fit is one line naming ENOSPC, and nothing is kept. */
    @Test
    void aPullThatFillsTheStoreKeepsNothing() throws IOException {
        Path mount = Files.createDirectory(tmp.resolve("small"));
        Mydocker.host("mount", "-t", "tmpfs", "-o", "size=" + DiskFullTest.SIZE + ",mode=755", "tmpfs", mount.toString());
        try {
            Path store = mount.resolve("store");
            Map<String, String> env = Map.of("MYDOCKER_ROOT", store.toString());
            List<String> root = List.of(Mydocker.LAUNCHER.toString());
            String image = pushUnique("too-large", 6_000_000);
            assertEquals(0, Mydocker.exec(root, null, env, "pull", "--insecure", busybox, "small").status());
            Mydocker.Result full = Mydocker.exec(root, null, env, "pull", "--insecure", image, "too-large");
            assertEquals(125, full.status(), full.toString());
            assertEquals(1, full.err().lines().count(), full.toString());
            assertTrue(full.err().contains("ENOSPC") && full.err().contains("the filesystem of " + store + " is full"), full.toString());
            try (Stream<Path> l = Files.list(store.resolve("layers")); Stream<Path> t = Files.list(store.resolve("tmp"))) {
                assertEquals(1, l.count(), "only busybox's layer");
                assertEquals(List.of(), t.toList());
            }
            Mydocker.Result again = Mydocker.exec(root, null, env, "pull", "--insecure", busybox, "small-again");
            assertEquals(0, again.status(), "the store goes on working: " + again);
        } finally {
            Mydocker.host("umount", mount.toString());
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void theBearerTokenDanceAndRedirectsToBlobStorage(User user) throws IOException {
        String image = pushUnique(user.name("bearer"), 10_000);
        proxy.bearer = true;
        proxy.redirect = true;
        Mydocker.Result p = pull(user, null, "--insecure", image, user.name("bearer"));
        assertEquals(0, p.status(), p.toString());
        List<String> requests = proxy.requests();
        assertEquals(List.of("GET /v2/", "GET /token", "GET /v2/"), requests.subList(0, 3), requests.toString());
        assertTrue(requests.stream().anyMatch(r -> r.startsWith("GET /storage/")), requests.toString());
        assertFalse(proxy.storageSawAuthorization, "the registry's token went to the blob storage");
        assertEquals(0, user.mydocker("run", "--rm", user.name("bearer"), "true").status());
    }

    @Test
    void aTokenServerThatWantsCredentialsGetsThemFromStdinAndRefusesWrongOnes() throws IOException {
        String image = pushUnique("token-creds", 10_000);
        proxy.bearer = true;
        proxy.tokenCredentials = "bob:hunter2";
        Mydocker.Result anonymous = pull(User.ROOT, null, "--insecure", image, "token-creds");
        assertEquals(125, anonymous.status(), anonymous.toString());
        assertTrue(anonymous.err().contains("401 Unauthorized: the registry wants credentials"), anonymous.toString());
        Mydocker.Result wrong = pull(User.ROOT, "nope\n", "--insecure", "--username", "bob", image, "token-creds");
        assertEquals(125, wrong.status(), wrong.toString());
        assertEquals("mydocker: pull " + image + ": 401 Unauthorized: the registry refused bob's credentials"
                + " (check the user name and password)\n", wrong.err());
        Mydocker.Result right = pull(User.ROOT, "hunter2\n", "--insecure", "--username", "bob", image, "token-creds");
        assertEquals(0, right.status(), right.toString());
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void basicAuthWithHtpasswd(User user) throws IOException {
        try (LocalRegistry locked = LocalRegistry.start(tmp.resolve("locked"), "alice", "s3cret")) {
            String image = locked.push(new Archives.Image().layer(Archives.busybox(), false).ociLayout(tmp.resolve("bb")),
                    "private/busybox:1");
            Mydocker.Result none = pull(user, null, "--insecure", image, user.name("private"));
            assertEquals(125, none.status(), none.toString());
            assertEquals(1, none.err().lines().count(), none.toString());
            Mydocker.Result wrong = pull(user, "guess\n", "--insecure", "--username", "alice", image, user.name("private"));
            assertEquals(125, wrong.status(), wrong.toString());
            assertEquals("mydocker: pull " + image + ": 401 Unauthorized: the registry refused alice's credentials"
                    + " (check the user name and password)\n", wrong.err());
            Mydocker.Result right = pull(user, "s3cret\n", "--insecure", "--username", "alice", image, user.name("private"));
            assertEquals(0, right.status(), right.toString());
            assertEquals("ok\n", user.mydocker("run", "--rm", user.name("private"), "echo", "ok").out());
        }
    }

    @ParameterizedTest(name = "as {0}")
    @EnumSource(User.class)
    void aZstdLayerIsPulledAndRuns(User user) throws IOException {
        byte[] layer = new Archives.Tar().dir("z").file("z/file", "zstd " + Store.newId() + "\n").bytes();
        Path layout = new Archives.Image().layer(Archives.busybox(), false).layer(layer, false)
                .ociLayout(tmp.resolve("zstd"));
        String image = registry.push(layout, "test/zstd-" + user.name("image") + ":1", "--dest-compress-format", "zstd");
        Mydocker.Result p = pull(user, null, "--insecure", image, user.name("zstd"));
        assertEquals(0, p.status(), p.toString());
        Mydocker.Result r = user.mydocker("run", "--rm", user.name("zstd"), "cat", "/z/file");
        assertTrue(r.out().startsWith("zstd "), r.toString());
    }

    /**
     * An index naming busybox for linux/amd64 and the three-layer image for linux/arm64, as a
     * multi-platform image does: this machine's entry is pulled, --platform picks another.
     */
    @Test
    void anIndexGivesThisPlatformsManifestAndPlatformPicksAnother() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        // An index names manifests of its own repository, whose blobs are there too: skopeo copies both in.
        registry.push(shared.resolve("busybox"), "test/multi:busybox");
        registry.push(shared.resolve("layered"), "test/multi:layered");
        List<String> entries = new java.util.ArrayList<>();
        for (String[] e : new String[][] {{"busybox", "amd64"}, {"layered", "arm64"}}) {
            var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + registry.host()
                    + "/v2/test/multi/manifests/" + e[0])).header("Accept", "application/vnd.oci.image.manifest.v1+json").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            byte[] manifest = r.body();
            entries.add("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + Archives.sha256(manifest)
                    + "\",\"size\":" + manifest.length + ",\"platform\":{\"architecture\":\"" + e[1] + "\",\"os\":\"linux\"}}");
        }
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + String.join(",", entries) + "]}";
        put(http, "test/multi", "1", "application/vnd.oci.image.index.v1+json", index.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String image = registry.host() + "/test/multi:1";

        Mydocker.Result amd64 = pull(User.ROOT, null, "--insecure", image, "multi-amd64");
        assertEquals(0, amd64.status(), amd64.toString());
        assertTrue(amd64.out().endsWith("multi-amd64: 1 layer(s), from " + image + "\n"), amd64.toString());
        Mydocker.Result arm64 = pull(User.ROOT, null, "--insecure", "--platform", "linux/arm64", image, "multi-arm64");
        assertTrue(arm64.out().endsWith("multi-arm64: 3 layer(s), from " + image + "\n"), arm64.toString());
        Mydocker.Result none = pull(User.ROOT, null, "--insecure", "--platform", "linux/s390x", image, "multi-s390x");
        assertEquals(125, none.status(), none.toString());
        assertEquals("mydocker: pull " + image + ": no image for linux/s390x in the index (it has linux/amd64, linux/arm64;"
                + " choose one with --platform)\n", none.err());
    }

    private static void put(java.net.http.HttpClient http, String repository, String reference, String type, byte[] body)
            throws Exception {
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + registry.host() + "/v2/"
                + repository + "/manifests/" + reference)).header("Content-Type", type)
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), "PUT " + reference + ": " + r.body());
    }

    @Test
    void anUnknownTagIsOneLineNamingTheImage() {
        String image = registry.host() + "/test/layered:nosuchtag";
        Mydocker.Result r = pull(User.ROOT, null, "--insecure", image, "nosuch");
        assertEquals(125, r.status(), r.toString());
        assertEquals("mydocker: pull " + image + ": manifest unknown: the registry has no such image or tag"
                + " (check the name and tag; the registry lists its tags at /v2/test/layered/tags/list)\n", r.err());
    }

    @Test
    void badReferencesAreRefusedInOneLine() {
        for (String bad : List.of("Busybox", "busybox:", "busybox@sha256:abc", "a//b", "-x", "host:port/x")) {
            Mydocker.Result r = pull(User.ROOT, null, bad);
            assertEquals(125, r.status(), bad + ": " + r);
            assertEquals(1, r.err().lines().count(), bad + ": " + r);
        }
    }

    /** A registry named in the store's insecure-registries is spoken to in plain HTTP without --insecure. */
    @Test
    void aRegistryListedInInsecureRegistriesNeedsNoFlag() throws IOException {
        Mydocker.runAsRoot("images"); // the store exists
        Path list = User.ROOT.store.resolve("insecure-registries");
        Files.writeString(list, "# plain HTTP, on this machine only\n" + registry.host() + "\n");
        try {
            Mydocker.Result r = pull(User.ROOT, null, busybox, "listed-insecure");
            assertEquals(0, r.status(), r.toString());
        } finally {
            Files.delete(list);
        }
    }

    @Test
    void withoutInsecureARegistryOfPlainHttpIsNotSpokenTo() {
        Mydocker.Result r = pull(User.ROOT, null, busybox, "https-only");
        assertEquals(125, r.status(), r.toString());
        assertTrue(r.err().contains("needs --insecure"), r.toString());
    }
}
