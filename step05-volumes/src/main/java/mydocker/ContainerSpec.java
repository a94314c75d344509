package mydocker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What init needs to know to set up the container, sent down a pipe rather than in argv or
 * the environment: both are visible in /proc to anyone on the host, and both have size limits.
 *
 * @param command  the command and its arguments, executed as PID 1
 * @param env      the command's environment
 * @param hostname the container's hostname, or empty to keep the copy of the host's
 * @param stdinFd  an inherited descriptor to use as stdin (/dev/null), or -1 for the caller's
 * @param ttyFd    an inherited pseudo-terminal slave for stdio, or -1 for none
 * @param trace    whether init traces its calls too
 * @param lowerdirs  the image's layer directories, topmost first
 * @param upper      the container's writable layer
 * @param work       overlay's work directory, beside upper
 * @param root       where the overlay is mounted, the container's root to be
 * @param workingDir the command's working directory in the container, or empty for /
 * @param volumes    the host paths to bind into the root, parents before what is below them
 */
record ContainerSpec(List<String> command, List<String> env, String hostname, int stdinFd, int ttyFd,
        boolean trace, List<String> lowerdirs, String upper, String work, String root, String workingDir,
        List<Volume> volumes) {

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeStrings(out, command);
            writeStrings(out, env);
            writeString(out, hostname);
            out.writeInt(stdinFd);
            out.writeInt(ttyFd);
            out.writeBoolean(trace);
            writeStrings(out, lowerdirs);
            writeString(out, upper);
            writeString(out, work);
            writeString(out, root);
            writeString(out, workingDir);
            writeVolumes(out, volumes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static ContainerSpec decode(byte[] encoded) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            return new ContainerSpec(readStrings(in), readStrings(in), readString(in), in.readInt(), in.readInt(),
                    in.readBoolean(), readStrings(in), readString(in), readString(in), readString(in), readString(in), readVolumes(in));
        } catch (IOException e) {
            throw new MydockerException("reading the container spec from the parent (" + encoded.length
                    + " bytes): truncated; did mydocker run die?");
        }
    }

    // tag::volumes[]
    private static void writeVolumes(DataOutputStream out, List<Volume> volumes) throws IOException {
        out.writeInt(volumes.size());
        for (Volume v : volumes) {
            writeString(out, v.source());
            writeString(out, v.target());
            out.writeBoolean(v.readOnly());
            out.writeBoolean(v.directory());
        }
    }
    // end::volumes[]

    private static List<Volume> readVolumes(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Volume> volumes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            volumes.add(new Volume(readString(in), readString(in), in.readBoolean(), in.readBoolean()));
        }
        return volumes;
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) {
            writeString(out, s);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<String> strings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            strings.add(readString(in));
        }
        return strings;
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
