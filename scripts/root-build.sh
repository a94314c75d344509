#!/bin/sh
# The tests start containers as root, so the learner runs them with `sudo mvn verify`, in a
# checkout that is their own. Everything that build writes would then be root's: target/ (and
# jvm-archive.sh's `rm -rf target/jni` in the learner's next `mvn package` fails on it), and the
# tests' temporary files in /tmp. The parent pom runs this script at these points of every build
# of a module:
#
#   root-build.sh begin DIR ARGS  validate: when root, waits in the background for this Maven to
#                                 exit, however it exits (a failed compile, Ctrl-C), and then
#                                 does `end`
#   root-build.sh tmp ARGS        pre-integration-test: a new directory /tmp/mydocker-tests-*,
#                                 the tests' own /tmp, and the JVM option file ARGS that makes it
#                                 their java.io.tmpdir (failsafe's argLine is @ARGS)
#   root-build.sh end DIR ARGS    after the tests and last in verify: removes the tests' /tmp;
#                                 when root, gives every file under DIR back to DIR's owner
#
# DIR is the module (the docs module's tests run the chapters' commands in the whole checkout,
# so it passes the checkout). A checkout that root owns, as in CI, keeps its owner.
set -eu

# Gives back DIR when it is someone else's. Only root gets here, and it changes no file outside
# DIR: -xdev stops at mounts, and -h changes a symbolic link, never what it points to.
give_back() {
    owner=$(stat -c %u "$1")
    group=$(stat -c %g "$1")
    [ "$owner" = 0 ] && return 0
    find "$1" -xdev \( ! -user "$owner" -o ! -group "$group" \) -exec chown -h "$owner:$group" {} +
}

# Removes the tests' /tmp that ARGS names. What a test left mounted on the host there (a tmpfs
# of its own) goes first, or rm would empty the mount and then fail on the mount point.
remove_tmp() {
    [ -r "$1" ] || return 0
    tmp=$(sed -n 's/^-Djava.io.tmpdir=//p' "$1")
    case "$tmp" in /tmp/mydocker-tests-*) ;; *) return 0 ;; esac
    [ -d "$tmp" ] || return 0
    if [ "$(id -u)" = 0 ]; then
        findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
    fi
    rm -rf -- "$tmp"
}

case "${1:-}" in
begin)
    [ "$(id -u)" = 0 ] || exit 0
    # The JVM that runs Maven started this shell. The waiter gets a session of its own, so that
    # Ctrl-C and sudo's closing of its terminal, which end Maven, leave it to do its work, and no
    # descriptor of Maven's, so that Maven does not wait for it.
    maven=$PPID
    setsid sh "$0" wait "$maven" "$2" "$3" </dev/null >/dev/null 2>&1 &
    ;;
wait)
    # tail checks every 0.2 s whether Maven is still there.
    tail --pid="$2" -s 0.2 -f /dev/null
    exec sh "$0" end "$3" "$4"
    ;;
tmp)
    remove_tmp "$2"
    # One level below /tmp, and a new name each time: no directory of this run's owner stays in
    # /tmp to stand in the way of another user's run, or of another checkout's run at the same time.
    tmp=$(mktemp -d /tmp/mydocker-tests-XXXXXX)
    # As /tmp is: the tests make files there as root and as uid 65534.
    chmod 1777 "$tmp"
    mkdir -p -- "$(dirname -- "$2")"
    echo "-Djava.io.tmpdir=$tmp" >"$2"
    ;;
end)
    remove_tmp "$3"
    [ "$(id -u)" = 0 ] || exit 0
    give_back "$2"
    ;;
*)
    echo "usage: $0 begin DIR ARGS | tmp ARGS | end DIR ARGS" >&2
    exit 2
    ;;
esac
