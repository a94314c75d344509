#!/usr/bin/env bash
# Where a start's time goes: the newest step's `run --rm busybox /bin/true`, RUNS times as root
# and as uid 65534, each with -Xlog:class+load and the JVM's uptime on every line. The moment a
# class first loads marks a phase: mydocker.Main (main() begins), mydocker.Trace (picocli has
# parsed the command line: it is the first class that run's call() loads), jnr-ffi's generated
# LibC (the binding is made),
# mydocker.CloneExec (the container is prepared: image, layer, directories; the plan follows)
# and the log's last line (the child has run and the JVM is exiting). Medians, in ms from JVM
# start; the wall time of the whole start from hyperfine beside them would be a few ms more.
# Writes bench/results/phases.{csv,adoc}.
#
#   sudo bench/phases.sh            RUNS=21 STEP=step05-volumes sudo bench/phases.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install busybox-static util-linux
runs=${RUNS:-11}
step=${STEP:-step08-privileges}
steps=$step
build_steps
make_work
load_before=$(machine)
launcher="$work/launcher"
mkdir -p "$launcher/target" "$work/logs"
cp "$repo/$step/mydocker" "$launcher/"
cp "$repo/$step/target/mydocker.jar" "$launcher/target/"
"$repo/scripts/jvm-archive.sh" "$launcher/target" >/dev/null
chmod -R a+rX "$launcher"
chmod 777 "$work/logs"
markers="mydocker.Main mydocker.Trace mydocker.LibC\$jnr\$ffi\$0 mydocker.CloneExec"

# at LOG CLASS: the uptime in ms at which CLASS first loaded; the last line's for "end".
at() {
    local line
    if [ "$2" = end ]; then line=$(tail -n 1 "$1"); else line=$(grep -m1 -F "] $2 " "$1" || true); fi
    sed -n 's/^\[\([0-9.]*\)s\].*/\1/p' <<<"$line" | awk '{ printf "%.0f", $1 * 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }

rows=()
for who in root user; do
    store=$(store "$step" "$who")
    as=()
    if [ "$who" = user ]; then as=($as_user); fi
    for ((i = 0; i < runs; i++)); do
        env MYDOCKER_ROOT="$store" JAVA_TOOL_OPTIONS="-Xlog:class+load:file=$work/logs/$who-$i.log:uptime" \
            "${as[@]}" "$launcher/mydocker" run --rm busybox /bin/true >/dev/null 2>&1
    done
    row=$who
    for m in $markers end; do
        row="$row,$(for ((i = 0; i < runs; i++)); do at "$work/logs/$who-$i.log" "$m"; echo; done | median)"
    done
    rows+=("$row,$(grep -c . "$work/logs/$who-0.log")")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$results"
{
    echo "user,main_ms,parsed_ms,libc_bound_ms,prepared_ms,end_ms,classes"
    printf '%s\n' "${rows[@]}"
} >"$results/phases.csv"
{
    echo ".Phases of $step \`run --rm busybox /bin/true\`, median of $runs, ms from JVM start: $load_before, after: $load_after"
    echo '[%header,format=csv,cols="1,1,1,1,1,1,1"]'
    echo '|==='
    echo "user,main() begins,command line parsed,LibC bound,container prepared,JVM exits,classes loaded"
    tail -n +2 "$results/phases.csv"
    echo '|==='
} >"$results/phases.adoc"
column -t -s, "$results/phases.csv"
echo "$load_before, after: $load_after"
