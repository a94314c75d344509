#!/usr/bin/env bash
# Throughput of pulling a ~100 MB image of 14 gzip layers from a local registry (Debian's
# docker-registry on 127.0.0.1, plain HTTP), in one hyperfine run:
#   mydocker pull (step06, root, a fresh store each run: download, verify, extract);
#   skopeo copy docker://... oci:DIR (download and verify into a layout, nothing extracted);
#   podman pull (download, verify, extract into its own fresh storage), if podman is installed.
# MB is the gzip blobs' total, as it crosses the wire. Writes bench/results/pull.{csv,adoc}.
#
#   sudo bench/pull.sh              RUNS=3 LAYERS=14 sudo bench/pull.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install hyperfine busybox-static docker-registry skopeo python3
runs=${RUNS:-5}
layers=${LAYERS:-14}
step=step06-images
steps=$step
build_steps
make_work
mydocker="$repo/$step/mydocker"

# The image: busybox, then layers of one 5 MB random file and 400 random files of 4 KiB each,
# written uncompressed into an OCI layout; skopeo gzips them as it pushes.
python3 - "$work/layout" "$work/busybox.tar" "$layers" <<'PY'
import hashlib, io, json, os, sys, tarfile
out, busybox, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(data)
    return "sha256:" + d
def layer(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644; info.mtime = 0
            t.addfile(info, io.BytesIO(data))
        add("layer%d/large.bin" % i, os.urandom(5 << 20))
        for f in range(400):
            add("layer%d/small/%03d" % (i, f), os.urandom(4096))
    return buf.getvalue()
tars = [open(busybox, "rb").read()] + [layer(i) for i in range(n)]
descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob(t), "size": len(t)} for t in tars]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config), "size": len(config)},
                       "layers": descs}).encode()
index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": blob(manifest), "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "big"}}]}
json.dump(index, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
image="127.0.0.1:$port/bench/big:1"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:big" "docker://$image"
mb=$(skopeo inspect --raw --tls-verify=false "docker://$image" \
    | python3 -c 'import json, sys; m = json.load(sys.stdin); print("%.1f" % (sum(l["size"] for l in m["layers"]) / 1e6))')

load_before=$(machine)
podman_args=()
if command -v podman >/dev/null; then
    pod="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay"
    podman_args=(--prepare "sh -c '$pod rmi -af >/dev/null 2>&1; rm -rf $work/podman; mkdir -p $work/podman'"
        -n "podman pull" "$pod pull --quiet --tls-verify=false $image")
fi
hyperfine -N --runs "$runs" --style basic --export-csv "$work/raw.csv" \
    --prepare "rm -rf $work/store" -n "mydocker pull" \
        "env MYDOCKER_ROOT=$work/store $mydocker pull --insecure $image big" \
    --prepare "rm -rf $work/oci" -n "skopeo copy" \
        "skopeo copy --quiet --src-tls-verify=false docker://$image oci:$work/oci:big" \
    "${podman_args[@]}" >"$work/hyperfine.log" 2>&1 \
    || { cat "$work/hyperfine.log" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$results"
awk -F, -v mb="$mb" '
    NR == 1 { next }
    { gsub(/"/, ""); name[NR] = $1; mean[$1] = $2; min[$1] = $7 }
    END {
      print "tool,mb,mean_s,min_s,mb_per_s,ratio_to_skopeo"
      for (i = 2; i <= NR; i++) { t = name[i]
        printf "%s,%.1f,%.2f,%.2f,%.1f,%.2f\n", t, mb, mean[t], min[t], mb / mean[t], mean["skopeo copy"] / mean[t] }
    }' "$work/raw.csv" >"$results/pull.csv"
{
    echo ".Pull of $((layers + 1)) layers ($mb MB gzip) from a local registry, root: $load_before, load after: $load_after; hyperfine --runs $runs"
    echo '[%header,format=csv,cols="2,1,1,1,1,1"]'
    echo '|==='
    echo "tool,MB,mean (s),min (s),MB/s,× skopeo"
    tail -n +2 "$results/pull.csv"
    echo '|==='
} >"$results/pull.adoc"
column -t -s, "$results/pull.csv"
echo "$load_before, load after: $load_after"
