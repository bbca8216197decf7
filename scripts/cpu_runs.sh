#!/usr/bin/env bash
# The standing CPU training runs of the open issues (11, 12, 13), started or resumed in the background at low
# priority, one thread each, run directories outside the repository. Rerun at the start of every session: each
# job continues from its last checkpoint (a machine that was replaced starts it from scratch; the committed
# exports and reports are what survive).
#
#   scripts/cpu_runs.sh JOB...        start or resume JOB in the background (log: $RUNS/JOB.log; mdm-ft: one per variant)
#   scripts/cpu_runs.sh status        what is running, and the last line of each log
#
# JOBs:
#   data             the prebuilt training sets the others read (Sudoku 60,000; Zebra 8,000 of 3-4 x 3-4)
#   curves           issue 11 item 1: the Sudoku recipe study, one recipe after another (benchmarks/sudoku_curves.py)
#   lo-4x64          issue 12: the (40, 260) and (50, 250) Table 1 rows at L = 120 with the 4 x 64 model, 16,000 steps
#   zebra-arm-fixed  issue 13: the Zebra ARM without ordering (4,000 x 32, as the solver-order ARM)
#   mdm-ft           issue 11 item 2: fine-tune the shipped Sudoku MDM (objective MDM_FT_OBJECTIVE, default puma, at
#                    lr 1.5e-4, cosine to 0 over MDM_FT_S seconds, default 3600), then score it with top_prob_margin
#                    on the shipped test and hard splits (1,000 each: eval_{test,hard}.json in the run directory).
#                    The run is named after the shipped weights' hash (plus a tag for non-default MDM_FT_LR /
#                    MDM_FT_DATA_SEED), so it resumes until a new model is shipped. It is first scored on 500 + 500
#                    held-out puzzles (eval_val_*.json; job data builds them), the screen that decides whether it may
#                    replace the shipped model; export and commit it by hand when it beats it (docs/training.md).
#                    MDM_FT_INIT=DIR fine-tunes that exported checkpoint instead (e.g. an earlier fine-tune exported with
#                    `anyorder export RUN DIR`); the run is then named after its weights' hash.
#   mdm-cpu-long     issue 11 item 2 on CPU alone: the chosen preset sudoku-mdm-cpu (4 x 128, ELBO) from scratch, cosine
#                    over MDM_CPU_S seconds of trainer CPU time (default 36000, ~5M samples, accumulating across
#                    sessions), then scored with top_prob_margin on the shipped splits (1,000 each: eval_*.json)
#   mdm-paper        issue 11 item 6: the paper codebase's model setting (sudoku-mdm-paper: 3 x 384 GPT-2, tied
#                    embeddings, 164-token prompt+response, bf16 autocast, ~2x on this CPU) from scratch, cosine over
#                    MDM_PAPER_S seconds of trainer CPU time (default 21600, accumulating across sessions), then
#                    `reproduce sudoku --n 50 --tables-only` on it: does the literal remasking decoder (re-predict
#                    visible tokens) work with this setting? (report in $RUNS/mdm-paper/report; copy_probe.txt: how
#                    often it predicts the visible tokens, scripts/remask_copy_probe.py)
#
# Environment: RUNS (default ~/.cache/anyorder/cpu-runs), CURVE_RECIPES (comma list, default: the recipes not yet in
# reports/sudoku-training/curves; merge their curves.csv rows into it), CURVE_LIMIT_S (seconds per recipe before
# it checkpoints and the next starts; default 2400), MDM_FT_S, MDM_FT_OBJECTIVE (mdm-ft), MDM_PAPER_S (mdm-paper),
# MDM_CPU_S (mdm-cpu-long), MDM_FT_LR (mdm-ft peak lr, default 1.5e-4), MDM_FT_DATA_SEED (mdm-ft: train on 60,000
# fresh puzzles of this generator seed, excluding the shipped splits and the standing set, instead of the standing set),
# MDM_FT_INIT (mdm-ft: exported checkpoint to fine-tune; default the shipped Sudoku MDM).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/.cache/anyorder/cpu-runs}
CURVE_RECIPES=${CURVE_RECIPES:-elbo-6x256,elbo-const-lr}
MDM_FT_S=${MDM_FT_S:-3600}
MDM_FT_OBJECTIVE=${MDM_FT_OBJECTIVE:-puma}
MDM_FT_LR=${MDM_FT_LR:-1.5e-4}
MDM_FT_DATA_SEED=${MDM_FT_DATA_SEED:-}
MDM_FT_INIT=${MDM_FT_INIT:-anyorder/assets/checkpoints/sudoku-mdm}
MDM_PAPER_S=${MDM_PAPER_S:-21600}
MDM_CPU_S=${MDM_CPU_S:-36000}
CURVE_LIMIT_S=${CURVE_LIMIT_S:-2400}
SUDOKU_DATA=$RUNS/data/sudoku_train.npz
ZEBRA_DATA=$RUNS/data/zebra_small_train.jsonl
mkdir -p "$RUNS/data"

