#!/usr/bin/env bash
# Large-budget fuzzing of every parser and file reader (tests/fuzz; issue 18, item 6).
#
#   scripts/fuzz.sh            # 100,000 inputs per target (hours on 2 cores)
#   N=5000 scripts/fuzz.sh     # a shorter run
#
# Each target must only raise anyorder's documented errors (AnyorderError: InputError, ConfigError,
# CheckpointError); pytest fails on anything else and hypothesis prints the smallest failing input.
# Seeds are random (CI runs a small derandomized budget). The per-target input counts are written to
# $REPORT (JSON lines) and summed at the end; record them in docs/testing.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
REPORT=${REPORT:-$(mktemp /tmp/anyorder-fuzz.XXXXXX.jsonl)}
cd "$ROOT"
rm -f "$REPORT"
ANYORDER_FUZZ_EXAMPLES=$N ANYORDER_FUZZ_REPORT=$REPORT OMP_NUM_THREADS=1 PYTHONPATH=$ROOT \
  python -m pytest tests/fuzz -q -p no:cacheprovider "$@"
python - "$REPORT" <<'PY'
import collections, json, sys
total = collections.Counter()
for line in open(sys.argv[1]):
    total.update(json.loads(line))
for name, count in sorted(total.items()):
    print(f"{name}: {count} inputs")
PY
