#!/usr/bin/env bash
# Memory of a waiting runtime: the resident set of the process that stays beside a sleeping
# container: `mydocker run`, as root and as an ordinary user, beside `runc run`, `crun run` and
# podman's conmon. RSS, split into its anonymous part (the JVM's heap, metaspace, stacks and
# the archive's written pages: this process's own) and its file part (libjvm, the archive's
# read-only part, the jar: shared with every other JVM that maps them), and PSS, which divides
# the shared pages among the processes that map them. mydocker's rows take the median RSS of
# SAMPLES runs (default 3); STEPS picks the steps of the foreground rows (default step05 and
# step08). Writes bench/results/memory.{csv,adoc}.
#
#   sudo bench/memory.sh            SAMPLES=5 sudo bench/memory.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
if [ -z "${BENCH_PRIVATE_NS:-}" ]; then
    install crun runc podman busybox-static util-linux
    # As in start-latency.sh: crun 1.8 refuses a hybrid cgroup host; hide the v2 controller list.
    exec unshare --mount --propagation private env BENCH_PRIVATE_NS=1 "$0" "$@"
fi
if grep -q ' /sys/fs/cgroup/unified cgroup2' /proc/mounts; then
    : >/tmp/mydocker-bench-empty
    mount --bind /tmp/mydocker-bench-empty /sys/fs/cgroup/unified/cgroup.controllers
