#!/bin/sh
# Writes SyscallTable.java, the system call numbers of x86_64 and i386 by name, for the seccomp
# filter of step08, from the kernel's headers (Debian's linux-libc-dev: asm/unistd_64.h and
# asm/unistd_32.h) and the calls added to the kernel after those headers (NEWER below, from the
# kernel's syscall_64.tbl and syscall_32.tbl). Run it again when either changes:
#
#   scripts/syscall-table.sh > step08-privileges/src/main/java/mydocker/SyscallTable.java
set -eu
inc=${INCLUDE:-/usr/include/x86_64-linux-gnu/asm}
# number name arches (64, 32, or both): Linux 6.5 to 6.15
NEWER="335 uretprobe 64
451 cachestat both
452 fchmodat2 both
453 map_shadow_stack 64
454 futex_wake both
455 futex_wait both
456 futex_requeue both
457 statmount both
458 listmount both
459 lsm_get_self_attr both
460 lsm_set_self_attr both
461 lsm_list_modules both
462 mseal both
463 setxattrat both
464 getxattrat both
465 listxattrat both
466 removexattrat both
467 open_tree_attr both"

table() { # header bits
    {
        sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$/\2 \1/p' "$1"
        printf '%s\n' "$NEWER" | awk -v b="$2" '$3 == b || $3 == "both" { print $1, $2 }'
    } | sort -n -u -k1,1 | awk '{ printf "            \"%s\", %s,\n", $2, $1 }'
}

cat <<JAVA
package mydocker;

import java.util.HashMap;
import java.util.Map;

/**
 * System call numbers by name, for the seccomp filter: x86_64's and i386's, whose numbers
 * differ. Written by scripts/syscall-table.sh from the kernel's headers; do not edit by hand.
 */
final class SyscallTable {

    private SyscallTable() {}

    static final Map<String, Integer> X86_64 = table(
$(table "$inc/unistd_64.h" 64 | sed '$ s/,$//')
    );

    static final Map<String, Integer> I386 = table(
$(table "$inc/unistd_32.h" 32 | sed '$ s/,$//')
    );

    private static Map<String, Integer> table(Object... nameNumber) {
        Map<String, Integer> t = new HashMap<>();
        for (int i = 0; i < nameNumber.length; i += 2) {
            t.put((String) nameNumber[i], (Integer) nameNumber[i + 1]);
        }
        return Map.copyOf(t);
    }

    /** The highest number the table knows: a call above it is newer than the filter. */
    static int highest(Map<String, Integer> table) {
        int highest = 0;
        for (int nr : table.values()) {
            highest = Math.max(highest, nr);
        }
        return highest;
    }
}
JAVA
