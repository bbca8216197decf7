"""``anyorder train`` and ``anyorder eval``: train from a named preset or JSON config; evaluate a checkpoint.

    anyorder train toy-mdm max_steps=500 optim.lr=2e-3       # preset + KEY=VALUE overrides
    anyorder train old/config.json --resume                   # a JSON config, continue from its latest checkpoint
    accelerate launch --config_file configs/accelerate/ddp.yaml -m anyorder train sudoku-mdm-paper
    anyorder eval ~/.cache/anyorder/runs/toy-mdm --n 500     # rebuild the task, run its evaluation
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from anyorder.configs import get_config
from anyorder.errors import ConfigError, InputError
from anyorder.evaluation.tasks import evaluate_all, evaluate_task
from anyorder.io import check_new_path
from anyorder.tasks.registry import build_task
from anyorder.train.average import average_checkpoints
from anyorder.train.checkpoint import export_checkpoint, load
from anyorder.train.config import apply_overrides
from anyorder.train.trainer import fit

# task name -> the task option that sets the number of evaluation examples (``--n``); default "n_eval"
EVAL_SIZE_OPTIONS: dict[str, str] = {"lo": "eval_samples", "toy": "eval_masks"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model from a named config or a JSON file",
                       description="Train a model. CONFIG is a preset name (anyorder.configs.CONFIGS) or a JSON "
                                   "file; KEY=VALUE pairs override fields, e.g. optim.lr=2e-3 model.n_layers=6.")
    p.add_argument("config", metavar="CONFIG", help="preset name or path to a config JSON")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="field overrides (dotted paths)")
    p.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    p.add_argument("--out-dir", help="parent directory of the run directory (default: the config's out_dir, "
                                      "else $ANYORDER_RUNS, else ~/.cache/anyorder/runs)")
    p.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    p.set_defaults(func=run_train)

    e = sub.add_parser("eval", help="evaluate a checkpoint with its task's metrics",
                       description="Load a checkpoint (or a run directory's latest), rebuild its task from the "
                                   "stored name/options and print the task's evaluation metrics.")
    e.add_argument("checkpoint", metavar="CHECKPOINT", help="checkpoint directory or run directory")
    e.add_argument("--n", type=int, help="number of evaluation examples (sets the task's n_eval option)")
    e.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    e.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    e.set_defaults(func=run_eval)

    x = sub.add_parser("export", help="write an inference-only copy of a checkpoint (weights + config)",
                       description="Copy a checkpoint's model.safetensors (EMA weights if used) and config.json "
                                   "to DEST, dropping raw weights and optimizer state; hashes are re-verified. "
                                   "Given several checkpoints of one model (steps of a run, fine-tunes of one "
                                   "parent), write their weight average instead (checkpoint averaging / model "
                                   "soup; the sources are recorded in config.json under averaged_from).")
    x.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT", help="checkpoint directory or run directory")
    x.add_argument("dest", metavar="DEST", help="new directory to create")
    x.add_argument("--weights", type=float, nargs="+", metavar="W",
                   help="with several checkpoints: one non-negative weight each (normalised; default uniform)")
    x.add_argument("--note", help="free-text provenance note stored in config.json")
    x.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    if len(args.checkpoints) > 1:
        print(average_checkpoints(args.checkpoints, args.dest, args.weights, args.note))
        return 0
    if args.weights is not None:
        raise InputError("--weights needs two or more checkpoints to average")
    print(export_checkpoint(args.checkpoints[0], args.dest, args.note))
    return 0


def run_train(args: argparse.Namespace) -> int:
    cfg = apply_overrides(get_config(args.config), args.overrides)
    if args.out_dir:
        cfg = apply_overrides(cfg, [f"out_dir={args.out_dir}"])
    check_new_path(cfg.run_dir, "run directory")  # e.g. --out-dir under a file: exit 2 before building anything
    run_dir = fit(cfg, resume=args.resume, progress=not args.no_progress, evaluator=evaluate_task)
    if int(os.environ.get("RANK", "0")) == 0:  # once, also under `accelerate launch`
        print(f"run directory: {run_dir}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    metrics = evaluate_checkpoint(args.checkpoint, n=args.n, device=args.device)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key}: {value:.6g}")
    return 0


def evaluate_checkpoint(path: str, n: int | None = None, device: str | None = None) -> dict[str, float]:
    """Load ``path``, rebuild its task (``n`` evaluation examples when given) and return the task's metrics."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = load(path, device=device)
    options = dict(loaded.task.get("options") or {})
    if n is not None:
        if n < 1:
            raise ConfigError(f"--n must be >= 1, got {n}")
        options[EVAL_SIZE_OPTIONS.get(loaded.task["name"], "n_eval")] = n
    seed = int((loaded.config.get("train") or {}).get("seed", 0))
    bundle = build_task(loaded.task["name"], options, seed)
    if bundle.evaluate is None and bundle.evaluation is None:
        raise ConfigError(f"task {loaded.task['name']!r} has no evaluation")
    with torch.no_grad():
        return evaluate_all(loaded.model, bundle, loaded.step)
