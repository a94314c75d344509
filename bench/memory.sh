#!/usr/bin/env bash
# Memory of a waiting runtime: the resident set (RSS, and PSS, which shares the pages of mapped
# files such as the class-data archive among the processes that map them) of the process that
# stays beside a sleeping container: `mydocker run`, as root and as an ordinary user, beside
# `runc run`, `crun run` and podman's conmon. For mydocker also init's peak RSS before it execs
# the command (sampled until its exec, so a peak in the last moments can be missed).
# Writes bench/results/memory.{csv,adoc}.
#
#   sudo bench/memory.sh
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

# measure NAME WATCH CMD...: starts CMD (a container running sleep 2) and, once the container
# sleeps, reads the RSS and PSS of the process WATCH names: "self" for CMD's own process,
# else the newest process of that name (conmon, which podman leaves detached).
rows=()
measure() {
    local name=$1 watch=$2
    shift 2
    "$@" >/dev/null 2>&1 &
    local top=$! init="" peak=0 hwm
    # init: CMD's child, a JVM until it execs the command; sample its peak until then.
    if [[ $name == mydocker* ]]; then
        for _ in $(seq 1 5000); do
            init=$(pgrep -P "$top" | head -1 || true)
            [ -n "$init" ] && break
            sleep 0.001
        done
        while [ -n "$init" ] && [ "$(cat "/proc/$init/comm" 2>/dev/null)" = java ]; do
            hwm=$(kb "/proc/$init/status" VmHWM)
            [ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
        done
    fi
    if [ "$watch" = self ]; then
        sleeping_child "$top"
    else
        sleep 1 # podman starts conmon detached, and the container under it
        sleeping_child "$(pgrep -d, -x "$watch")"
    fi
    local pid=$top
    [ "$watch" != self ] && pid=$(pgrep -n -x "$watch")
    local rss pss
    rss=$(kb "/proc/$pid/status" VmRSS)
    pss=$(kb "/proc/$pid/smaps_rollup" Pss)
    wait "$top"
    echo "$name: RSS $rss kB, PSS $pss kB, init peak $peak kB" >&2
    rows+=("$name,$(mb "$rss"),$(mb "$pss"),$( [ "$peak" -gt 0 ] && mb "$peak" || echo)")
}

measure "runc run (root)" self runc run -b "$bundle" mydocker-bench-runc
measure "crun run (root)" self crun run -b "$bundle" mydocker-bench-crun
measure "podman: conmon (root)" conmon podman --runtime crun run --rm --network none $ulimits \
    --rootfs "$bundle/rootfs" /bin/sleep 3
for s in step04-overlayfs step05-volumes; do
    measure "mydocker ${s%%-*} (root)" self env MYDOCKER_ROOT="$(store "$s" root)" \
        "$repo/$s/mydocker" run --rm busybox /bin/sleep 3
    measure "mydocker ${s%%-*} (user)" self $as_user env MYDOCKER_ROOT="$(store "$s" user)" \
        "$repo/$s/mydocker" run --rm busybox /bin/sleep 3
done

mkdir -p "$results"
{
    echo "row,rss_mb,pss_mb,init_peak_rss_mb"
    printf '%s\n' "${rows[@]}"
} >"$results/memory.csv"
{
    echo ".Memory of the waiting process, container sleeping: $load_before"
    echo '[%header,format=csv,cols="3,1,1,1"]'
    echo '|==='
    echo "process,RSS (MB),PSS (MB),init's peak RSS before exec (MB)"
    tail -n +2 "$results/memory.csv"
    echo '|==='
} >"$results/memory.adoc"
column -t -s, "$results/memory.csv"
echo "$load_before"
