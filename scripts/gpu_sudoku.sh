#!/usr/bin/env bash
# Train the shipped Sudoku models on one GPU, side by side, within a fixed wall-clock budget.
#   MDM: 6 layers x 256, row/col/box position tables, linear-schedule ELBO (paper Sec. 2.4), batch 512, EMA.
#   ARMs: 4 layers x 256, causal, learned positions, Shah et al. triples, solver order and fixed order.
# Usage (from the repository root, data/sudoku_train built by `anyorder data sudoku`):
#   OUT=/some/dir TRAIN_S=330 bash scripts/gpu_sudoku.sh
# Each run gets SIGINT at TRAIN_S seconds, which makes the trainer save a final checkpoint and exit.
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
TRAIN_S=${TRAIN_S:-330}
RUNS=${RUNS:-$OUT/runs}
DATA=${DATA:-data/sudoku_train}
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
$PY -c "import torch, numba, accelerate; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
COMMON="mixed_precision=${MP:-bf16} out_dir=$RUNS log_every=100 eval_every=0 ckpt_every=2000 keep_checkpoints=1 ema=0.999"
timeout -s INT "$TRAIN_S" $PY -m anyorder train toy-mdm name=sudoku-mdm task=sudoku \
  "task_options={\"train_path\": \"$DATA\", \"n_eval\": 200}" \
  model.n_layers=6 model.d_model=256 model.n_heads=8 mdm.sampling=continuous \
  batch_size=512 max_steps=${MDM_STEPS:-20000} optim.lr=1.5e-3 optim.warmup_steps=300 $COMMON --no-progress \
  > "$OUT/mdm.log" 2>&1 &
for order in solver fixed; do
  timeout -s INT "$TRAIN_S" $PY -m anyorder train toy-ar name=sudoku-arm-$order task=sudoku-arm \
    "task_options={\"train_path\": \"$DATA\", \"order\": \"$order\", \"n_eval\": 100}" \
    model.n_layers=4 model.d_model=256 model.n_heads=8 \
    batch_size=256 max_steps=${ARM_STEPS:-8000} optim.lr=1e-3 optim.warmup_steps=300 $COMMON --no-progress \
    > "$OUT/arm-$order.log" 2>&1 &
done
wait
tail -n 3 "$OUT"/*.log
# bring back weights + configs + metrics only (no optimizer state), split into parts the transfer accepts
cd "$RUNS" && tar cf "$OUT/models.tar" $(for r in sudoku-mdm sudoku-arm-solver sudoku-arm-fixed; do
  c=$(cat $r/checkpoints/latest 2>/dev/null) && echo $r/config.json $r/metrics.jsonl $r/checkpoints/$c/model.safetensors $r/checkpoints/$c/config.json; done)
cd "$OUT" && split -b 15M models.tar models.tar.part- && rm models.tar && ls -la "$OUT"
