package mydocker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mydocker pull NAME[:TAG|@DIGEST] [LOCAL]}: the manifest (through an index to this
 * platform's, if the registry sends one), the config, and each layer the store lacks, every
 * blob checked against its digest as it arrives; then the layers are extracted and the image
 * kept as import keeps an OCI layout's.
 */
@Command(name = "pull", description = "Pull an image from a registry (the OCI distribution API).")
final class Pull implements Callable<Integer> {

    /** A manifest or config bigger than this is not one: refused before it fills memory. */
    static final int MAX_JSON = 4 << 20;

    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final List<String> ACCEPT = List.of(OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST);

    /** Layers downloaded at once, as docker's default max-concurrent-downloads. */
    private static final int DOWNLOADS = 3;

    @ParentCommand
    Main main;

    @Parameters(index = "0", paramLabel = "NAME[:TAG|@DIGEST]")
    String reference;

    @Parameters(index = "1", arity = "0..1", paramLabel = "LOCAL",
            description = "The image's name in the store (default: the repository's last part, and the tag unless latest).")
    String localName;

    @Option(names = "--insecure", description = "Speak plain HTTP to the registry (also: list it in insecure-registries).")
    boolean insecure;

    @Option(names = "--username", paramLabel = "USER", description = "Log in as USER; the password is read from stdin.")
    String username;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "The platform to pick from an index.")
    String platform = "linux/" + ("aarch64".equals(System.getProperty("os.arch")) ? "arm64" : "amd64");

    private Reference ref;
    private Store store;
    private final Set<Path> partial = ConcurrentHashMap.newKeySet();

    @Override
    public Integer call() throws IOException {
        Trace.enable(main.tracing(), "pull");
        ref = Reference.parse(reference);
        String name = Image.checkName(localName != null ? localName : ref.localName());
        store = Store.open();
        String password = username == null ? null : readPassword();
        Registry registry = new Registry(ref, insecure || Registry.listedInsecure(store, ref.registry()), username, password);
        System.out.println((ref.tag() != null ? ref.tag() : ref.digest()) + ": Pulling from " + ref.repository());
        ExecutorService pool = Executors.newFixedThreadPool(DOWNLOADS, r -> {
            Thread t = new Thread(r, "download");
            t.setDaemon(true);
            return t;
        });
        try {
            registry.login();
            Manifest manifest = manifest(registry);
            Map<String, Object> config = json(blob(registry, manifest.config(), MAX_JSON), "the image config");
            List<Object> diffIds = list(config.get("rootfs") instanceof Map<?, ?> r ? r.get("diff_ids") : null);
            if (diffIds.size() != manifest.layers().size()) {
                throw new MydockerException("pull " + ref + ": the manifest lists " + manifest.layers().size()
                        + " layers and the config " + diffIds.size() + " diff_ids; refused");
            }
            Progress progress = new Progress(manifest.layers().stream().map(d -> Store.hex(d.digest()).substring(0, 12)).toList());
            List<Future<Path>> blobs = downloads(registry, manifest.layers(), diffIds, progress, pool);
            Image image = store.locked("images", () -> new ImageImport(store).pulled(name, config, new ImageImport.Blobs() {
                @Override
                public Path layer(int i) throws IOException {
                    Path blob = await(blobs.get(i));
                    if (blob != null) {
                        progress.status(i, "Extracting");
                    }
                    return blob;
                }

                @Override
                public void extracted(int i) {
                    progress.status(i, "Pull complete");
                }
            }));
            progress.finish();
            System.out.println("Digest: " + manifest.digest());
            System.out.println(image.name() + ": " + image.layers().size() + " layer(s), from " + ref);
            return 0;
        } catch (IOException | RuntimeException e) {
            if (Store.isFull(e)) {
                throw store.full("pull " + ref);
            }
            throw e;
        } finally {
            pool.shutdownNow();
            partial.forEach(Pull::delete); // downloads cut short by a failure: in tmp/, and gone now
        }
    }

    private static String readPassword() throws IOException {
        String line = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("");
        if (line.isEmpty()) {
            throw new MydockerException("pull: --username needs the password on stdin (e.g. echo \"$PASSWORD\" | mydocker pull --username USER ...)");
        }
        return line;
    }

    record Descriptor(String mediaType, String digest, long size, Map<String, Object> platform) {}

    record Manifest(String digest, Descriptor config, List<Descriptor> layers) {}

    // tag::manifest[]
    /**
     * The manifest, by tag or digest, in any of the four formats the Accept header offers. An
     * index (or docker manifest list) names one manifest per platform: this platform's is
     * fetched next, by its digest. Whatever was asked for by digest is checked against it.
     */
    private Manifest manifest(Registry registry) throws IOException {
        String reference = ref.manifestReference();
        String expected = ref.digest();
        for (int hops = 0; hops < 3; hops++) {
            HttpResponse<InputStream> r = registry.get("manifests", reference, ACCEPT);
            byte[] body = readLimited(r.body(), "the manifest");
            if (r.statusCode() == 404) {
                throw new MydockerException("pull " + ref + ": manifest unknown: the registry has no such image or tag"
                        + " (check the name and tag; the registry lists its tags at /v2/" + ref.repository() + "/tags/list)");
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw registry.unauthorized();
            }
            if (r.statusCode() != 200) {
                throw registry.failed("GET manifest " + reference, r.statusCode(), "try again later");
            }
            String digest = sha256(body);
            if (expected != null && !expected.equals(digest)) {
                throw mismatch("the manifest", expected, digest);
            }
            Map<String, Object> json = json(body, "the manifest");
            Object type = json.containsKey("mediaType") ? json.get("mediaType")
                    : r.headers().firstValue("Content-Type").orElse("").replaceFirst(";.*", "");
            if (OCI_INDEX.equals(type) || DOCKER_LIST.equals(type) || json.containsKey("manifests")) {
                expected = pick(json).digest();
                reference = expected;
                continue;
            }
            if (!(json.get("config") instanceof Map<?, ?>) || !json.containsKey("layers")) {
                throw new MydockerException("pull " + ref + ": unsupported manifest " + Store.quote(String.valueOf(type))
                        + " (mydocker reads OCI and docker schema 2 manifests; schema 1 is long deprecated)");
            }
            List<Descriptor> layers = new ArrayList<>();
            for (Object layer : list(json.get("layers"))) {
                layers.add(descriptor(layer));
            }
            return new Manifest(digest, descriptor(json.get("config")), layers);
        }
        throw new MydockerException("pull " + ref + ": an index that points to an index that points to an index; refused");
    }
    // end::manifest[]

    private Descriptor pick(Map<String, Object> index) {
        String[] want = platform.split("/");
        List<String> offered = new ArrayList<>();
        for (Object m : list(index.get("manifests"))) {
            Descriptor d = descriptor(m);
            Map<String, Object> p = d.platform();
            String os = String.valueOf(p.get("os"));
            String arch = String.valueOf(p.get("architecture"));
            String variant = p.get("variant") == null ? null : String.valueOf(p.get("variant"));
            offered.add(os + "/" + arch + (variant != null ? "/" + variant : ""));
            if (os.equals(want[0]) && want.length > 1 && arch.equals(want[1])
                    && (want.length < 3 || want[2].equals(variant))) {
                return d;
            }
        }
        throw new MydockerException("pull " + ref + ": no image for " + platform + " in the index (it has "
                + String.join(", ", offered) + "; choose one with --platform)");
    }

    // tag::downloads[]
    /**
     * Starts a download for each layer the store does not have yet (by diff_id: a layer is the
     * same layer whichever image or registry it came from) and each blob once.
     */
    private List<Future<Path>> downloads(Registry registry, List<Descriptor> layers, List<Object> diffIds,
            Progress progress, ExecutorService pool) {
        Map<String, Future<Path>> byDigest = new LinkedHashMap<>();
        List<Future<Path>> blobs = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Descriptor layer = layers.get(i);
            String diffId = String.valueOf(diffIds.get(i));
            if (!diffId.matches("sha256:[0-9a-f]{64}")) {
                throw new MydockerException("pull " + ref + ": malformed diff_id " + Store.quote(diffId) + " in the image config");
            }
            if (Files.isDirectory(store.layer(diffId))) {
                progress.status(i, "Already exists");
                blobs.add(CompletableFuture.completedFuture(null));
                continue;
            }
            int line = i;
            progress.status(i, "Waiting");
            blobs.add(byDigest.computeIfAbsent(layer.digest(), d -> pool.submit(() -> {
                Path blob = download(registry, layer, line, progress);
                progress.status(line, "Download complete");
                return blob;
            })));
        }
        return blobs;
    }
    // end::downloads[]

    // tag::blob[]
    /**
     * One layer blob into tmp/, hashed as it arrives: never more bytes than its descriptor says,
     * and its digest checked before anything reads it. What is cut short is deleted; killed
     * meanwhile, the next command's sweep of tmp/ removes it.
     */
    private Path download(Registry registry, Descriptor layer, int line, Progress progress) throws IOException {
        Path file = store.tempFile("pull-", ".blob");
        partial.add(file);
        HttpResponse<InputStream> r = registry.get("blobs", layer.digest(), List.of());
        check(registry, r, layer);
        MessageDigest sha = LayerTar.sha256();
        long done = 0;
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                done += n;
                if (done > layer.size()) {
                    throw new MydockerException("pull " + ref + ": layer " + layer.digest() + " is bigger than the "
                            + layer.size() + " bytes its descriptor says; refused");
                }
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
                progress.bytes(line, done, layer.size());
            }
        } catch (IOException e) {
            if (Store.isFull(e)) {
                throw e;
            }
            throw cut(layer, done, e.getMessage());
        }
        if (done != layer.size()) {
            throw cut(layer, done, "end of stream");
        }
        String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
        if (!digest.equals(layer.digest())) {
            throw mismatch("layer", layer.digest(), digest);
        }
        return file;
    }
    // end::blob[]

    private MydockerException cut(Descriptor layer, long done, String why) {
        return new MydockerException("pull " + ref + ": layer " + layer.digest() + ": connection lost after " + done
                + " of " + layer.size() + " bytes (" + why + "; nothing was kept: pull again)");
    }

    private void check(Registry registry, HttpResponse<InputStream> r, Descriptor blob) throws IOException {
        if (r.statusCode() == 200) {
            return;
        }
        r.body().close();
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw registry.unauthorized();
        }
        throw registry.failed("GET blob " + blob.digest(), r.statusCode(),
                r.statusCode() == 404 ? "the registry lacks a blob its manifest names" : "try again later");
    }

    /** A small blob (the config) read whole, checked against its digest. */
    private byte[] blob(Registry registry, Descriptor d, int limit) throws IOException {
        if (d.size() > limit) {
            throw new MydockerException("pull " + ref + ": " + d.digest() + " is " + d.size() + " bytes; refused");
        }
        HttpResponse<InputStream> r = registry.get("blobs", d.digest(), List.of());
        check(registry, r, d);
        byte[] body = readLimited(r.body(), "the image config");
        String digest = sha256(body);
        if (!digest.equals(d.digest())) {
            throw mismatch("the image config", d.digest(), digest);
        }
        return body;
    }

    private MydockerException mismatch(String what, String expected, String actual) {
        return new MydockerException("pull " + ref + ": " + what + ": digest mismatch: expected " + expected + ", got "
                + actual + " (altered on the way or in the registry; nothing was kept)");
    }

    static byte[] readLimited(InputStream in, String what) throws IOException {
        try (in) {
            byte[] body = in.readNBytes(MAX_JSON + 1);
            if (body.length > MAX_JSON) {
                throw new MydockerException("pull: " + what + " is bigger than " + (MAX_JSON >> 20) + " MB; refused");
            }
            return body;
        }
    }

    private static Path await(Future<Path> blob) throws IOException {
        try {
            return blob.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MydockerException("pull: interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new MydockerException("pull", e.getCause());
        }
    }

    private Descriptor descriptor(Object o) {
        Map<String, Object> d = Image.object(o, "pull: a descriptor");
        String digest = String.valueOf(d.get("digest"));
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new MydockerException("pull " + ref + ": unsupported or malformed digest " + Store.quote(digest));
        }
        if (!(d.get("size") instanceof Number size) || size.longValue() < 0) {
            throw new MydockerException("pull " + ref + ": the descriptor of " + digest + " gives no size");
        }
        Map<String, Object> platform = d.get("platform") instanceof Map<?, ?> ? Image.object(d.get("platform"), "platform") : Map.of();
        return new Descriptor(String.valueOf(d.get("mediaType")), digest, size.longValue(), platform);
    }

    private Map<String, Object> json(byte[] body, String what) {
        String context = "pull " + ref + ": " + what;
        return Image.object(Image.parse(new String(body, StandardCharsets.UTF_8), context), context);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }

    static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(LayerTar.sha256().digest(bytes));
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // left in tmp/ under this process's name: the next command's sweep removes it
        }
    }
}
