package mydocker;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a detached container's shim becomes once the container runs: a small JVM that copies
 * the container's output (its stdin, the read end of the container's stdout and stderr pipe)
 * into the log, reaps the container, and hands its exit status to a mydocker JVM that records
 * it. Nothing here touches another class of mydocker: every class it loads is memory it holds
 * for as long as the container runs.
 */
public final class Waiter {

    // tag::waiter-jvm[]
    /**
     * The waiter's JVM: no JIT (nothing here is hot enough to pay for its threads and code
     * cache), the serial collector (no GC threads), a heap and a metaspace sized for one
     * buffer and a few hundred classes, small thread stacks, and no class-data archive: its
     * mapping is relocated, so private, and it held 3 MB more than the classes it saves (measured:
     * 34.4 MB RSS, 16.0 MB anonymous with it, 29.7 and 13.1 without). waitForProcessExit0 is reached
     * by reflection, which needs java.lang opened.
     */
    static final String[] JVM = {"-Xint", "-XX:+UseSerialGC", "-Xms2m", "-Xmx4m", "-Xss256k",
        "-XX:MaxMetaspaceSize=16m", "-XX:ReservedCodeCacheSize=2496k", "-XX:-UsePerfData", "-Xshare:off",
        "-Xlog:disable", "--add-opens=java.base/java.lang=ALL-UNNAMED"};
    // end::waiter-jvm[]

    private Waiter() {}

    /** {@code Waiter PID LOG MAX_BYTES RECORDER...}: the recorder's command gets STATUS and the end time appended. */
    public static void main(String[] args) throws Exception {
        int pid = Integer.parseInt(args[0]);
        File log = new File(args[1]);
        long max = Long.parseLong(args[2]);
        copyToLog(new FileInputStream(java.io.FileDescriptor.in), log, max);
        int status = reap(pid);
        String end = java.time.Instant.now().toString();
        String[] recorder = Arrays.copyOfRange(args, 3, args.length + 2);
        recorder[recorder.length - 2] = Integer.toString(status);
        recorder[recorder.length - 1] = end;
        record(recorder);
    }

    // tag::copy[]
    /**
     * Until every writer is gone (PID 1 of a PID namespace takes all of it along when it
     * exits). The pipe is the backpressure: a container that writes faster than the disk takes
     * it blocks in write, nothing is dropped. The log is capped at two files: at {@code max}
     * bytes the current one becomes LOG.1, replacing the one before. A write that fails (a full
     * disk) loses that chunk, counted, and the next write that succeeds says how much was lost;
     * reading goes on, or the container would block for good.
     */
    static void copyToLog(InputStream in, File log, long max) throws IOException {
        byte[] buf = new byte[65536];
        FileOutputStream out = new FileOutputStream(log, true);
        long size = log.length();
        long lost = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            int off = 0;
            try {
                if (lost > 0) {
                    out.write(("[mydocker: " + lost + " bytes of output lost: no space left on the device]\n")
                            .getBytes(StandardCharsets.UTF_8));
                    lost = 0;
                }
                while (off < n) {
                    if (size >= max) {
                        out.close();
                        log.renameTo(new File(log.getPath() + ".1"));
                        out = new FileOutputStream(log, true);
                        size = 0;
                    }
                    int part = (int) Math.min(n - off, max - size);
                    out.write(buf, off, part);
                    off += part;
                    size += part;
                }
            } catch (IOException e) {
                lost += n - off;
                size = log.length();
            }
        }
        out.close();
    }
    // end::copy[]

    // tag::reap[]
    /**
     * waitpid(2) on the container, which this process cloned (before its execve, as the shim).
     * The JDK has the call as a native of ProcessHandleImpl, which decodes the status as
     * docker does: the exit code, or 0x80 + the signal. Binding it ourselves would mean
     * loading jnr-ffi and its megabytes for one call.
     */
    static int reap(int pid) throws ReflectiveOperationException {
        Method wait = Class.forName("java.lang.ProcessHandleImpl").getDeclaredMethod("waitForProcessExit0",
                long.class, boolean.class);
        wait.setAccessible(true);
        return (Integer) wait.invoke(null, (long) pid, true);
    }
    // end::reap[]

    /** The recorder is a full mydocker JVM: the state, the store's lock, --rm, all as everywhere else. */
    private static void record(String[] recorder) throws IOException, InterruptedException {
        new ProcessBuilder(recorder).redirectInput(new File("/dev/null")).redirectOutput(new File("/dev/null"))
                .redirectError(new File("/dev/null")).start().waitFor();
    }
}