fi
build_steps
make_work
load_before=$(machine)
bundle="$work/bundle"
mkdir -p "$bundle/rootfs"
tar -xf "$work/busybox.tar" -C "$bundle/rootfs"
(cd "$bundle" && runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/sleep", "2"/' "$bundle/config.json"
ulimits=""
if (( (0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1) == 0 )); then
    ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
fi

kb() { awk -v k="$2:" '$1 == k {print $2}' "$1" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# sleeping_child PID...: waits until a child or grandchild of one of PIDs runs sleep.
sleeping_child() {
    local kids
    for _ in $(seq 1 200); do
        kids=$(pgrep -d, -P "$(IFS=,; echo "$*")" || true)
        if [ -n "$kids" ] && pgrep -x sleep -P "$kids,$(IFS=,; echo "$*")" >/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "memory.sh: no sleeping container under $*" >&2
    return 1
}

# measure NAME WATCH CMD...: starts CMD (a container running sleep) and, once the container
# sleeps, reads the memory of the process WATCH names: "self" for CMD's own process, else the
# newest process of that name (conmon, which podman leaves detached). Prints
# "rss,anon,file,pss" in kB.
measure() {
    local name=$1 watch=$2
    shift 2
    "$@" >/dev/null 2>&1 &
    local top=$!
    if [ "$watch" = self ]; then
        sleeping_child "$top"
    else
        sleep 1 # podman starts conmon detached, and the container under it
        sleeping_child "$(pgrep -d, -x "$watch")"
    fi
    local pid=$top
    [ "$watch" != self ] && pid=$(pgrep -n -x "$watch")
    local line
    line="$(kb "/proc/$pid/status" VmRSS),$(kb "/proc/$pid/status" RssAnon),$(kb "/proc/$pid/status" RssFile),$(kb "/proc/$pid/smaps_rollup" Pss)"
    wait "$top"
    echo "$name: RSS,anon,file,PSS kB: $line" >&2
    echo "$line"
}

# detached NAME MYDOCKER...: `run -d` a sleeping container with the launcher command MYDOCKER,
# read the memory of its waiter (the parent of its PID 1) once it waits, then `rm -f` it.
detached() {
    local name=$1
    shift
    local id pid waiter line
    id=$("$@" run -d busybox /bin/sleep 60)
    pid=$("$@" inspect "$id" | awk '/"pid"/ {gsub(/[^0-9]/, "", $3); print $3}')
    waiter=$(awk '{print $4}' "/proc/$pid/stat")
    sleep 1 # the waiter's JVM is up: it reads the output pipe before the id is printed
    line="$(kb "/proc/$waiter/status" VmRSS),$(kb "/proc/$waiter/status" RssAnon),$(kb "/proc/$waiter/status" RssFile),$(kb "/proc/$waiter/smaps_rollup" Pss)"
    "$@" rm -f "$id" >/dev/null
    echo "$name: RSS,anon,file,PSS kB: $line" >&2
    echo "$line"
}

# row NAME SAMPLES WATCH CMD...: the sample of median RSS, in MB.
rows=()
row() {
    local name=$1 samples=$2
    shift 2
    local all=() i
    for ((i = 0; i < samples; i++)); do
        if [ "$1" = detached ]; then
            all+=("$(detached "$name" "${@:2}")")
        else
            all+=("$(measure "$name" "$@")")
        fi
    done
    local mid
    mid=$(printf '%s\n' "${all[@]}" | sort -t, -k1,1n | sed -n "$(((samples + 1) / 2))p")
    rows+=("$name,$(echo "$mid" | awk -F, '{printf "%.1f,%.1f,%.1f,%.1f", $1 / 1024, $2 / 1024, $3 / 1024, $4 / 1024}')")
}
samples=${SAMPLES:-3}

row "runc run (root)" 1 self runc run -b "$bundle" mydocker-bench-runc
row "crun run (root)" 1 self crun run -b "$bundle" mydocker-bench-crun
row "podman: conmon (root)" 1 conmon podman --runtime crun run --rm --network none $ulimits \
    --rootfs "$bundle/rootfs" /bin/sleep 3
for s in ${STEPS:-step05-volumes step08-privileges}; do
    root_store=$(store "$s" root)
    user_store=$(store "$s" user)
    row "mydocker ${s%%-*} (root)" "$samples" self env MYDOCKER_ROOT="$root_store" \
        "$repo/$s/mydocker" run --rm busybox /bin/sleep 3
    row "mydocker ${s%%-*} (user)" "$samples" self $as_user env MYDOCKER_ROOT="$user_store" \
        "$repo/$s/mydocker" run --rm busybox /bin/sleep 3
done
# What each JVM flag saves, on the newest step as root (through JAVA_TOOL_OPTIONS): a smaller
# first heap, the archive mapped where it was dumped (no relocation, so its pages stay clean
# and shared; it gives up the archive's address randomization), smaller thread stacks, one
# compiler thread, and all of them.
newest=step08-privileges
flag_store=$(store "$newest" root)
for flags in "-Xms8m" "-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0" "-Xss256k" \
        "-XX:CICompilerCount=1" "-Xms8m -Xss256k -XX:CICompilerCount=1 -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0"; do
    row "mydocker ${newest%%-*} (root) + $flags" "$samples" self env MYDOCKER_ROOT="$flag_store" \
        "JAVA_TOOL_OPTIONS=$flags" "$repo/$newest/mydocker" run --rm busybox /bin/sleep 3
done
row "mydocker step08 -d: waiter (root)" "$samples" detached env MYDOCKER_ROOT="$(store step08-privileges root)" \
    "$repo/step08-privileges/mydocker"
row "mydocker step08 -d: waiter (user)" "$samples" detached $as_user env MYDOCKER_ROOT="$(store step08-privileges user)" \
    "$repo/step08-privileges/mydocker"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$results"
{
    echo "row,rss_mb,rss_anon_mb,rss_file_mb,pss_mb"
    printf '%s\n' "${rows[@]}"
} >"$results/memory.csv"
{
    echo ".Memory of the waiting process, container sleeping (mydocker: median of $samples): $load_before, after: $load_after"
    echo '[%header,format=csv,cols="3,1,1,1,1"]'
    echo '|==='
    echo "process,RSS (MB),anonymous (MB),file (MB),PSS (MB)"
    tail -n +2 "$results/memory.csv"
    echo '|==='
} >"$results/memory.adoc"
column -t -s, "$results/memory.csv"
echo "$load_before, after: $load_after"
