#!/usr/bin/env bash
# Throughput of moving layers in and out of the store, against tar doing the same bytes:
#   import: `mydocker import` of a generated 200 MB layer (20,000 small files and four large
#           ones) against `tar -xf` of the same archive;
#   commit: `mydocker commit` of a container whose upper holds 100 MB against `tar -cf` of it.
# Both as root, step05, each timed with hyperfine (JVM start included: it is what a user waits
# for). Writes bench/results/import.{csv,adoc}.
#
#   sudo bench/import.sh            STEP=step04-overlayfs RUNS=5 sudo bench/import.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install hyperfine busybox-static
runs=${RUNS:-5}
step=${STEP:-step05-volumes}
build_steps
make_work
load_before=$(machine)
mydocker="$repo/$step/mydocker"

# tree DIR SMALL_MB LARGE_MB: SMALL_MB of 4 KiB files in directories of 1,000, and four files
# sharing LARGE_MB, all random so that nothing on the way can shortcut them.
tree() {
    local dir=$1 small=$2 large=$3
    for d in $(seq 1 $((small * 1024 * 1024 / 4096000))); do
        mkdir -p "$dir/d$d"
        head -c 4096000 /dev/urandom | split -b 4096 -a 3 -d - "$dir/d$d/f"
    done
    for n in 1 2 3 4; do
        head -c "$((large * 1024 * 1024 / 4))" /dev/urandom >"$dir/large$n.bin"
    done
}

# The 200 MB layer: 80 MB of small files, 120 MB of large ones.
tree "$work/layer" 80 120
tar -cf "$work/layer.tar" -C "$work/layer" .
layer_mb=$(du -m --apparent-size "$work/layer.tar" | cut -f1)

# The 100 MB upper: a container's own layer, filled from the host as if the container wrote it.
export MYDOCKER_ROOT="$work/store"
"$mydocker" import "$work/busybox.tar" busybox >/dev/null
"$mydocker" run --name bench busybox /bin/true
upper=$(dirname "$(grep -l '"name":"bench"' "$MYDOCKER_ROOT"/containers/*/state.json)")/upper
tree "$upper/data" 40 60
upper_mb=$(du -sm --apparent-size "$upper" | cut -f1)

cd "$work"
hyperfine -N --runs "$runs" --style basic --export-csv "$work/raw.csv" \
    --prepare "sh -c '$mydocker rmi bench-layer >/dev/null 2>&1 || true'" -n "mydocker import" \
        "$mydocker import $work/layer.tar bench-layer" \
    --prepare "sh -c 'rm -rf $work/x && mkdir $work/x'" -n "tar -xf" \
        "tar -xf $work/layer.tar -C $work/x" \
    --prepare "sh -c '$mydocker rmi bench-commit >/dev/null 2>&1 || true'" -n "mydocker commit" \
        "$mydocker commit bench bench-commit" \
    --prepare "rm -f $work/upper.tar" -n "tar -cf" \
        "tar -cf $work/upper.tar -C $upper ." >"$work/hyperfine.log" 2>&1 \
    || { cat "$work/hyperfine.log" >&2; exit 1; }

mkdir -p "$results"
awk -F, -v layer="$layer_mb" -v upper="$upper_mb" '
    NR == 1 { next }
    { gsub(/"/, ""); mb = $1 ~ /import|xf/ ? layer : upper; rate[$1] = mb / $2; mean[$1] = $2; size[$1] = mb }
    END {
      print "operation,mb,mean_s,mb_per_s,ratio_to_tar"
      printf "mydocker import,%d,%.2f,%.1f,%.2f\n", size["mydocker import"], mean["mydocker import"], rate["mydocker import"], rate["mydocker import"] / rate["tar -xf"]
      printf "tar -xf,%d,%.2f,%.1f,1.00\n", size["tar -xf"], mean["tar -xf"], rate["tar -xf"]
      printf "mydocker commit,%d,%.2f,%.1f,%.2f\n", size["mydocker commit"], mean["mydocker commit"], rate["mydocker commit"], rate["mydocker commit"] / rate["tar -cf"]
      printf "tar -cf,%d,%.2f,%.1f,1.00\n", size["tar -cf"], mean["tar -cf"], rate["tar -cf"]
    }' "$work/raw.csv" >"$results/import.csv"
{
    echo ".Import and commit against tar, $step, root: $load_before; hyperfine --runs $runs"
    echo '[%header,format=csv,cols="2,1,1,1,1"]'
    echo '|==='
    echo "operation,MB,mean (s),MB/s,× tar"
    tail -n +2 "$results/import.csv"
    echo '|==='
} >"$results/import.adoc"
column -t -s, "$results/import.csv"
echo "$load_before"
