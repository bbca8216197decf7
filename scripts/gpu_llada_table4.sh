#!/usr/bin/env bash
# Table 4 (HumanEval-Infilling part) of Kim et al. 2025 with LLaDA-8B on one GPU: pass@1 of vanilla, top_prob and
# top_prob_margin on the single-line, multi-line and random-span ("split") sets, the paper's infilling protocol:
# the gap is [MASK]ed with the canonical solution's token count (oracle length) and decoded jointly (one block),
# temperature 0 (argmax values), LLaDA's even per-step split; steps = gap length (one token per step).
# Usage (repository root; MODEL_DIR = a local copy of GSAI-ML/LLaDA-8B-Base or -Instruct, e.g. from
# `huggingface-cli download GSAI-ML/LLaDA-8B-Base --local-dir MODEL_DIR` on a machine with network):
#   bash scripts/gpu_llada_table4.sh MODEL_DIR [OUT_DIR] [extra `anyorder eval infill` arguments]
#   LIMIT=50 bash scripts/gpu_llada_table4.sh MODEL_DIR     # first 50 problems per category (a ~15 min check)
# Expected cost (estimated, not measured here: no GPU or weights were available when this was written):
# ~50k batched forwards of LLaDA-8B (16 rows x ~300-500 tokens) in all, dominated by the 5815 multi-line problems;
# about 4-8 hours on one 80 GB H100/H200-class GPU in bf16 (16 GB of weights). Sandboxed execution of the
# 25,464 completions takes minutes on 16 cores. Output: OUT_DIR/{table.md,summary.json,completions.jsonl}.
# Settings the paper leaves open (docs/hf.md): Base vs Instruct (Base is likely), steps, prompt format.
set -euo pipefail
MODEL_DIR=${1:?usage: scripts/gpu_llada_table4.sh MODEL_DIR [OUT_DIR] [extra args]}
OUT=${2:-reports/llada-table4}
shift $(( $# >= 2 ? 2 : 1 ))
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
PY=${PY:-python3}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
$PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
LIMIT_ARGS=()
if [ -n "${LIMIT:-}" ]; then LIMIT_ARGS=(--limit "$LIMIT"); fi
time $PY -m anyorder eval infill --model "$MODEL_DIR" --category table4 \
  --strategies vanilla,top_prob,top_prob_margin --length oracle \
  --device "${DEVICE:-cuda}" --dtype "${DTYPE:-bfloat16}" --batch-size "${BATCH:-16}" \
  --workers "$(nproc)" --timeout 10 --out "$OUT" "${LIMIT_ARGS[@]}" "$@"
cat "$OUT/table.md"
