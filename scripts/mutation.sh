#!/usr/bin/env bash
# Mutation testing with mutmut 3 (issue 18, item 7). Not run in CI. Results: docs/testing.md "Mutation testing".
#
#   scripts/mutation.sh                                        # the four packages of issue 18, every mutant
#   MODULES="anyorder/decode" SAMPLE=400 SEED=0 scripts/mutation.sh   # a uniform random sample of 400 mutants
#   MODULES="anyorder/decode/value.py" scripts/mutation.sh      # one file (tests: its package's mirror folder)
#   NAMES_FILE=survivors.txt MODULES=anyorder/decode scripts/mutation.sh   # rerun just these mutants
#
# Per module in MODULES, in its own throw-away copy of the tracked files as they are in the working tree
# ($WORK/<module>, default under a new temporary folder; the checkout is never touched): mutmut mutates only that
# package (or file) and runs only the tests of its mirror folder (anyorder/X -> tests/X, or TESTS) that executed
# the mutated function in mutmut's stats phase, with `-m "not slow" -x`, one process (torch imported once by
# mutmut's fork server, one fork per mutant). Prints per module a JSON summary (counts, score = killed or timed
# out / checked, Wilson 95% interval, survivors); show a survivor's diff with
# `cd $WORK/<module> && mutmut show NAME`. Needs `pip install -e ".[mutation]"`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODULES=${MODULES:-"anyorder/objectives anyorder/decode anyorder/tasks/sudoku anyorder/evaluation"}
SAMPLE=${SAMPLE:-0}
SEED=${SEED:-0}
WORK=${WORK:-$(mktemp -d /tmp/anyorder-mutation.XXXXXX)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for module in $MODULES; do
  module=${module%/}
  case $module in *.py) pkg=$(dirname "$module") ;; *) pkg=$module ;; esac
  tests=${TESTS:-tests/${pkg#anyorder/}}
  dest="$WORK/$(echo "$module" | tr / _)"
  mkdir -p "$dest"
  (cd "$ROOT" && git ls-files -z | tar --null -T - -c) | tar -x -C "$dest"
  cd "$dest"
  python "$ROOT/scripts/mutation_tool.py" configure "$module" $tests
  if [ -n "${NAMES_FILE:-}" ]; then
    cp "$NAMES_FILE" names.txt
  else
    python "$ROOT/scripts/mutation_tool.py" sample "$module" "$SAMPLE" "$SEED" > names.txt
  fi
  echo "== $module: $(wc -l < names.txt) mutants, tests $tests, copy $dest" >&2
  start=$(date +%s)
  if [ "$SAMPLE" = 0 ] && [ -z "${NAMES_FILE:-}" ]; then names=(); else names=($(cat names.txt)); fi
  # mutmut's own log (a progress spinner) goes to mutmut.log in the copy
  # CPU seconds of mutmut and every process it waited for (fork server, one fork per mutant) -> cpu.txt
  /usr/bin/time -f "%U %S" -o cpu.txt mutmut run --max-children 1 "${names[@]}" > mutmut.log 2>&1 \
    || { tail -c 2000 mutmut.log >&2; exit 1; }
  echo "== $module: $(awk '{print $1 + $2}' cpu.txt) CPU s" >&2
  tail -c 300 mutmut.log | tr '\r' '\n' | tail -n 2 >&2
  echo "== $module: $(( $(date +%s) - start )) s wall" >&2
  python "$ROOT/scripts/mutation_tool.py" summary "$module" names.txt | tee summary.json
  cd "$ROOT"
done
echo "copies (with mutants/ and summary.json per module): $WORK" >&2
