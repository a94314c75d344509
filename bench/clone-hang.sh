#!/usr/bin/env bash
# Whether a cloned child ever hangs, through the real run path: `mydocker run --rm busybox
# /bin/true` as root and as uid 65534 (as the tests run it), SEQUENTIAL starts one after the
# other, then N more PARALLEL at a time, with the JIT on as the launcher always runs it and a
# thread allocating in each parent as it clones (MYDOCKER_FAULT_BUSY_PARENT=1; BUSY=0 turns it
# off). The child runs child.c's code, so nothing the JVM does at the moment of clone can stop
# it. A child that never finishes is killed at the deadline and its run says "had not finished
# its setup": those are the hangs. A run that exits non-zero is a failure. Both must be 0.
# Writes bench/results/clone-hang.{csv,adoc}.
#
#   sudo bench/clone-hang.sh [N] [PARALLEL]      defaults: 2000 20
#   STEP=step04-overlayfs sudo bench/clone-hang.sh 500 20
#   SEQUENTIAL=100 sudo bench/clone-hang.sh      fewer sequential starts (default: 200)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install busybox-static util-linux
n=${1:-2000}
parallel=${2:-20}
sequential=${SEQUENTIAL:-200}
step=${STEP:-step08-privileges}
busy=${BUSY:-1}
steps=$step
build_steps
make_work
load_before=$(machine)

# A copy of the launcher and jar that uid 65534 can read, as the tests make, with what the build
# leaves beside the jar made again for the copy (an archive names its jar's path and time).
launcher="$work/launcher"
mkdir -p "$launcher/target"
cp "$repo/$step/mydocker" "$launcher/"
cp "$repo/$step/target/mydocker.jar" "$launcher/target/"
"$repo/scripts/jvm-archive.sh" "$launcher/target" >/dev/null
chmod -R a+rX "$launcher"
declare -A stores
for who in root user; do
    stores[$who]="$work/store-$who"
    mkdir -m 700 "${stores[$who]}" # the store refuses a top directory others can enter
done
chown "$user_id:$user_id" "${stores[user]}"
MYDOCKER_ROOT=${stores[root]} "$launcher/mydocker" import "$work/busybox.tar" busybox >/dev/null
MYDOCKER_ROOT=${stores[user]} $as_user "$launcher/mydocker" import "$work/busybox.tar" busybox >/dev/null
mkdir -p "$work/out"
chmod 777 "$work/out"
env=()
if [ "$busy" = 1 ]; then
    env=(MYDOCKER_FAULT_BUSY_PARENT=1)
fi

# one WHO MODE I: one start; its exit status and its stderr kept for the count.
one() {
    local who=$1 f="$work/out/$1-$2-$3" rc=0 as=()
    if [ "$who" = user ]; then
        as=($as_user)
    fi
    env MYDOCKER_ROOT="${stores[$who]}" "${env[@]}" "${as[@]}" "$launcher/mydocker" run --rm busybox /bin/true \
        >/dev/null 2>"$f.err" || rc=$?
    echo "$rc" >"$f.rc"
}

now() { date +%s.%N; }
report=()
# tally WHO MODE SECONDS STARTS: a row of the table from that mode's files.
tally() {
    local who=$1 mode=$2 secs=$3 starts=$4 hung failed
    hung=$({ grep -l 'had not finished its setup' "$work/out/$who-$mode"-*.err || true; } | wc -l)
    failed=$({ grep -L '^0$' "$work/out/$who-$mode"-*.rc || true; } | wc -l)
    for f in $({ grep -L '^0$' "$work/out/$who-$mode"-*.rc || true; } | head -5); do
        echo "failed ($who $mode): exit $(cat "$f"): $(tail -n 1 "${f%.rc}.err")" >&2
    done
    echo "$who $mode: $starts starts in $secs s, $hung hung, $failed failures" >&2
    report+=("$who,$mode,$starts,$secs,$(awk -v s="$secs" -v n="$starts" 'BEGIN {printf "%.0f", s / n * 1000}'),$hung,$failed")
}

for who in root user; do
    start=$(now)
    for ((i = 0; i < sequential; i++)); do
        one "$who" sequential "$i"
    done
    secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')
    tally "$who" sequential "$secs" "$sequential"

    start=$(now)
    for ((i = 0; i < n; i++)); do
        while (($(jobs -rp | wc -l) >= parallel)); do
            wait -n || true
        done
        one "$who" "parallel$parallel" "$i" &
    done
    wait
    secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')
    tally "$who" "parallel$parallel" "$secs" "$n"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

left=$(find "$work"/store-*/containers -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
mkdir -p "$results"
{
    echo "user,mode,starts,seconds,ms_per_start,hung,failures"
    printf '%s\n' "${report[@]}"
} >"$results/clone-hang.csv"
{
    echo ".Clone hangs, $step \`run --rm busybox /bin/true\`, busy parent: $busy; $load_before, after: $load_after; $left containers left"
    echo '[%header,format=csv,cols="1,2,1,1,1,1,1"]'
    echo '|==='
    echo "user,mode,starts,seconds,ms a start (wall / starts),hung (killed at the deadline),failures"
    tail -n +2 "$results/clone-hang.csv"
    echo '|==='
} >"$results/clone-hang.adoc"
column -t -s, "$results/clone-hang.csv"
echo "$load_before, after: $load_after; containers left: $left"
