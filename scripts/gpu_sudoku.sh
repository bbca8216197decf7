#!/usr/bin/env bash
# Train the shipped Sudoku models on one GPU, side by side, within a fixed wall-clock budget.
#   MDM: 6 layers x 256, row/col/box position tables, linear-schedule ELBO (paper Sec. 2.4), batch 512, EMA.
#   ARMs: 4 layers x 256, causal, learned positions, Shah et al. triples, solver order and fixed order.
# Usage (from the repository root, data/sudoku_train built by `anyorder data sudoku`):
#   OUT=/some/dir TRAIN_S=330 bash scripts/gpu_sudoku.sh
# The presets (anyorder/configs.py) equal, field for field except the run name, the configs stored with the shipped checkpoints
# (reports/sudoku-training/*.config.json), which were written by the same runs with explicit overrides.
# Each run gets SIGINT at TRAIN_S seconds, which makes the trainer save a final checkpoint and exit.
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
TRAIN_S=${TRAIN_S:-330}
RUNS=${RUNS:-$OUT/runs}
DATA=${DATA:-data/sudoku_train}
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
$PY -c "import torch, numba, accelerate; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
timeout -s INT "$TRAIN_S" $PY -m anyorder train sudoku-mdm-gpu "task_options.train_path=$DATA" \
  max_steps=${MDM_STEPS:-20000} mixed_precision=${MP:-bf16} out_dir=$RUNS --no-progress > "$OUT/mdm.log" 2>&1 &
for order in solver fixed; do
  timeout -s INT "$TRAIN_S" $PY -m anyorder train sudoku-arm-$order-gpu "task_options.train_path=$DATA" \
    max_steps=${ARM_STEPS:-8000} mixed_precision=${MP:-bf16} out_dir=$RUNS --no-progress > "$OUT/arm-$order.log" 2>&1 &
done
wait
tail -n 3 "$OUT"/*.log
# bring back weights + configs + metrics only (no optimizer state), split into parts the transfer accepts
cd "$RUNS" && tar cf "$OUT/models.tar" $(for r in sudoku-mdm-gpu sudoku-arm-solver-gpu sudoku-arm-fixed-gpu; do
  c=$(cat $r/checkpoints/latest 2>/dev/null) && echo $r/config.json $r/metrics.jsonl $r/checkpoints/$c/model.safetensors $r/checkpoints/$c/config.json; done)
cd "$OUT" && split -b 15M models.tar models.tar.part- && rm models.tar && ls -la "$OUT"
