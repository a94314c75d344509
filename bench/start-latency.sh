#!/usr/bin/env bash
# Wall time of starting a container that runs `true` and exits: every step's `mydocker run`, as
# root and as an ordinary user, beside the floor (unshare), bubblewrap, crun, runc, podman and,
# as root, docker (Debian's docker.io: a dockerd of this script's own, with no bridge and no
# iptables, its data root and socket in the work directory, stopped at the end), all in one
# hyperfine run on this machine. Prints one table, and writes it to
# bench/results/start-latency.{csv,adoc,svg} for the docs.
#
#   sudo bench/start-latency.sh            RUNS=50 sudo bench/start-latency.sh
#   STEPS=step08-privileges sudo bench/start-latency.sh      one step's rows only
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
runs=${RUNS:-20}

# crun 1.8 refuses a host whose cgroup2 mount lists controllers while v1 is mounted too
# ("cgroups in hybrid mode not supported"). So every row runs in a private mount namespace in
# which an empty file hides that list; the host's own stays as it is.
if [ -z "${BENCH_PRIVATE_NS:-}" ]; then
    install hyperfine bubblewrap crun runc podman docker.io busybox-static util-linux
    exec unshare --mount --propagation private env BENCH_PRIVATE_NS=1 "$0" "$@"
fi
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ] && [ -n "$(grep -l cgroup2 /proc/mounts)" ] \
        && grep -q '^cgroup /sys/fs/cgroup/' /proc/mounts; then
    : >/tmp/mydocker-bench-empty
    mount --bind /tmp/mydocker-bench-empty /sys/fs/cgroup/unified/cgroup.controllers
fi

build_steps
make_work
load_before=$(machine)

# The same busybox tree for every peer: an OCI bundle for crun and runc, the rootfs for the
# others; a copy owned by the ordinary user for rootless podman, which writes /etc files into it.
bundle="$work/bundle"
mkdir -p "$bundle/rootfs" "$work/user-rootfs"
tar -xf "$work/busybox.tar" -C "$bundle/rootfs"
tar -xf "$work/busybox.tar" -C "$work/user-rootfs"
chown -R "$user_id:$user_id" "$work/user-rootfs"
(cd "$bundle" && runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$bundle/config.json"
mkdir -p "$work/user-home" "$work/user-run"
chown "$user_id:$user_id" "$work/user-home" "$work/user-run"
chmod 700 "$work/user-run"
user_env="env HOME=$work/user-home XDG_RUNTIME_DIR=$work/user-run"

# Docker's daemon, for the docker row: started here, given 60 s to answer, stopped on exit
# before the work directory goes. Debian's client, /usr/bin/docker, which matches it.
docker=/usr/bin/docker
docker_sock="$work/docker.sock"
dockerd --bridge=none --iptables=false --ip6tables=false --data-root "$work/docker" \
    --exec-root "$work/docker-exec" --pidfile "$work/dockerd.pid" -H "unix://$docker_sock" \
    >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
trap 'kill "$dockerd_pid" 2>/dev/null; timeout 30 tail --pid="$dockerd_pid" -f /dev/null; rm -rf "$work"' EXIT
for ((i = 0; i < 600; i++)); do
    "$docker" -H "unix://$docker_sock" version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { cat "$work/dockerd.log" >&2; exit 1; }
    sleep 0.1
done
"$docker" -H "unix://$docker_sock" import "$work/busybox.tar" mydocker-bench-busybox >/dev/null \
    || { echo "start-latency.sh: dockerd did not answer on $docker_sock (its log: $work/dockerd.log)" >&2; exit 1; }

# Rootful podman sets the nofile and nproc limits it was given, which needs CAP_SYS_RESOURCE.
ulimits=""
cap_eff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
if (( (0x$cap_eff >> 24 & 1) == 0 )); then
    ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
fi

args=()
row() { args+=(-n "$1" "$2"); }
row "unshare: floor (root)" "unshare --fork --pid --mount --uts --ipc --net --mount-proc true"
row "bubblewrap (root)" "bwrap --unshare-all --ro-bind $bundle/rootfs / --proc /proc --dev /dev /bin/true"
row "crun (root)" "crun run -b $bundle mydocker-bench-crun"
row "runc (root)" "runc run -b $bundle mydocker-bench-runc"
row "podman+crun (root)" "podman --runtime crun run --rm --network none $ulimits --rootfs $bundle/rootfs /bin/true"
row "docker (root)" "$docker -H unix://$docker_sock run --rm --network none mydocker-bench-busybox /bin/true"
for s in $steps; do
    case $s in step0[1-3]*) cmd="run /bin/true" ;; *) cmd="run --rm busybox /bin/true" ;; esac
    row "mydocker ${s%%-*} (root)" "env MYDOCKER_ROOT=$(store "$s" root) $repo/$s/mydocker $cmd"
