package mydocker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Pointer;

/**
 * What the container's process may still do once it runs the command: the capabilities it
 * keeps, no_new_privs, and the seccomp filter. {@link #plan} adds the steps that set them, the
 * last before execve; run's plan calls it, and so can any plan that starts a process in the
 * container.
 */
final class Privileges {

    // <asm/unistd.h> (x86_64 | arm64); seccomp and capset through the plan
    private static final boolean ARM64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_CAPSET = ARM64 ? 91 : 126;
    private static final long SYS_SECCOMP = ARM64 ? 277 : 317;
    // <linux/prctl.h>, <linux/capability.h>, <linux/seccomp.h>
    private static final long PR_CAPBSET_DROP = 24;
    private static final long PR_SET_NO_NEW_PRIVS = 38;
    private static final long PR_CAP_AMBIENT = 47;
    private static final long PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final long SECCOMP_SET_MODE_FILTER = 1;

    /**
     * @param caps       the capabilities kept: bounding, permitted and effective sets
     * @param lastCap    this kernel's highest capability number
     * @param noNewPrivs prctl(PR_SET_NO_NEW_PRIVS): execve grants nothing, setuid bits included
     * @param seccomp    the default filter, or none (seccomp=unconfined, --privileged)
     * @param privileged --privileged: every capability, no filter
     */
    record Settings(long caps, int lastCap, boolean noNewPrivs, boolean seccomp, boolean privileged) {

        /** For inspect, stored with the container's state. */
        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("privileged", privileged);
            json.put("capabilities", Capabilities.names(caps));
            json.put("noNewPrivileges", noNewPrivs);
            json.put("seccomp", seccomp ? "filter (default profile)" : "unconfined");
            return json;
        }

        /** What run gave the container, from its directory's privileges.json: exec applies the same. */
        static Settings of(Path containerDir) {
            try {
                String text = Files.readString(containerDir.resolve("privileges.json"));
                return fromJson(Image.object(Image.parse(text, "privileges.json"), "privileges.json"));
            } catch (IOException e) {
                throw new MydockerException("reading " + containerDir.resolve("privileges.json") + ": " + e.getMessage()
                        + " (the container was started by an older mydocker: run it again)");
            }
        }

