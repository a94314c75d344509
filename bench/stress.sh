#!/bin/bash
# Load test for issue #9: sequential `run --rm busybox /bin/true` as root and as uid 65534,
# then PARALLEL containers at a time for ROUNDS rounds, and checks that nothing is left:
# no new host mount, no container directory, no stray process, no child killed at the deadline.
#
#   bench/stress.sh [RUNS] [PARALLEL] [ROUNDS]      defaults: 1000 20 50; run as root
#   STEP=step05-volumes bench/stress.sh 100 20 5    a short version
#
# Prints the figures; exits 1 if anything failed or was left behind.
set -u
runs=${1:-1000}
parallel=${2:-20}
rounds=${3:-50}
repo=$(cd "$(dirname "$0")/.." && pwd)
step=${STEP:-step08-privileges}
work=$(mktemp -d /tmp/mydocker-stress.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

[ "$(id -u)" = 0 ] || { echo "stress.sh: run as root (it also runs containers as uid 65534)" >&2; exit 2; }
[ -r "$repo/$step/target/mydocker.jar" ] || { echo "stress.sh: build first: mvn -q -pl $step package -DskipTests" >&2; exit 2; }

# A copy of the launcher that uid 65534 can read, and a store for each user.
mkdir -p "$work/launcher/target" "$work/root" "$work/nobody"
cp "$repo/$step/mydocker" "$work/launcher/"
cp "$repo/$step/target/mydocker.jar" "$work/launcher/target/"
chmod -R a+rX "$work/launcher"
chown 65534:65534 "$work/nobody"
"$repo/scripts/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
chmod 644 "$work/busybox.tar"

as_root() { MYDOCKER_ROOT="$work/root" "$work/launcher/mydocker" "$@"; }
as_nobody() { MYDOCKER_ROOT="$work/nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$work/launcher/mydocker" "$@"; }
as_root import "$work/busybox.tar" busybox >/dev/null || exit 1
as_nobody import "$work/busybox.tar" busybox >/dev/null || exit 1

# What must not change: the host's mount points, and processes of this jar.
mounts() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
strays() { pgrep -f "$work/launcher/target/mydocker.jar" | wc -l; }
containers() { ls "$work/root/containers" "$work/nobody/containers" 2>/dev/null | grep -c '^[0-9a-z]'; }
mounts >"$work/mounts.before"

failures=0
# One run: counts a non-zero exit as a failure, and a child killed at the deadline as a hang.
one() {
    local who=$1; shift
    if ! "$who" "$@" >/dev/null 2>"$work/err.$BASHPID"; then
        echo "failed: $who $*: $(tail -n 1 "$work/err.$BASHPID")" >>"$work/failures"
    fi
    grep -c 'had not finished its setup' "$work/err.$BASHPID" >>"$work/hangs"
    rm -f "$work/err.$BASHPID"
}
: >"$work/failures"; : >"$work/hangs"

sequential() {
    local who=$1 start=$SECONDS
    for ((i = 0; i < runs; i++)); do
        one "$who" run --rm busybox /bin/true
    done
    echo "$who: $runs sequential runs in $((SECONDS - start)) s"
}
sequential as_root
sequential as_nobody

# PARALLEL at a time, each named, kept (no --rm) so that names and ids can be counted after.
start=$SECONDS
for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < parallel; i++)); do
        if ((i % 2)); then one as_root run --name "s$r-$i" busybox /bin/true &
        else one as_nobody run --name "s$r-$i" busybox /bin/true & fi
    done
    wait
done
echo "parallel: $rounds rounds of $parallel in $((SECONDS - start)) s"
kept=$(containers)
names=$( (as_root ps -a; as_nobody ps -a) | awk 'NR > 1 && $1 != "CONTAINER" { print $2 }' | sort)
ids=$(ls "$work/root/containers" "$work/nobody/containers" | grep '^[0-9a-f]\{12\}$' | sort)
dup_names=$(echo "$names" | uniq -d | grep -c .)
dup_ids=$(echo "$ids" | uniq -d | grep -c .)
as_root rm $(as_root ps -a | awk 'NR > 1 { print $2 }') >/dev/null
as_nobody rm $(as_nobody ps -a | awk 'NR > 1 { print $2 }') >/dev/null

sleep 1
mounts >"$work/mounts.after"
new_mounts=$(comm -13 "$work/mounts.before" "$work/mounts.after" | grep -c "$work")
total=$((2 * runs + rounds * parallel))
failed=$(grep -c . "$work/failures")
hung=$(awk '{ s += $1 } END { print s + 0 }' "$work/hangs")
left=$(containers)
stray=$(strays)
echo "runs: $total   failed: $failed   hung: $hung"
echo "parallel containers kept: $kept of $((rounds * parallel))   duplicate names: $dup_names   duplicate ids: $dup_ids"
echo "left behind: mounts under the stores: $new_mounts   container directories: $left   processes: $stray"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
head -n 5 "$work/failures"
[ "$failed" = 0 ] && [ "$hung" = 0 ] && [ "$kept" = $((rounds * parallel)) ] && [ "$dup_names" = 0 ] \
    && [ "$dup_ids" = 0 ] && [ "$new_mounts" = 0 ] && [ "$left" = 0 ] && [ "$stray" = 0 ]
