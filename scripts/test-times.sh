#!/bin/sh
# Where the test time goes: each module's tests, added up from failsafe's reports, the ten
# slowest test classes of the whole build, and the count of passed, failed and skipped tests.
# .ci/run prints it at its end, however the build ended, so that growth shows up in every CI
# log. Usage: scripts/test-times.sh [CHECKOUT]
set -eu
cd "${1:-$(dirname "$0")/..}"
reports=$(ls -- */target/failsafe-reports/TEST-*.xml 2>/dev/null || true)
[ -n "$reports" ] || { echo "test times: no failsafe reports (no tests ran)"; exit 0; }
# One line per class: seconds, module, class, tests (the testsuite element's attributes).
for f in $reports; do
    module=${f%%/*}
    sed -n 's/.*<testsuite .*name="\([^"]*\)" time="\([0-9.,]*\)" tests="\([0-9]*\)".*/\2 \1 \3/p' "$f" | head -n 1 |
        tr -d , | while read -r time name tests; do echo "$time $module ${name#mydocker.} $tests"; done
done >"${TMPDIR:-/tmp}/test-times.$$"
echo "test time per module (seconds, summed over its classes):"
awk '{ t[$2] += $1; n[$2] += $4 } END { for (m in t) printf "  %-20s %7.0f s  %5d tests\n", m, t[m], n[m] }' \
    "${TMPDIR:-/tmp}/test-times.$$" | sort
echo "the ten slowest test classes:"
sort -rn "${TMPDIR:-/tmp}/test-times.$$" | head -n 10 | awk '{ printf "  %7.1f s  %-20s %s\n", $1, $2, $3 }'
rm -f "${TMPDIR:-/tmp}/test-times.$$"
# The build's count, as one plain line: tests, minus the failed (failures and errors) and skipped.
cat $reports | sed -n 's/.*<testsuite .* tests="\([0-9]*\)" errors="\([0-9]*\)" skipped="\([0-9]*\)" failures="\([0-9]*\)".*/\1 \2 \3 \4/p' |
    awk '{ t += $1; e += $2; s += $3; f += $4 } END { printf "tests: %d passed, %d failed, %d skipped\n", t - e - s - f, e + f, s }'
