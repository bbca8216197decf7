#!/usr/bin/env bash
# Mutation testing with cosmic-ray (issue 18, item 7). Not run in CI: hours of CPU for the full set.
#
#   scripts/mutation.sh                                   # the packages of issue 18 against the whole suite
#   MODULES="anyorder/decode/value.py anyorder/decode/noise.py" TESTS="tests/decode" scripts/mutation.sh
#
# cosmic-ray edits the files it mutates, so everything runs in a throw-away copy of the tracked files
# ($WORK, default a new temporary folder); the checkout is never touched. Needs `pip install cosmic-ray`
# (the "mutation" extra). Prints cosmic-ray's report (killed / survived per mutant) and the score; the
# survivors are listed with their diffs in $WORK/report.txt. Record what you measured in docs/testing.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODULES=${MODULES:-"anyorder/objectives anyorder/decode anyorder/tasks/sudoku anyorder/evaluation"}
TESTS=${TESTS:-"tests"}
TIMEOUT=${TIMEOUT:-300}
WORK=${WORK:-$(mktemp -d /tmp/anyorder-mutation.XXXXXX)}
mkdir -p "$WORK/src"
git -C "$ROOT" archive HEAD | tar -x -C "$WORK/src"
cd "$WORK/src"
modules=$(for m in $MODULES; do printf '"%s", ' "$m"; done)
cat > "$WORK/cosmic-ray.toml" <<EOF
[cosmic-ray]
module-path = [${modules%, }]
timeout = $TIMEOUT
excluded-modules = []
test-command = "env PYTHONPATH=$WORK/src OMP_NUM_THREADS=1 python -m pytest -x -q -p no:cacheprovider $TESTS"

[cosmic-ray.distributor]
name = "local"
EOF
cosmic-ray init "$WORK/cosmic-ray.toml" "$WORK/session.sqlite"
cosmic-ray baseline "$WORK/cosmic-ray.toml"  # the suite must pass unmutated
cosmic-ray exec "$WORK/cosmic-ray.toml" "$WORK/session.sqlite"
cr-report "$WORK/session.sqlite" --show-diff > "$WORK/report.txt" || true
tail -n 5 "$WORK/report.txt"
echo "full report: $WORK/report.txt"
