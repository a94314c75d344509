#!/bin/sh
# Prepares what makes the two JVM starts of `mydocker run` (the run process and init) quick,
# beside the jar, at package time (the step profile of the parent pom runs it):
#
#   TARGET/mydocker.jsa  a class-data-sharing archive (AppCDS) of the classes both JVMs load:
#                        parsed, verified and laid out once here instead of on every start
#   TARGET/jni/          jffi's native stub, which jffi otherwise copies out of the jar into
#                        /tmp, through a SecureRandom file name, on every start
#
# The launcher and Container.initArgv() use each only when it is there; a JVM other than the one
# that dumped the archive, or a rebuilt jar, makes the JVM ignore it silently (-Xshare:auto).
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

# The class list: the JDK's own default list; the JDK classes that parsing a command line
# loads, recorded by a run of `run --help` (a real run cannot be made here: it needs root or an
# image); then our classes and those of the libraries on the path of run and init (jnr-ffi,
# jffi, ASM, jackson-jr). picocli's own classes are left out: they are Java 5 class files,
# which CDS cannot archive.
list="$target/mydocker.classlist"
"$java" -Xshare:off -XX:DumpLoadedClassList="$target/help.classlist" -jar "$jar" run --help >/dev/null 2>&1 || true
{
    grep -v '^#' "$java_home/lib/classlist" || true
    grep -v '^[#@]' "$target/help.classlist" | grep -Ev '^(picocli|mydocker)/|\$Proxy' | cut -d' ' -f1 || true
    "$java_home/bin/jar" tf "$jar" \
        | grep -E '^(mydocker|jnr/ffi|com/kenai/jffi|org/objectweb/asm|jnr/x86asm|com/fasterxml/jackson)/.*\.class$' \
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
