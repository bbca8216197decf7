#!/usr/bin/env bash
# Large-budget fuzzing of every parser and file reader (tests/fuzz; issue 18, item 6).
#
#   scripts/fuzz.sh                       # 100,000 inputs per target, all 8 targets, one process
#   N=5000 JOBS=2 OUT=/tmp/fz scripts/fuzz.sh
#   scripts/fuzz.sh --targets sudoku_text decode_tokens --seed 3     # extra arguments go to the driver
#
# Runs scripts/fuzz_driver.py, which feeds byte buffers to the hypothesis tests of tests/fuzz through
# `fuzz_one_input` (no shrinking, no database, one process for many inputs). Each target may only raise
# anyorder's documented errors (AnyorderError: InputError, ConfigError, CheckpointError); anything else, or an
# input using more than 20 s of CPU, is a crash: its input is saved to $OUT/crashes (replay with
# `python scripts/fuzz_driver.py --replay FILE`) and the script exits 1. Prints per target: inputs, documented
# errors by type (with the number of distinct messages), crashes, wall and CPU time; JSON in $OUT/report-*.json.
# JOBS splits the targets over that many processes. The CI budget is `pytest tests/fuzz` (60 per target).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
JOBS=${JOBS:-1}
OUT=${OUT:-$(mktemp -d /tmp/anyorder-fuzz.XXXXXX)}
mkdir -p "$OUT"
# CPU ms per input measured on the shared 2-core machine (docs/testing.md); each job takes the next target while
# its total is the smallest, cheap targets first, so a run stopped early has finished the most targets
TARGETS=(decode_tokens train_overrides plan_overrides sudoku_csv sudoku_npy sudoku_npz sudoku_text checkpoint_json)
COST=(6 7 9 15 16 24 46 70)
load=(); for ((j = 0; j < JOBS; j++)); do load[j]=0; mine[j]=""; done
for ((i = 0; i < ${#TARGETS[@]}; i++)); do
  best=0; for ((j = 1; j < JOBS; j++)); do ((load[j] < load[best])) && best=$j; done
  load[best]=$((load[best] + COST[i])); mine[best]="${mine[best]} ${TARGETS[i]}"
done
pids=()
for ((j = 0; j < JOBS; j++)); do
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=1 PYTHONPATH=$ROOT python "$ROOT/scripts/fuzz_driver.py" --n "$N" --targets ${mine[j]} \
    --crash-dir "$OUT/crashes" --report "$OUT/report-$j.json" "$@" > "$OUT/job-$j.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
cat "$OUT"/job-*.log
echo "reports: $OUT/report-*.json; crashes: $OUT/crashes (exit $status)"
exit $status
