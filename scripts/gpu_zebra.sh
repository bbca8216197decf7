#!/usr/bin/env bash
# Zebra on one GPU machine (paper Sec. 4.7, Table 3): generate data on all CPU cores, train the 19M MDM
# (zebra-mdm-gpu) and, side by side, the two ARMs at a CPU-like size on the same GPU, each for TRAIN_S seconds,
# then write Table 3. Usage (repository root): OUT=/some/dir TRAIN_S=420 N_TRAIN=100000 bash scripts/gpu_zebra.sh
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
TRAIN_S=${TRAIN_S:-420}
RUNS=${RUNS:-$OUT/runs}
DATA=${DATA:-$OUT/data}
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
[ -f "$DATA/train.jsonl" ] || $PY -m anyorder data zebra "$DATA" --train ${N_TRAIN:-100000} --test 0 \
  --workers $(nproc) > "$OUT/data.log" 2>&1
timeout -s INT "$TRAIN_S" $PY -m anyorder train zebra-mdm-gpu "task_options.train_path=$DATA/train.jsonl" \
  out_dir=$RUNS --no-progress > "$OUT/mdm.log" 2>&1 &
for order in solver fixed; do
  timeout -s INT "$TRAIN_S" $PY -m anyorder train zebra-arm-$order-paper "task_options.train_path=$DATA/train.jsonl" \
    batch_size=128 optim.lr=1e-3 optim.warmup_steps=300 out_dir=$RUNS --no-progress > "$OUT/arm-$order.log" 2>&1 &
done
wait
tail -n 2 "$OUT"/*.log
$PY -m anyorder reproduce zebra --checkpoint $RUNS/zebra-mdm-gpu --arm-solver $RUNS/zebra-arm-solver-paper \
  --arm-fixed $RUNS/zebra-arm-fixed-paper --n 1000 --device cuda --out "$OUT/reports_zebra" > "$OUT/table3.log" 2>&1
cd "$RUNS" && tar cf "$OUT/models.tar" $(for r in zebra-mdm-gpu; do
  c=$(cat $r/checkpoints/latest 2>/dev/null) && echo $r/config.json $r/metrics.jsonl $r/checkpoints/$c/model.safetensors $r/checkpoints/$c/config.json; done)
ls -la "$OUT"
