# Shared by the bench/ scripts: packages, the built steps, a busybox tree, the ordinary user.
# Sourced, not run. Everything they make lives under $work, removed on exit.

repo=$(cd "$(dirname "$0")/.." && pwd)
results="$repo/bench/results"
# STEPS=step05-volumes limits the rows to that step (a quick look; the table wants them all).
steps=${STEPS:-step01-namespaces step02-userns step03-proc step04-overlayfs step05-volumes step06-images step07-detach step08-privileges}
# The ordinary user, as the tests use it (uid 65534, nobody, through setpriv).
user_id=65534
as_user="setpriv --reuid=$user_id --regid=$user_id --clear-groups"

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "$0: run as root: it installs packages and starts containers as root and as uid $user_id" >&2
        exit 1
    fi
}

# install PACKAGE...: the Debian packages that are missing, in one apt-get.
install() {
    local missing=""
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "installing:$missing" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
}

# build_steps: every step's jar, as a user builds it (the README's command), unless already there.
build_steps() {
    local missing=0
    for s in $steps; do
        [ -r "$repo/$s/target/mydocker.jar" ] || missing=1
    done
    if [ "$missing" = 1 ]; then
        (cd "$repo" && mvn -q package -DskipTests)
    fi
}

# make_work: $work, readable by the ordinary user, with the busybox tree as a tar and unpacked.
make_work() {
    work=$(mktemp -d /tmp/mydocker-bench.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    chmod 755 "$work"
    "$repo/scripts/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
    chmod 644 "$work/busybox.tar"
}

# store STEP WHO: a fresh store of that step for root or user, with the busybox image from step04 on.
store() {
    local step=$1 who=$2 dir="$work/stores/$1-$2"
    mkdir -p -m 700 "$dir" && chmod 700 "$dir" # the store refuses a top directory others can enter
    if [ "$who" = user ]; then
        chown "$user_id:$user_id" "$dir"
    fi
    case $step in
    step0[1-3]*) ;;
    *)
        if [ "$who" = user ]; then
            MYDOCKER_ROOT=$dir $as_user "$repo/$step/mydocker" import "$work/busybox.tar" busybox >/dev/null
        else
            MYDOCKER_ROOT=$dir "$repo/$step/mydocker" import "$work/busybox.tar" busybox >/dev/null
        fi
        ;;
    esac
    echo "$dir"
}

# machine: one line on where and when the numbers were taken.
machine() {
    echo "$(date -u +%Y-%m-%dT%H:%MZ) $(uname -r) $(nproc) cores, $(java -version 2>&1 | head -1)," \
        "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
}
