#!/usr/bin/env bash
# What each start-up measure is worth: step05's `run --rm busybox /bin/true` as an ordinary user,
# from copies of the launcher and jar that have, or lack, each measure: the launcher's -Xint for
# run, the class-data archive and jffi's unpacked stub (both left beside the jar by
# scripts/jvm-archive.sh); then an archive made from the classes a real run loads, and JVM flags
# tried on top of the build's default (through JAVA_TOOL_OPTIONS). One hyperfine run; the CPU
# columns (user and system time of the run, its container included) are steadier than the wall
# time on a shared machine. Writes bench/results/start-options.{csv,adoc}.
#
#   sudo bench/start-options.sh            RUNS=30 sudo bench/start-options.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install hyperfine busybox-static util-linux
runs=${RUNS:-20}
step=${STEP:-step05-volumes}
steps=$step
build_steps
make_work
load_before=$(machine)

# variant NAME [jni] [cds] [jit]: a copy of the step's launcher and jar with what is asked for
# beside it; jit: the launcher without the -Xint it gives run.
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
    *" jit "*)
        sed -i 's/run|doctor) jit=-Xint; break ;;/run|doctor) break ;;/' "$dir/mydocker"
        if ! grep -q 'run|doctor) break ;;' "$dir/mydocker"; then
            echo "start-options.sh: could not take -Xint out of the launcher" >&2
            exit 1
        fi
        ;;
    esac
    chmod -R a+rX "$dir"
    echo "$dir/mydocker"
}
store=$(store "$step" user)
cmd="run --rm busybox /bin/true"

# real_run_archive LAUNCHER: replaces the archive beside LAUNCHER's jar by one made from the
# classes that a real run, as the ordinary user, loads (the JDK's default list added), the
# lambda forms and lambda proxies it generated included; picocli's Java 5 class files are
# skipped by the dump.
real_run_archive() {
    local target
    target=$(dirname "$1")/target
    rm -f "$target/mydocker.jsa"
    mkdir -p "$work/classlist"
    chmod 777 "$work/classlist"
    MYDOCKER_ROOT=$store $as_user env JAVA_TOOL_OPTIONS="-Xshare:off -XX:DumpLoadedClassList=$work/classlist/run.classlist" \
        "$1" $cmd >/dev/null 2>&1
    { grep -v '^#' "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/classlist" || true
      cat "$work/classlist/run.classlist"; } | awk '!seen[$0]++' >"$target/run.classlist"
    java -Xshare:dump -XX:SharedClassListFile="$target/run.classlist" \
        -XX:SharedArchiveFile="$target/mydocker.jsa" -cp "$target/mydocker.jar" >"$target/run.jsa.log" 2>&1 \
        || { echo "start-options.sh: the real run's archive was not made (see $target/run.jsa.log)" >&2; exit 1; }
    chmod a+r "$target/mydocker.jsa"
}

args=()
row() { args+=(-n "$1" "$as_user env MYDOCKER_ROOT=$store $2 $cmd"); }
default=$(variant default jni cds)
row "the build's default (-Xint + archive + stub)" "$default"
row "without -Xint (C1 JIT: TieredStopAtLevel=1)" "$(variant nojit jni cds jit)"
row "without the class-data archive" "$(variant nocds jni)"
row "without the jffi stub" "$(variant nojni cds)"
row "none of the three" "$(variant none jit)"
realrun=$(variant realrun jni cds)
real_run_archive "$realrun"
row "archive from a real run's classes instead" "$realrun"
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
