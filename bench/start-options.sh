#!/usr/bin/env bash
# What each start-up measure is worth: the newest step's `run --rm busybox /bin/true` as an
# ordinary user, from copies of the launcher and jar that have, or lack, each measure: the
# class-data archive of a real run and jffi's unpacked stub (both left beside the jar by
# scripts/jvm-archive.sh), the C1-only JIT; -Xint, which the launcher gave run while the
# cloned child ran Java; JDK 25's AOT cache where /usr/lib/jvm has a JDK 25; and JVM flags
# tried on top of the build's default (through JAVA_TOOL_OPTIONS). One hyperfine run; the CPU
# columns (user and system time of the run, its container included) are steadier than the
# wall time on a shared machine. Writes bench/results/start-options.{csv,adoc}.
#
#   sudo bench/start-options.sh            RUNS=30 STEP=step05-volumes sudo bench/start-options.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install hyperfine busybox-static util-linux
runs=${RUNS:-20}
step=${STEP:-step08-privileges}
steps=$step
build_steps
make_work
load_before=$(machine)

# variant NAME [jni] [cds] [c2]: a copy of the step's launcher and jar with what is asked for
# beside it; c2: the launcher without -XX:TieredStopAtLevel=1, so C2 compiles too.
variant() {
    local dir="$work/$1"
    shift
    mkdir -p "$dir/target"
    cp "$repo/$step/mydocker" "$dir/"
    cp "$repo/$step/target/mydocker.jar" "$dir/target/"
    "$repo/scripts/jvm-archive.sh" "$dir/target" >/dev/null
    case " $* " in *" jni "*) ;; *) rm -rf "$dir/target/jni" ;; esac
    case " $* " in *" cds "*) ;; *) rm -f "$dir/target/mydocker.jsa" ;; esac
    case " $* " in
    *" c2 "*)
        sed -i 's/ -XX:TieredStopAtLevel=1//' "$dir/mydocker"
        if grep -q 'TieredStopAtLevel' "$dir/mydocker"; then
            echo "start-options.sh: could not take TieredStopAtLevel out of the launcher" >&2
            exit 1
        fi
        ;;
    esac
    chmod -R a+rX "$dir"
    echo "$dir/mydocker"
}
store=$(store "$step" user)
cmd="run --rm busybox /bin/true"

args=()
row() { args+=(-n "$1" "$as_user env MYDOCKER_ROOT=$store $2 $cmd"); }
default=$(variant default jni cds)
row "the build's default (C1 JIT + archive of a real run + stub)" "$default"
row "default + -Xint (the JIT off: run before the child was C)" "env JAVA_TOOL_OPTIONS=-Xint $default"
row "C1 and C2 (the JVM's tiered default)" "$(variant c2 jni cds c2)"
row "without the class-data archive" "$(variant nocds jni)"
row "without the jffi stub" "$(variant nojni cds)"
row "neither archive nor stub" "$(variant none)"
# JDK 25: an AOT cache (JEP 483/514) made by one training run of the same command, as root in
# a store of its own; the JDK 17 archive is left out, as that JVM could not map it.
jdk25=$(find /usr/lib/jvm -maxdepth 1 -name '*-25*' -type d | head -1)
if [ -n "$jdk25" ] && [ -x "$jdk25/bin/java" ]; then
    aot=$(variant aot jni)
    quiet25="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xlog:aot=off -Xlog:cds=off"
    train=$(store "$step" root)
    MYDOCKER_ROOT=$train JAVA_HOME=$jdk25 JAVA_TOOL_OPTIONS="$quiet25 -XX:AOTCacheOutput=$work/aot/target/mydocker.aot" \
        "$aot" $cmd >/dev/null 2>&1 || { echo "start-options.sh: JDK 25's training run failed" >&2; exit 1; }
    chmod a+r "$work/aot/target/mydocker.aot"
    row "JDK 25 ($(basename "$jdk25")) without a cache" "env JAVA_HOME=$jdk25 'JAVA_TOOL_OPTIONS=$quiet25' $aot"
    row "JDK 25 with an AOT cache of a real run" \
        "env JAVA_HOME=$jdk25 'JAVA_TOOL_OPTIONS=$quiet25 -XX:AOTCache=$work/aot/target/mydocker.aot' $aot"
fi
for flags in "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote" "-Xss256k" "-Xmn4m -Xms8m"; do
    row "default + $flags" "env 'JAVA_TOOL_OPTIONS=$flags' $default"
done

cd "$work"
hyperfine -N --warmup 3 --runs "$runs" --style basic --export-csv "$work/raw.csv" "${args[@]}" \
    >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$results"
awk -F, '
    NR == 1 { print "variant,mean_ms,min_ms,stddev_ms,user_ms,system_ms,cpu_ms,cpu_vs_default_ms"; next }
    { n = split($0, f, /"/); if (n > 1) { name = f[2]; sub(/^"[^"]*",/, "") } else { name = $1; sub(/^[^,]*,/, "") }
      split($0, v, ","); cpu = (v[4] + v[5]) * 1000; if (NR == 2) base = cpu
      printf "%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%+.0f\n", name, v[1] * 1000, v[6] * 1000, v[2] * 1000, v[4] * 1000, v[5] * 1000, cpu, cpu - base }
' "$work/raw.csv" >"$results/start-options.csv"
{
    echo ".Start-up measures, $step, \`$cmd\` as uid $user_id: $load_before, after: $load_after; hyperfine --warmup 3 --runs $runs"
    echo '[%header,format=csv,cols="4,1,1,1,1,1,1,1"]'
    echo '|==='
    echo "variant,mean (ms),min (ms),stddev (ms),user (ms),system (ms),user + system (ms),CPU against the default (ms)"
    tail -n +2 "$results/start-options.csv"
    echo '|==='
} >"$results/start-options.adoc"
column -t -s, "$results/start-options.csv"
echo "$load_before, after: $load_after"
