#!/bin/sh
# Which of a step's tests a build runs. Every step carries the tests of the steps before it, so
# running every suite in every step costs the square of the number of steps; CI runs instead,
# in each step but the newest, the tests that step introduces or changes and a smoke set of the
# carried ones (the classes marked @Tag("smoke"): a container runs, exit statuses, rootless, each
# step's lesson), and everything in the newest step. The parent pom runs this before the tests:
#
#   test-selection.sh MODULE_DIR EXCLUDES_FILE all         every test (mvn verify, the default)
#   test-selection.sh MODULE_DIR EXCLUDES_FILE introduced  what CI runs (-Dmydocker.tests=introduced)
#
# and failsafe skips the classes EXCLUDES_FILE names. A class is the step's own when its file is
# new or differs from the previous step's copy.
set -eu
module=$(readlink -f -- "$1")
out=$2
mode=$3
mkdir -p -- "$(dirname -- "$out")"
: >"$out"
case "$mode" in
all) exit 0 ;;
introduced) ;;
*) echo "test-selection.sh: mydocker.tests is 'all' or 'introduced', not '$mode'" >&2; exit 2 ;;
esac
top=$(dirname -- "$module")
name=$(basename -- "$module")
steps=$(sed -n 's#^ *<module>\(step[0-9][0-9]-[^<]*\)</module>.*#\1#p' "$top/pom.xml")
newest=$(printf '%s\n' $steps | tail -n 1)
previous=$(printf '%s\n' $steps | grep -B1 -x -- "$name" | grep -v -x -- "$name" || true)
# The newest step, and the first, run everything.
[ "$name" != "$newest" ] && [ -n "$previous" ] || exit 0
tests="$module/src/test/java"
find "$tests" -name '*Test.java' | sort | while read -r file; do
    relative=${file#"$tests"/}
    before="$top/$previous/src/test/java/$relative"
    if [ -f "$before" ] && cmp -s -- "$file" "$before" && ! grep -q '@Tag("smoke")' -- "$file"; then
        echo "$relative"
    fi
done >"$out"
echo "test-selection.sh: $name runs its own tests and the smoke set; $(wc -l <"$out") carried classes skipped (-Dmydocker.tests=all runs them)"