job_data() {
  [ -f "$SUDOKU_DATA" ] || anyorder data sudoku "$SUDOKU_DATA" --split train --n 60000 --seed 7 \
    --exclude anyorder/assets/sudoku/test.npz anyorder/assets/sudoku/hard.npz --no-progress
  if [ ! -f "$ZEBRA_DATA" ]; then  # the shipped Zebra MDM's training stream (docs/zebra.md)
    anyorder data zebra "$RUNS/data/zebra" --sizes 3-4x3-4 --seed 1000 --test 0 --train 8000
    cp "$RUNS/data/zebra/train.jsonl" "$ZEBRA_DATA"
  fi
  local split  # held-out screening puzzles (docs/training.md, checkpoint averaging): never trained on, never reported
  for split in test hard; do
    [ -f "$RUNS/data/val_$split.npz" ] || anyorder data sudoku "$RUNS/data/val_$split.npz" --split "$split" --n 1000 \
      --seed 4242 --exclude anyorder/assets/sudoku/test.npz anyorder/assets/sudoku/hard.npz "$SUDOKU_DATA" --no-progress
  done
}

job_curves() {
  job_data
  local r
  for r in ${CURVE_RECIPES//,/ }; do
    python benchmarks/sudoku_curves.py --out "$RUNS/curves" --recipes "$r" --steps 3000 --snapshots 6 --n-eval 200 \
      --train-path "$SUDOKU_DATA" --time-limit "$CURVE_LIMIT_S"
  done
}

job_lo-4x64() {
  anyorder reproduce lo-table1 --config cpu-4x64 --steps-train 16000 --pairs 40:260,50:250 --curve \
    --curve-every 2000 --ckpt-every 500 --runs-dir "$RUNS/lo-4x64/runs" --out "$RUNS/lo-4x64/report"
}

job_zebra-arm-fixed() {
  job_data
  local resume=()
  [ -f "$RUNS/zebra-arm/zebra-arm-fixed/checkpoints/latest" ] && resume=(--resume)
  anyorder train zebra-arm-fixed-cpu task_options.train_path="$ZEBRA_DATA" model.init=fanin max_steps=4000 \
    eval_every=1000 ckpt_every=500 keep_checkpoints=20 log_every=50 name=zebra-arm-fixed \
    --out-dir "$RUNS/zebra-arm" --no-progress "${resume[@]}"
}

job_mdm-ft() {
  job_data
  local shipped=$MDM_FT_INIT name resume=() split data=$SUDOKU_DATA
  name=sudoku-mdm-ft-$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"]["model.safetensors"][:8])' \
    "$shipped/config.json")
  [ "$MDM_FT_OBJECTIVE" = puma ] || name=$name-$MDM_FT_OBJECTIVE
  [ "$MDM_FT_LR" = 1.5e-4 ] || name=$name-lr$MDM_FT_LR
  if [ -n "$MDM_FT_DATA_SEED" ]; then
    name=$name-data$MDM_FT_DATA_SEED data=$RUNS/data/sudoku_train_seed$MDM_FT_DATA_SEED.npz
    [ -f "$data" ] || anyorder data sudoku "$data" --split train --n 60000 --seed "$MDM_FT_DATA_SEED" \
      --exclude anyorder/assets/sudoku/test.npz anyorder/assets/sudoku/hard.npz "$SUDOKU_DATA" --no-progress
  fi
  [ -f "$RUNS/mdm-ft/$name/checkpoints/latest" ] && resume=(--resume)
  anyorder train sudoku-mdm-gpu objective="$MDM_FT_OBJECTIVE" puma.steps=20 puma.random_fraction=0.2 \
    init_from="$shipped" task_options.train_path="$data" optim.lr="$MDM_FT_LR" optim.warmup_steps=50 \
    optim.min_lr_ratio=0.0 batch_size=64 max_steps=1000000 max_seconds="$MDM_FT_S" budget_clock=cpu mixed_precision=no \
    eval_every=0 ckpt_every=250 keep_checkpoints=20 log_every=50 name="$name" --out-dir "$RUNS/mdm-ft" --no-progress "${resume[@]}"
  for split in test hard; do
    anyorder solve --file "$RUNS/data/val_$split.npz" --limit 500 --checkpoint "$RUNS/mdm-ft/$name" \
      --output "$RUNS/mdm-ft/$name/solved_val_$split.txt" --summary "$RUNS/mdm-ft/$name/eval_val_$split.json" || true
  done
  for split in test hard; do
    anyorder solve --file "anyorder/assets/sudoku/$split.npz" --checkpoint "$RUNS/mdm-ft/$name" \
      --output "$RUNS/mdm-ft/$name/solved_$split.txt" --summary "$RUNS/mdm-ft/$name/eval_$split.json" || true
  done
}

job_mdm-cpu-long() {
  job_data
  local run=$RUNS/mdm-cpu-long/sudoku-mdm-cpu-long resume=() split
  [ -f "$run/checkpoints/latest" ] && resume=(--resume)
  anyorder train sudoku-mdm-cpu task_options.train_path="$SUDOKU_DATA" max_seconds="$MDM_CPU_S" budget_clock=cpu \
    eval_every=0 ckpt_every=500 keep_checkpoints=3 log_every=100 name=sudoku-mdm-cpu-long \
    --out-dir "$RUNS/mdm-cpu-long" --no-progress "${resume[@]}"
  for split in test hard; do
    anyorder solve --file "anyorder/assets/sudoku/$split.npz" --checkpoint "$run" \
      --output "$run/solved_$split.txt" --summary "$run/eval_$split.json" || true
  done
}

job_mdm-paper() {
  job_data
  local run=$RUNS/mdm-paper/sudoku-mdm-paper-cpu resume=()
  [ -f "$run/checkpoints/latest" ] && resume=(--resume)
  anyorder train sudoku-mdm-paper task_options.train_path="$SUDOKU_DATA" max_seconds="$MDM_PAPER_S" budget_clock=cpu \
    optim.warmup_steps=200 log_every=50 ckpt_every=250 keep_checkpoints=3 eval_every=0 name=sudoku-mdm-paper-cpu \
    --out-dir "$RUNS/mdm-paper" --no-progress "${resume[@]}"
  python scripts/remask_copy_probe.py "$run" --n 200 > "$RUNS/mdm-paper/copy_probe.txt"
  anyorder reproduce sudoku --checkpoint "$run" --n 50 --tables-only --out "$RUNS/mdm-paper/report"
}

if [ $# -eq 0 ]; then awk 'NR > 1 && /^#/ {print; next} NR > 1 {exit}' "$0"; exit 2; fi
for job in "$@"; do
  if [ "$job" = status ]; then
    # the running commands themselves (not the `bash -c` wrappers, whose command line is the whole job function)
    ps -eo pid=,etimes=,args= | awk '$3 !~ /(bash|awk)$/ && /bin\/anyorder |sudoku_curves/ {printf "pid %s, %d min: ", $1, $2 / 60;
      $1 = $2 = ""; print substr($0, 3, 240)}' | grep . || echo "no anyorder process running"
    for log in "$RUNS"/*.log; do [ -f "$log" ] && echo "$log: $(tail -c 300 "$log" | tr '\r' '\n' | tail -1)"; done
    continue
  fi
  if ! declare -F "job_$job" > /dev/null; then
    echo "unknown job '$job'; valid: data curves lo-4x64 zebra-arm-fixed mdm-ft mdm-cpu-long mdm-paper status" >&2; exit 2
  fi
  log=$RUNS/$job.log
  if [ "$job" = mdm-ft ]; then  # one log per variant, so that variants running side by side do not interleave
    log=$RUNS/mdm-ft-$(basename "$MDM_FT_INIT")-$MDM_FT_OBJECTIVE-lr$MDM_FT_LR${MDM_FT_DATA_SEED:+-data$MDM_FT_DATA_SEED}.log
  fi
  OMP_NUM_THREADS=1 nohup nice -n 10 bash -c "$(declare -f job_data "job_$job"); $(declare -p RUNS CURVE_RECIPES \
    CURVE_LIMIT_S SUDOKU_DATA ZEBRA_DATA MDM_FT_S MDM_FT_OBJECTIVE MDM_FT_LR MDM_FT_DATA_SEED MDM_FT_INIT MDM_PAPER_S MDM_CPU_S); set -euo pipefail; job_$job" >> "$log" 2>&1 &
  echo "started $job (pid $!, log $log)"
done
