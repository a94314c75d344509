#!/usr/bin/env bash
# What each start-up measure is worth: step05's `run --rm busybox /bin/true` as an ordinary user,
# from copies of the launcher and jar that have, or lack, what scripts/jvm-archive.sh leaves
# beside the jar; then JVM flags tried on the run process alone (through JAVA_TOOL_OPTIONS,
# which init, started with an environment of its own, does not see). One hyperfine run.
# Writes bench/results/start-options.{csv,adoc}.
#
#   sudo bench/start-options.sh            RUNS=30 sudo bench/start-options.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install hyperfine busybox-static util-linux
runs=${RUNS:-20}
step=${STEP:-step05-volumes}
build_steps
make_work
load_before=$(machine)

# variant NAME [jni] [cds]: a copy of the step's launcher and jar with what is asked for beside it.
variant() {
    local dir="$work/$1"
    shift
    mkdir -p "$dir/target"
    cp "$repo/$step/mydocker" "$dir/"
    cp "$repo/$step/target/mydocker.jar" "$dir/target/"
    "$repo/scripts/jvm-archive.sh" "$dir/target" >/dev/null
    case " $* " in *" jni "*) ;; *) rm -rf "$dir/target/jni" ;; esac
    case " $* " in *" cds "*) ;; *) rm -f "$dir/target/mydocker.jsa" ;; esac
    chmod -R a+rX "$dir"
    echo "$dir/mydocker"
}
store=$(store "$step" user)
cmd="run --rm busybox /bin/true"
args=()
row() { args+=(-n "$1" "$as_user env MYDOCKER_ROOT=$store $2 $cmd"); }
row "neither (as before)" "$(variant none)"
row "jffi stub unpacked once" "$(variant jni jni)"
row "class-data archive" "$(variant cds cds)"
both=$(variant both jni cds)
row "both (the build's default)" "$both"
for flags in "-Djnr.ffi.x86asm.enabled=false" "-Djnr.ffi.asm.enabled=false" \
        "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote" "-XX:CICompilerCount=1" \
        "-Xint" "-XX:TieredStopAtLevel=0" "-Xmn4m -Xms8m" "-Xss256k"; do
    row "both + $flags (run only)" "env 'JAVA_TOOL_OPTIONS=$flags' $both"
done

cd "$work"
hyperfine -N --warmup 3 --runs "$runs" --style basic --export-csv "$work/raw.csv" "${args[@]}" \
    >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$results"
awk -F, '
    NR == 1 { print "variant,mean_ms,min_ms,stddev_ms,user_ms,system_ms,vs_before_ms"; next }
    { n = split($0, f, /"/); if (n > 1) { name = f[2]; sub(/^"[^"]*",/, "") } else { name = $1; sub(/^[^,]*,/, "") }
      split($0, v, ","); if (NR == 2) base = v[1]
      printf "%s,%.0f,%.0f,%.0f,%.0f,%.0f,%+.0f\n", name, v[1] * 1000, v[6] * 1000, v[2] * 1000, v[4] * 1000, v[5] * 1000, (v[1] - base) * 1000 }
' "$work/raw.csv" >"$results/start-options.csv"
{
    echo ".Start-up measures, $step, \`$cmd\` as uid $user_id: $load_before, after: $load_after; hyperfine --warmup 3 --runs $runs"
    echo '[%header,format=csv,cols="4,1,1,1,1,1,1"]'
    echo '|==='
    echo "variant,mean (ms),min (ms),stddev (ms),user (ms),system (ms),mean against before (ms)"
    tail -n +2 "$results/start-options.csv"
    echo '|==='
} >"$results/start-options.adoc"
column -t -s, "$results/start-options.csv"
echo "$load_before, after: $load_after"
