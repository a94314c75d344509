package mydocker;

import java.util.ArrayList;
import java.util.List;

/**
 * A classic BPF program (<linux/filter.h>), as seccomp runs it on each system call: a list of
 * 8-byte instructions over one accumulator, jumps only forward, the program's answer the value
 * of the first ret reached. Only what a seccomp filter needs: load a 32-bit word of struct
 * seccomp_data, compare it with a constant, jump, return.
 */
final class Bpf {

    // <linux/bpf_common.h>: class | size | mode, and jump kinds
    static final int LD_W_ABS = 0x00 | 0x00 | 0x20;  // BPF_LD | BPF_W | BPF_ABS
    static final int JEQ_K = 0x05 | 0x10 | 0x00;     // BPF_JMP | BPF_JEQ | BPF_K
    static final int JGE_K = 0x05 | 0x30 | 0x00;     // BPF_JMP | BPF_JGE | BPF_K
    static final int JSET_K = 0x05 | 0x40 | 0x00;    // BPF_JMP | BPF_JSET | BPF_K
    static final int RET_K = 0x06;                   // BPF_RET | BPF_K
    static final int JA = 0x05 | 0x00;               // BPF_JMP | BPF_JA: k is a 32-bit offset

    /** One struct sock_filter; {@code note} is for the listing only. */
    record Insn(int code, int jt, int jf, int k, String note) {}

    private final List<Insn> program = new ArrayList<>();

    // tag::builder[]
    /** A = the 32-bit word at {@code offset} of struct seccomp_data. */
    Bpf ld(int offset, String what) {
        return add(LD_W_ABS, 0, 0, offset, what);
    }

    /** If A == k skip {@code jt} instructions, else skip {@code jf}. */
    Bpf jeq(int k, int jt, int jf, String what) {
        return add(JEQ_K, jt, jf, k, what);
    }

    /** If A >= k (unsigned) skip {@code jt}, else {@code jf}. */
    Bpf jge(int k, int jt, int jf, String what) {
        return add(JGE_K, jt, jf, k, what);
    }

    /** If A & k is not 0 skip {@code jt}, else {@code jf}. */
    Bpf jset(int k, int jt, int jf, String what) {
        return add(JSET_K, jt, jf, k, what);
    }

    /** Skip {@code k} instructions: the one jump that reaches past 255 of them. */
    Bpf ja(int k, String what) {
        return add(JA, 0, 0, k, what);
    }

    /** The filter's answer: an action in the top 16 bits, its data (an errno) below. */
    Bpf ret(int k, String what) {
        return add(RET_K, 0, 0, k, what);
    }
    // end::builder[]

    private Bpf add(int code, int jt, int jf, int k, String note) {
        if (jt > 255 || jf > 255) {
            throw new IllegalStateException("a classic BPF jump reaches at most 255 instructions");
        }
        program.add(new Insn(code, jt, jf, k, note));
        return this;
    }

    /** {@code other}'s instructions after these: its jumps are relative, so they still land. */
    Bpf append(Bpf other) {
        program.addAll(other.program);
        return this;
    }

    List<Insn> instructions() {
        return program;
    }

    int size() {
        return program.size();
    }

    /** The program as the kernel reads it: struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;} each. */
    byte[] bytes() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(program.size() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (Insn i : program) {
            b.putShort((short) i.code).put((byte) i.jt).put((byte) i.jf).putInt(i.k);
        }
        return b.array();
    }

    // tag::listing[]
    /** One instruction a line, as bpf_dbg prints them, with where each jump lands. */
    List<String> listing() {
        List<String> lines = new ArrayList<>();
        for (int n = 0; n < program.size(); n++) {
            Insn i = program.get(n);
            String text = switch (i.code) {
                case LD_W_ABS -> "ld  [" + i.k + "]";
                case JEQ_K, JGE_K, JSET_K -> (i.code == JEQ_K ? "jeq" : i.code == JGE_K ? "jge" : "jset")
                        + " #0x" + Integer.toHexString(i.k) + ", " + (n + 1 + i.jt) + ", " + (n + 1 + i.jf);
                case JA -> "ja  " + (n + 1 + i.k);
                case RET_K -> "ret #0x" + Integer.toHexString(i.k);
                default -> "?";
            };
            lines.add(String.format("%3d: %-34s ; %s", n, text, i.note));
        }
        return lines;
    }
    // end::listing[]
}
