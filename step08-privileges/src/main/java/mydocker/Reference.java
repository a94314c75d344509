package mydocker;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image reference as docker spells it: {@code [HOST[:PORT]/]PATH[:TAG][@DIGEST]}. The first
 * component is a registry host only if it looks like one (a dot, a port, or localhost); else
 * the image is on Docker Hub, whose one-component names live under {@code library/}.
 */
record Reference(String registry, String repository, String tag, String digest) {

    static final String DOCKER_HUB = "docker.io";

    // tag::reference[]
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern REFERENCE = Pattern.compile(
            "(?:(?<host>(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*)(?::[0-9]+)?)/)?"
            + "(?<path>" + COMPONENT + "(?:/" + COMPONENT + ")*)"
            + "(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
            + "(?:@(?<digest>sha256:[0-9a-f]{64}))?");

    static Reference parse(String text) {
        Matcher m = REFERENCE.matcher(text);
        if (text.length() > 255 || !m.matches()) {
            throw new MydockerException("pull " + Store.quote(text) + ": invalid reference format"
                    + " (write NAME[:TAG] or NAME@sha256:DIGEST, e.g. busybox, localhost:5000/team/app:1.0)");
        }
        String host = m.group("host");
        String path = m.group("path");
        if (host != null && !host.contains(".") && !host.contains(":") && !host.equals("localhost")) {
            path = host + "/" + path; // "team/app": a path on Docker Hub, not a host named team
            host = null;
            if (!path.matches(COMPONENT + "(?:/" + COMPONENT + ")*")) {
                throw new MydockerException("pull " + Store.quote(text) + ": invalid reference format"
                        + " (repository names are lowercase)");
            }
        }
        if (host == null || host.equals("index.docker.io")) {
            host = DOCKER_HUB;
        }
        if (host.equals(DOCKER_HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        String tag = m.group("tag") == null && m.group("digest") == null ? "latest" : m.group("tag");
        return new Reference(host, path, tag, m.group("digest"));
    }
    // end::reference[]

    /** Where the API is served: Docker Hub's registry is not at docker.io itself. */
    String host() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** What the manifest is asked for by: the digest if there is one, as it pins the content. */
    String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** The name the image gets in the store when none is given: busybox, or busybox:1.36. */
    String localName() {
        String base = repository.substring(repository.lastIndexOf('/') + 1);
        return tag == null || tag.equals("latest") ? base : base + ":" + tag.toLowerCase();
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
