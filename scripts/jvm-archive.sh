#!/bin/sh
# Prepares what makes `mydocker run` start quickly, beside the jar, at package time (the step
# profile of the parent pom runs it):
#
#   TARGET/mydocker.jsa  a class-data-sharing archive (AppCDS) of the classes a real run loads:
#                        parsed, verified and laid out once here instead of on every start
#   TARGET/jni/          jffi's native stub, which jffi otherwise copies out of the jar into
#                        /tmp, through a SecureRandom file name, on every start
#
# The launcher uses each only when it is there; a JVM other than the one that dumped the
# archive, or a rebuilt jar, makes the JVM ignore it silently (-Xshare:auto).
# bench/README.md records what each one saves.
#
#   scripts/jvm-archive.sh step05-volumes/target
set -eu
target=$(readlink -f -- "${1:?usage: $0 TARGET_DIR}")
# The path as the launcher spells it: CDS checks the class path it was dumped with.
jar="$target/mydocker.jar"
# The JVM the launcher will use: an archive only maps into the JVM build that dumped it.
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    java="$JAVA_HOME/bin/java"
else
    java=$(command -v java)
fi
java_home=$(dirname -- "$(dirname -- "$(readlink -f -- "$java")")")

# jffi looks in jffi.boot.library.path/<platform>/ before it unpacks itself from the jar.
rm -rf "$target/jni"
mkdir -p "$target/jni"
stubs=$("$java_home/bin/jar" tf "$jar" | grep '^jni/[^/]*-Linux/libjffi[^/]*\.so$' || true)
if [ -n "$stubs" ]; then
    # shellcheck disable=SC2086 # one argument per entry; entry names have no spaces
    (cd "$target" && "$java_home/bin/jar" xf mydocker.jar $stubs)
fi

# The class list, in three parts: the JDK's own default list; every class, lambda proxy and
# lambda form that a real `run` loads, recorded as it runs; then all our classes and those of
# the libraries (for the other commands). The real run starts a container from a tiny image of
# one empty directory, in a store of its own that is removed after: its command does not
# exist, so it ends at execve (127) after the whole run path. It needs root or unprivileged
# user namespaces; where it cannot clone, its list stops there and the third part still holds
# our classes. (picocli's Java 5 class files are archived too: only a dynamic archive refuses
# them.)
list="$target/mydocker.classlist"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
classes=$("$java_home/bin/jar" tf "$jar")
record() { # record NAME ARG...: runs the jar with ARGs, its class list kept as NAME
    name=$1
    shift
    MYDOCKER_ROOT="$scratch/store" "$java" -Xshare:off -XX:DumpLoadedClassList="$scratch/$name.classlist" \
        -Djffi.boot.library.path="$target/jni" -jar "$jar" "$@" >/dev/null 2>&1 </dev/null || true
}
if echo "$classes" | grep -q '^mydocker/ImageCommands\$Import\.class$'; then
    mkdir -m 700 "$scratch/store"
    mkdir "$scratch/rootfs"
    tar cf "$scratch/tiny.tar" -C "$scratch/rootfs" .
    record import import "$scratch/tiny.tar" tiny
    record run run --rm tiny /mydocker-archive-run
else
    record run run /mydocker-archive-run
fi
{
    grep -v '^#' "$java_home/lib/classlist" || true
    grep -v '^#' "$scratch/run.classlist" 2>/dev/null | grep -v '\$Proxy' || true
    echo "$classes" \
        | grep -E '^(mydocker|picocli|jnr/ffi|com/kenai/jffi|org/objectweb/asm|jnr/x86asm|com/fasterxml/jackson)/.*\.class$' \
        | sed 's/\.class$//'
} | awk '!seen[$0]++' >"$list"

rm -f "$target/mydocker.jsa"
if "$java" -Xshare:dump -XX:SharedClassListFile="$list" -XX:SharedArchiveFile="$target/mydocker.jsa" \
        -cp "$jar" >"$target/mydocker.jsa.log" 2>&1; then
    : # quiet on success: mvn -q package stays quiet
else
    # Not fatal: without the archive mydocker starts, only slower.
    rm -f "$target/mydocker.jsa"
    echo "jvm-archive.sh: warning: the class-data archive was not made (see $target/mydocker.jsa.log)" >&2
fi
