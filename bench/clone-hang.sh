#!/usr/bin/env bash
# How often the cloned child hangs, through the real run path: N starts of
# `mydocker run --rm busybox /bin/true` as uid 65534 (as the tests run it), first one after the
# other, then N more PARALLEL at a time. A child that hangs in a futex before its first step is
# killed by the watchdog and cloned again, which the run reports on stderr ("hung in a futex");
# those lines are the retries. A run that exits non-zero is a failure. Failures must be 0.
# Writes bench/results/clone-hang.{csv,adoc}.
#
#   sudo bench/clone-hang.sh [N] [PARALLEL]      defaults: 10000 20
#   STEP=step04-overlayfs sudo bench/clone-hang.sh 1000 20
#   SEQUENTIAL=300 sudo bench/clone-hang.sh 1000 20    fewer sequential starts than parallel ones
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install busybox-static util-linux
n=${1:-10000}
parallel=${2:-20}
sequential=${SEQUENTIAL:-$n}
step=${STEP:-step05-volumes}
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
store="$work/store"
mkdir -m 700 "$store" # the store refuses a top directory others can enter
chown "$user_id:$user_id" "$store"
MYDOCKER_ROOT=$store $as_user "$launcher/mydocker" import "$work/busybox.tar" busybox >/dev/null
mkdir -p "$work/out"
chmod 777 "$work/out"

# one MODE I: one start; its exit status and its stderr kept for the count.
one() {
    local f="$work/out/$1-$2" rc=0
    MYDOCKER_ROOT=$store $as_user "$launcher/mydocker" run --rm busybox /bin/true \
        >/dev/null 2>"$f.err" || rc=$?
    echo "$rc" >"$f.rc"
}

now() { date +%s.%N; }
report=()
# tally MODE SECONDS STARTS: a row of the table from that mode's files.
tally() {
    local mode=$1 secs=$2 starts=$3 retries failed with_retry most
    retries=$(cat "$work/out/$mode"-*.err | grep -c 'hung in a futex' || true)
    with_retry=$({ grep -l 'hung in a futex' "$work/out/$mode"-*.err || true; } | wc -l)
    most=$(for f in "$work/out/$mode"-*.err; do grep -c 'hung in a futex' "$f" || true; done | sort -n | tail -1)
    failed=$({ grep -L '^0$' "$work/out/$mode"-*.rc || true; } | wc -l)
    for f in $({ grep -L '^0$' "$work/out/$mode"-*.rc || true; } | head -5); do
        echo "failed ($mode): exit $(cat "$f"): $(tail -n 1 "${f%.rc}.err")" >&2
    done
    echo "$mode: $starts starts in $secs s, $retries retries ($with_retry starts with one or more," \
        "at most $most in one), $failed failures" >&2
    report+=("$mode,$starts,$secs,$(awk -v s="$secs" -v n="$starts" 'BEGIN {printf "%.0f", s / n * 1000}'),$retries,$with_retry,$most,$failed")
}

start=$(now)
for ((i = 0; i < sequential; i++)); do
    one sequential "$i"
done
secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')
tally sequential "$secs" "$sequential"

start=$(now)
for ((i = 0; i < n; i++)); do
    while (($(jobs -rp | wc -l) >= parallel)); do
        wait -n || true
    done
    one "parallel$parallel" "$i" &
done
wait
secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')
tally "parallel$parallel" "$secs" "$n"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

left=$(find "$store/containers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
mkdir -p "$results"
{
    echo "mode,starts,seconds,ms_per_start,retries,starts_retried,most_retries_in_one,failures"
    printf '%s\n' "${report[@]}"
} >"$results/clone-hang.csv"
{
    echo ".Clone hangs, $step \`run --rm busybox /bin/true\` as uid $user_id: $load_before, after: $load_after; $left containers left"
    echo '[%header,format=csv,cols="2,1,1,1,1,1,1,1"]'
    echo '|==='
    echo "mode,starts,seconds,ms a start (wall / starts),watchdog retries,starts retried,most retries in one start,failures"
    tail -n +2 "$results/clone-hang.csv"
    echo '|==='
} >"$results/clone-hang.adoc"
column -t -s, "$results/clone-hang.csv"
echo "$load_before, after: $load_after; containers left: $left"