        /** Back from privileges.json: what a process started later in the container (exec) gets too. */
        static Settings fromJson(Map<String, Object> json) {
            long caps = 0;
            for (Object name : (List<?>) json.get("capabilities")) {
                caps |= Capabilities.bit(Capabilities.parse((String) name, "privileges.json"));
            }
            return new Settings(caps, Capabilities.lastCap(), Boolean.TRUE.equals(json.get("noNewPrivileges")),
                    !"unconfined".equals(json.get("seccomp")), Boolean.TRUE.equals(json.get("privileged")));
        }
    }

    private Privileges() {}

    // tag::settings[]
    /** run's --privileged, --cap-add, --cap-drop and --security-opt, checked before anything is made. */
    static Settings of(boolean privileged, List<String> capAdd, List<String> capDrop, List<String> securityOpts) {
        boolean noNewPrivs = false;
        boolean seccomp = true;
        for (String opt : securityOpts) {
            String o = opt.replace(':', '='); // docker took "seccomp:unconfined" before "="
            if (o.equals("no-new-privileges") || o.equals("no-new-privileges=true")) {
                noNewPrivs = true;
            } else if (o.equals("no-new-privileges=false")) {
                noNewPrivs = false;
            } else if (o.equals("seccomp=unconfined")) {
                seccomp = false;
            } else {
                throw new MydockerException("--security-opt " + Trace.quote(opt) + ": not supported"
                        + " (use no-new-privileges or seccomp=unconfined; see: mydocker run --help)");
            }
        }
        int lastCap = Capabilities.lastCap();
        long all = Capabilities.all();
        long caps = Capabilities.kept(capAdd, capDrop, all); // unknown names refused even with --privileged
        if (privileged) {
            return new Settings(all, lastCap, noNewPrivs, false, true);
        }
        if (seccomp && !Seccomp.supported()) {
            throw new MydockerException("the default seccomp filter is written for x86_64, not "
                    + System.getProperty("os.arch") + " (run with --security-opt seccomp=unconfined)");
        }
        return new Settings(caps, lastCap, noNewPrivs, seccomp, false);
    }
    // end::settings[]

    // tag::plan[]
    /**
     * The steps, in the order capabilities(7) and seccomp(2) need:
     * <ol>
     * <li>the bounding set first, one PR_CAPBSET_DROP each: it needs CAP_SETPCAP in the
     *     effective set, which the capset below may take away;
     * <li>the ambient set cleared: ambient capabilities would be added back at execve;
     * <li>without no_new_privs, the filter now, while CAP_SYS_ADMIN is still effective (the
     *     kernel refuses a filter from a process that has neither); the filter allows the
     *     capset and prctl calls that follow;
     * <li>capset: permitted and effective to the kept set, inheritable empty;
     * <li>with no_new_privs: prctl(PR_SET_NO_NEW_PRIVS), then the filter, the last step.
     * </ol>
     * As uid 0 at execve the command gets permitted = bounding (its inheritable set is empty),
     * so the bounding set is what decides; the capset also limits the steps left before execve.
     */
    static void plan(Plan plan, Settings s) {
        if (s.privileged()) { // every capability of the user namespace, no filter: as docker's --privileged
            if (s.noNewPrivs()) {
                plan.prctl("PR_SET_NO_NEW_PRIVS, 1", PR_SET_NO_NEW_PRIVS, 1);
            }
            return;
        }
        for (int cap = 0; cap <= s.lastCap(); cap++) {
            if (!Capabilities.has(s.caps(), cap)) {
                plan.prctl("PR_CAPBSET_DROP, CAP_" + name(cap), PR_CAPBSET_DROP, cap);
            }
        }
        plan.prctl("PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL", PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
        if (s.seccomp() && !s.noNewPrivs()) {
            seccomp(plan, s.caps());
        }
        capset(plan, s.caps());
        if (s.noNewPrivs()) {
            plan.prctl("PR_SET_NO_NEW_PRIVS, 1", PR_SET_NO_NEW_PRIVS, 1);
            if (s.seccomp()) {
                seccomp(plan, s.caps());
            }
        }
    }
    // end::plan[]

    private static String name(int cap) {
        return cap < Capabilities.NAMES.size() ? Capabilities.NAMES.get(cap) : String.valueOf(cap);
    }

    // tag::capset[]
    /** capset(&{_LINUX_CAPABILITY_VERSION_3, 0}, data[2]): two halves of 32 bits, low first. */
    private static void capset(Plan plan, long caps) {
        long header = plan.struct(8);
        Pointer.wrap(Syscalls.RUNTIME, header).putInt(0, LINUX_CAPABILITY_VERSION_3); // pid 0: this process
        long data = plan.struct(24); // struct __user_cap_data_struct {u32 effective, permitted, inheritable;} [2]
        Pointer d = Pointer.wrap(Syscalls.RUNTIME, data);
        for (int half = 0; half < 2; half++) {
            int bits = (int) (caps >>> (32 * half));
            d.putInt(12 * half, bits);     // effective
            d.putInt(12 * half + 4, bits); // permitted
            // inheritable stays 0: nothing for a program's file capabilities to pick up
        }
        plan.step("capset({_LINUX_CAPABILITY_VERSION_3, 0}, {effective=permitted=0x" + Capabilities.hex(caps)
                + ", inheritable=0})", SYS_CAPSET, header, data);
    }
    // end::capset[]

    // tag::seccomp[]
    /** seccomp(SECCOMP_SET_MODE_FILTER, 0, &{len, filter}): the program copied to native memory now. */
    private static void seccomp(Plan plan, long caps) {
        Bpf filter = Seccomp.defaultFilter(caps);
        byte[] code = filter.bytes();
        long program = plan.struct(code.length);
        Pointer.wrap(Syscalls.RUNTIME, program).put(0, code, 0, code.length);
        long fprog = plan.struct(16); // struct sock_fprog {u16 len; struct sock_filter *filter;}
        Pointer p = Pointer.wrap(Syscalls.RUNTIME, fprog);
        p.putShort(0, (short) filter.size());
        p.putLong(8, program);
        plan.step("seccomp(SECCOMP_SET_MODE_FILTER, 0, {" + filter.size() + " instructions})", SYS_SECCOMP,
                SECCOMP_SET_MODE_FILTER, 0, fprog);
        plan.explain(e -> new MydockerException(e.getMessage() + " (installing the seccomp filter; a kernel"
                + " without CONFIG_SECCOMP_FILTER cannot: run with --security-opt seccomp=unconfined)"));
    }
    // end::seccomp[]

    /** The filter's listing, one instruction a line, for --trace and the chapter. */
    static void traceFilter(Settings s) {
        if (s.seccomp() && Trace.on()) {
            for (String line : Seccomp.defaultFilter(s.caps()).listing()) {
                Trace.print("  seccomp " + line);
            }
        }
    }
}