done
row "bubblewrap (user)" "$as_user bwrap --unshare-all --ro-bind $work/user-rootfs / --proc /proc --dev /dev /bin/true"
row "podman+crun (user)" "$as_user $user_env podman --runtime crun run --rm --network none --rootfs $work/user-rootfs /bin/true"
for s in $steps; do
    case $s in
    step01*) continue ;; # no user namespace yet: an ordinary user gets EPERM
    step0[2-3]*) cmd="run /bin/true" ;;
    *) cmd="run --rm busybox /bin/true" ;;
    esac
    row "mydocker ${s%%-*} (user)" "$as_user env MYDOCKER_ROOT=$(store "$s" user) $repo/$s/mydocker $cmd"
done

cd "$work"
hyperfine -N --warmup 3 --runs "$runs" --style basic --export-csv "$work/raw.csv" "${args[@]}" >"$work/hyperfine.log" 2>&1 \
    || { cat "$work/hyperfine.log" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# One table: ms, and each row against runc (root) and against podman of the same user.
mkdir -p "$results"
awk -F, -v OFS=, '
    NR == 1 { next }
    { gsub(/"/, ""); name[NR] = $1; mean[NR] = $2 * 1000; sd[NR] = $3 * 1000; min[NR] = $7 * 1000; n = NR
      if ($1 == "runc (root)") runc = $2 * 1000
      if ($1 == "docker (root)") docker = $2 * 1000
      if ($1 == "podman+crun (root)") podman["root"] = $2 * 1000
      if ($1 == "podman+crun (user)") podman["user"] = $2 * 1000 }
    END {
      print "row,mean_ms,min_ms,stddev_ms,x_runc,x_podman,x_docker"
      for (i = 2; i <= n; i++) {
        who = name[i] ~ /\(user\)$/ ? "user" : "root"
        xd = who == "root" ? sprintf("%.2f", mean[i] / docker) : ""
        printf "%s,%.1f,%.1f,%.1f,%.2f,%.2f,%s\n", name[i], mean[i], min[i], sd[i], mean[i] / runc, mean[i] / podman[who], xd
      }
    }' "$work/raw.csv" >"$results/start-latency.csv"

{
    echo "# $load_before, after: $load_after; hyperfine --warmup 3 --runs $runs"
    echo "# x_runc: mean / runc's (root); x_podman: mean / podman's of the same user (root or rootless); x_docker: mean / docker's (root rows)"
    cat "$results/start-latency.csv"
} >"$results/start-latency.txt"

{
    echo ".Start latency, \`run ... /bin/true\`: $load_before, after: $load_after; hyperfine --warmup 3 --runs $runs"
    echo '[%header,format=csv,cols="3,1,1,1,1,1,1"]'
    echo '|==='
    echo "row,mean (ms),min (ms),stddev (ms),× runc,× podman,× docker"
    tail -n +2 "$results/start-latency.csv"
    echo '|==='
} >"$results/start-latency.adoc"

# A bar chart of the means, one bar a row, for the docs page.
awk -F, '
    NR == 1 { next }
    { name[NR] = $1; mean[NR] = $2; if ($2 > max) max = $2; n = NR }
    END {
      h = 22; w = 420; left = 190
      printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", left + w + 80, (n - 1) * h + 30
      for (i = 2; i <= n; i++) {
        y = (i - 2) * h + 10; bw = mean[i] / max * w
        color = name[i] ~ /^mydocker/ ? "#c0392b" : "#2c7fb8"
        printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 6, y + 14, name[i]
        printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y + 2, bw, h - 6, color
        printf "<text x=\"%.1f\" y=\"%d\">%.0f ms</text>\n", left + bw + 4, y + 14, mean[i]
      }
      print "</svg>"
    }' "$results/start-latency.csv" >"$results/start-latency.svg"

column -t -s, "$results/start-latency.csv"
echo "$load_before, after: $load_after"
