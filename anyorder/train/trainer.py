"""The training loop on HF Accelerate: ``fit(cfg) -> run directory``.

Usage::

    anyorder train toy-mdm max_steps=500                                 # 1 CPU process
    accelerate launch --config_file configs/accelerate/ddp.yaml -m anyorder train sudoku-mdm-paper   # DDP

Every step ``s`` is a pure function of (seed, s, rank): the batch is ``source.batch(s, rank, per_device_batch)``,
the objective's masking uses ``torch_generator(seed, s, rank, salt=1)`` and the global torch RNG (dropout) is
re-seeded from (seed, s, rank, salt=2). Together with the saved model / optimizer / scheduler / EMA state this
makes ``fit(cfg, resume=True)`` continue bit-identically (on CPU) from the newest checkpoint.

Run directory (docs/DESIGN.md): ``<out_dir>/<name>/{config.json, metrics.jsonl, checkpoints/}``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from anyorder.errors import CheckpointError, ConfigError
from anyorder.io import atomic_write
from anyorder.models.registry import build_model
from anyorder.objectives.ar import ar_loss
from anyorder.objectives.flops import training_flops_per_token
from anyorder.objectives.mdm import mdm_loss
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tasks.registry import build_task
from anyorder.train import checkpoint as ckpt
from anyorder.train.config import TrainConfig, from_dict, resolve_model, save_json, to_dict
from anyorder.train.ema import EMA
from anyorder.train.progressive import Chains, progressive_loss

MASK_SALT, DROPOUT_SALT = 1, 2
# fields that may differ between the original run and a resumed one (they do not change the trajectory)
RESUMABLE_CHANGES = {"max_steps", "max_seconds", "budget_clock", "log_every", "eval_every", "ckpt_every",
                     "keep_checkpoints", "out_dir", "compile"}


def _mdm(model, batch, cfg: TrainConfig, bundle: TaskBundle, generator, chains: Chains):
    return mdm_loss(model, batch, cfg.mdm, bundle.tokenizer.mask_id, generator)


def _ar(model, batch, cfg: TrainConfig, bundle: TaskBundle, generator, chains: Chains):
    return ar_loss(model, batch, cfg.ar, generator)


def _puma(model, batch, cfg: TrainConfig, bundle: TaskBundle, generator, chains: Chains):
    return progressive_loss(model, batch, cfg.puma, cfg.mdm, bundle.tokenizer.mask_id, generator, chains)


OBJECTIVES: dict[str, Callable] = {"mdm": _mdm, "ar": _ar, "puma": _puma}  # TrainConfig.objective -> loss call


def clock_now(kind: str) -> float:
    """Seconds on the clock ``TrainConfig.budget_clock`` names: "wall" (time.perf_counter) or "cpu" (CPU time of
    the calling thread, the trainer's, which does its share of every intra-op parallel kernel)."""
    return time.thread_time() if kind == "cpu" else time.perf_counter()


@dataclass
class Clock:
    """Training time against ``TrainConfig.max_seconds`` (0 = no budget) on the ``kind`` clock ("wall" or "cpu",
    ``TrainConfig.budget_clock``); ``offset`` = earlier runs."""

    budget: float = 0.0
    offset: float = 0.0
    kind: str = "wall"
    start: float | None = None  # set on construction

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self.start = clock_now(self.kind)

    def elapsed(self) -> float:
        return self.offset + clock_now(self.kind) - self.start

    def fraction(self) -> float:
        """Share of the budget spent, in [0, 1]; 0 without a budget."""
        return min(self.elapsed() / self.budget, 1.0) if self.budget > 0 else 0.0

    def spent(self) -> bool:
        return self.budget > 0 and self.elapsed() >= self.budget


@dataclass
class Run:
    """Mutable state of one training run (what a checkpoint saves, plus the live objects)."""

    cfg: TrainConfig
    bundle: TaskBundle
    accelerator: Any
    model: nn.Module  # the prepared (possibly DDP/FSDP-wrapped) model
    raw: nn.Module  # the unwrapped Transformer (shares parameters with ``model``)
    forward: nn.Module  # what the objective calls: ``model`` or ``torch.compile(model)``
    optimizer: Any
    scheduler: torch.optim.lr_scheduler.LambdaLR
    ema: EMA | None
    run_dir: Path
    evaluator: Callable[[nn.Module, TaskBundle, int], dict[str, float]] | None = None  # given by the caller
    step: int = 0  # completed optimizer steps
    tokens: int = 0  # tokens seen (all ranks), for the FLOP count
    chains: Chains = dataclasses.field(default_factory=Chains)  # objective "puma": this process's chain states
    clock: Clock = dataclasses.field(default_factory=Clock)  # time budget (TrainConfig.max_seconds)

    @property
    def per_device_batch(self) -> int:
        return self.cfg.batch_size // self.accelerator.num_processes


def lr_factor(step: int, warmup_steps: int, max_steps: int, min_lr_ratio: float, time_fraction: float = 0.0) -> float:
    """Linear warmup over ``warmup_steps`` then cosine decay from 1 to ``min_lr_ratio`` at ``max_steps``, or
    earlier when ``time_fraction`` (share of a wall-clock budget spent) is ahead of the step count."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(max((step - warmup_steps) / max(1, max_steps - warmup_steps), time_fraction), 1.0)
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: decay only matrices of Linear layers (no decay on norms, biases or embeddings)."""
    no_decay = {id(p) for m in model.modules() if isinstance(m, nn.Embedding) for p in m.parameters()}
    decay, rest = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 and id(p) not in no_decay else rest).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def setup(cfg: TrainConfig, bundle: TaskBundle) -> Run:
    """Build model, optimizer, scheduler and EMA under an Accelerator (cfg.model must already be resolved)."""
    from accelerate import Accelerator

    # cpu=True on machines without CUDA lets torchrun / `accelerate launch --multi_gpu` start gloo DDP on CPUs
    accelerator = Accelerator(mixed_precision=cfg.mixed_precision, cpu=not torch.cuda.is_available())
    if cfg.batch_size % accelerator.num_processes:
        raise ConfigError(f"batch_size={cfg.batch_size} is not divisible by {accelerator.num_processes} processes")
    torch.manual_seed(cfg.seed)
    raw = build_model(cfg.model_kind, cfg.model)
    if cfg.init_from:
        init_weights(raw, cfg.init_from)
    o = cfg.optim
    clock = Clock(cfg.max_seconds, kind=cfg.budget_clock)
    optimizer = torch.optim.AdamW(param_groups(raw, o.weight_decay), lr=o.lr, betas=o.betas)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, o.warmup_steps, cfg.max_steps, o.min_lr_ratio, clock.fraction()))
    model, optimizer = accelerator.prepare(raw, optimizer)
    if accelerator.distributed_type.name == "FSDP" and cfg.ema is not None:
        raise ConfigError("ema is not supported with FSDP (the shadows would need gathering); set ema=null")
    raw = accelerator.unwrap_model(model)
    forward = torch.compile(model) if cfg.compile else model
    ema = EMA(raw, cfg.ema) if cfg.ema is not None else None
    return Run(cfg, bundle, accelerator, model, raw, forward, optimizer, scheduler, ema, cfg.run_dir, clock=clock)


def init_weights(model: nn.Module, path: str) -> None:
    """Load the (EMA) weights of checkpoint ``path`` into ``model``; names and shapes must match (CheckpointError)."""
    src = ckpt.resolve(Path(path))
    ckpt.read_config(src)  # verifies the file hashes
    weights = ckpt.read_tensors(src, "model.safetensors")
    ckpt.check_finite(weights, src / "model.safetensors")
    expected = model.state_dict()
    bad = sorted(set(expected) ^ set(weights)) + [k for k in expected if k in weights
                                                    and weights[k].shape != expected[k].shape]
    if bad:
        raise CheckpointError(f"{src / 'model.safetensors'}: weights do not fit the configured model "
                              f"(mismatched names or shapes: {bad[:5]})")
    model.load_state_dict(weights)


def _compile_failure(error: BaseException) -> bool:
    """The error comes from torch.compile (TorchDynamo / its backend), not from the model or the data."""
    from torch._dynamo.exc import TorchDynamoException

    return isinstance(error, TorchDynamoException)


def train_step(run: Run, step: int) -> dict[str, float]:
    """One optimizer step on the batch of ``step``; returns the objective's metrics (this rank)."""
    cfg, acc = run.cfg, run.accelerator
    rank = acc.process_index
    batch = run.bundle.source.batch(step, rank, run.per_device_batch)
    batch = {k: v.to(acc.device) for k, v in batch.items()}
    torch.manual_seed(torch_generator(cfg.seed, step, rank, salt=DROPOUT_SALT).initial_seed())
    run.model.train()

    def objective() -> Any:  # a fresh mask generator per call: a retry draws what an eager step draws
        generator = torch_generator(cfg.seed, step, rank, salt=MASK_SALT)
        return OBJECTIVES[cfg.objective](run.forward, batch, cfg, run.bundle, generator, run.chains)

    try:
        out = objective()
    except Exception as e:  # torch.compile failed (no C compiler, unsupported platform): continue eager
        if run.forward is run.model or not _compile_failure(e):
            raise
        print(f"warning: torch.compile failed ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
              "training continues without it (compile=false)", file=sys.stderr)
        run.forward = run.model
        out = objective()
    acc.backward(out.loss)
    metrics = dict(out.metrics)
    if cfg.optim.grad_clip is not None:
        metrics["grad_norm"] = float(acc.clip_grad_norm_(run.model.parameters(), cfg.optim.grad_clip))
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    run.scheduler.step()
    if run.ema is not None:
        run.ema.update(run.raw)
    run.step = step + 1
    run.tokens += next(iter(batch.values())).numel() * acc.num_processes
    return metrics


# --------------------------------------------------------------------------------------------- checkpoints


def save(run: Run) -> None:
    """Write a checkpoint of the current step (collective: every rank must call it)."""
    acc = run.accelerator
    state = acc.get_state_dict(run.model)
    optim_state = _optimizer_state(run)
    if acc.is_main_process:
        cfg = run.cfg
        meta = {"model_kind": cfg.model_kind, "model": to_dict(cfg.model),
                "task": {"name": cfg.task, "options": cfg.task_options, "metadata": run.bundle.metadata},
                "objective": cfg.objective, "train": to_dict(cfg)}
        weights = run.ema.state_dict(run.raw) if run.ema is not None else state
        train_state = {"step": run.step, "tokens": run.tokens, "optimizer": optim_state,
                       "scheduler": run.scheduler.state_dict(), "elapsed_s": run.clock.elapsed()}
        if acc.scaler is not None:
            train_state["scaler"] = acc.scaler.state_dict()
        if cfg.objective == "puma":  # rank 0's chains; other ranks restart theirs on resume (see restore)
            train_state["chains"] = run.chains.state_dict()
        ckpt.save_checkpoint(run.run_dir / "checkpoints", run.step, meta, weights,
                             raw_state=state if run.ema is not None else None,
                             train_state=train_state, keep=cfg.keep_checkpoints, tokenizer=run.bundle.tokenizer)
    acc.wait_for_everyone()


def restore(run: Run) -> None:
    """Load the newest checkpoint of ``run.run_dir`` into the live objects."""
    path, skipped = ckpt.newest_verifying(run.run_dir / "checkpoints")
    if skipped and run.accelerator.is_main_process:
        for line in skipped:
            print(f"warning: skipping damaged checkpoint {line}", file=sys.stderr)
        print(f"warning: resuming from {path.name}, the newest checkpoint that verifies", file=sys.stderr)
    config = ckpt.read_config(path)
    state = ckpt.load_train_state(path, config)
    raw_name = "raw_model.safetensors" if "raw_model.safetensors" in config["files"] else "model.safetensors"
    weights = ckpt.read_tensors(path, raw_name)
    ckpt.build_model(path, config, weights, raw_name)  # checks names and shapes, raises CheckpointError
    run.raw.load_state_dict(weights)
    if run.ema is not None:
        run.ema.load_shadow(ckpt.read_tensors(path, "model.safetensors"))
    _load_optimizer_state(run, state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    if run.accelerator.scaler is not None and "scaler" in state:
        run.accelerator.scaler.load_state_dict(state["scaler"])
    run.step, run.tokens = int(state["step"]), int(state["tokens"])
    run.clock.offset = float(state.get("elapsed_s", 0.0))
    run.clock.restart()
    if "chains" in state and run.accelerator.num_processes == 1:
        run.chains.load_state_dict(state["chains"])


def _is_fsdp(run: Run) -> bool:
    return run.accelerator.distributed_type.name == "FSDP"


def _optimizer_state(run: Run) -> dict[str, Any]:
    """Full (unsharded) optimizer state; under FSDP gathered with FSDP.optim_state_dict (collective).

    The FSDP branch follows the torch API but is not exercised by the CPU test suite.
    """
    if _is_fsdp(run):
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

        return FSDP.optim_state_dict(run.model, run.optimizer.optimizer)
    return run.optimizer.state_dict()


def _load_optimizer_state(run: Run, state: dict[str, Any]) -> None:
    if _is_fsdp(run):
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

        state = FSDP.optim_state_dict_to_load(run.model, run.optimizer.optimizer, state)
    run.optimizer.load_state_dict(state)


# ------------------------------------------------------------------------------------------------ the loop


def fit(cfg: TrainConfig, resume: bool = False, progress: bool = True,
        evaluator: Callable[[nn.Module, TaskBundle, int], dict[str, float]] | None = None) -> Path:
    """Train ``cfg`` and return the run directory (see module docstring).

    Evaluations (every ``eval_every`` steps and at the end) report the task's decode-free ``bundle.evaluate``
    and ``evaluator(model, bundle, step)`` when given (``anyorder train`` passes
    ``anyorder.evaluation.tasks.evaluate_task``, which decodes the task's evaluation problems).

    ``resume=True`` continues from the newest checkpoint in ``<out_dir>/<name>``; the stored config must match
    ``cfg`` except for fields in ``RESUMABLE_CHANGES``. Ctrl-C finishes the current step, saves a checkpoint
    and re-raises KeyboardInterrupt.
    """
    bundle = build_task(cfg.task, cfg.task_options, cfg.seed)
    cfg = resolve_model(cfg, bundle.model_fields)
    run = dataclasses.replace(setup(cfg, bundle), evaluator=evaluator)
    _prepare_run_dir(run, resume)
    if resume:
        restore(run)
    _truncate_metrics(run.run_dir / "metrics.jsonl", run.step, run.accelerator.is_main_process)
    with _deferred_interrupt() as interrupted:
        _loop(run, interrupted, progress)
    return run.run_dir


def _loop(run: Run, interrupted: Callable[[], bool], progress: bool) -> None:
    cfg, acc = run.cfg, run.accelerator
    bar = _progress_bar(run, progress and acc.is_main_process)
    window: list[dict[str, float]] = []
    tick = time.perf_counter()
    last_ckpt = run.step
    try:
        done = run.step >= cfg.max_steps or _budget_spent(run)
        while not done:
            window.append(train_step(run, run.step))
            bar.update(1)
            done = run.step >= cfg.max_steps or _budget_spent(run)
            record: dict[str, Any] = {}
            if run.step % cfg.log_every == 0 or done:
                record = _train_record(run, window, time.perf_counter() - tick)
                bar.set_postfix(loss=f"{record['loss']:.4f}", lr=f"{record['lr']:.2e}",
                                sps=f"{record['samples_per_s']:.0f}")
                window, tick = [], time.perf_counter()
            if (cfg.eval_every and run.step % cfg.eval_every == 0) or done:
                record.update(_evaluate(run))
            _write_metrics(run, record)
            stop = _any_rank(acc, interrupted())
            if (cfg.ckpt_every and run.step % cfg.ckpt_every == 0) or done or stop:
                save(run)
                last_ckpt = run.step
            if stop:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        if run.step != last_ckpt:
            save(run)
        raise
    finally:
        bar.close()


def _train_record(run: Run, window: list[dict[str, float]], seconds: float) -> dict[str, Any]:
    acc, cfg = run.accelerator, run.cfg
    keys = sorted(window[0])
    local = torch.tensor([[m[k] for k in keys] for m in window], dtype=torch.float64).mean(0)
    means = acc.reduce(local.to(acc.device), reduction="mean").cpu().tolist() if acc.num_processes > 1 else local.tolist()
    seq_len = run.tokens // max(run.step * cfg.batch_size, 1)
    return {"step": run.step, **dict(zip(keys, means)), "lr": run.scheduler.get_last_lr()[0],
            "samples_per_s": len(window) * cfg.batch_size / max(seconds, 1e-9),
            "samples": run.step * cfg.batch_size, "elapsed_s": run.clock.elapsed(),
            "flops": float(run.tokens) * training_flops_per_token(cfg.model, seq_len)}


def _evaluate(run: Run) -> dict[str, float]:
    """Run the task's evaluation on the main process (EMA weights when EMA is on).

    Under FSDP the forward pass is collective, so every rank evaluates the wrapped model (untested on CPU).
    """
    acc, evaluate = run.accelerator, run.bundle.evaluate
    fsdp = _is_fsdp(run)
    out: dict[str, float] = {}
    if (evaluate is not None or run.evaluator is not None) and (acc.is_main_process or fsdp):
        model = run.model if fsdp else run.raw
        with run.ema.applied(run.raw) if run.ema is not None else contextlib.nullcontext():
            model.eval()
            with torch.no_grad():
                metrics = dict(evaluate(model, run.step)) if evaluate is not None else {}
                if run.evaluator is not None:
                    metrics.update(run.evaluator(model, run.bundle, run.step))
                out = {f"eval/{k}": float(v) for k, v in metrics.items()}
            model.train()
    acc.wait_for_everyone()
    return out


def _write_metrics(run: Run, record: dict[str, Any]) -> None:
    if record and run.accelerator.is_main_process:
        record = {"step": run.step, **record}
        with open(run.run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")


def _truncate_metrics(path: Path, step: int, is_main: bool) -> None:
    """Drop metrics lines written after ``step`` (by an interrupted run that is being resumed), and lines that do
    not parse (a torn last line of a killed run; said on stderr). Rewritten atomically."""
    if not is_main or not path.exists():
        return
    lines, torn = [], []
    for number, ln in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not ln.strip():
            continue
        try:
            record = json.loads(ln)
            keep = int(record["step"]) <= step
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            torn.append(number)
            continue
        if keep:
            lines.append(ln)
    if torn:
        print(f"warning: {path}: dropped {len(torn)} unreadable line(s) {torn[:5]} (a torn write?)", file=sys.stderr)
    atomic_write(path, "".join(ln + "\n" for ln in lines))


def _prepare_run_dir(run: Run, resume: bool) -> None:
    path = run.run_dir / "config.json"
    if resume:
        if not path.exists():
            raise CheckpointError(f"{path}: missing; nothing to resume in {run.run_dir}")
        try:
            stored = from_dict(TrainConfig, json.loads(path.read_text()))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: invalid JSON ({e}); cannot resume") from e
        diff = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in RESUMABLE_CHANGES
                and getattr(stored, f.name) != getattr(run.cfg, f.name)]
        if diff:
            raise ConfigError(f"cannot resume {run.run_dir}: config differs in {diff} "
                              f"(only {sorted(RESUMABLE_CHANGES)} may change)")
    elif (run.run_dir / "checkpoints").exists():
        raise ConfigError(f"{run.run_dir} already has checkpoints; pass --resume or choose another name")
    if run.accelerator.is_main_process:
        run.run_dir.mkdir(parents=True, exist_ok=True)
        save_json(run.cfg, path)
        if not resume:
            (run.run_dir / "metrics.jsonl").write_text("")
    run.accelerator.wait_for_everyone()


def _progress_bar(run: Run, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=run.cfg.max_steps, initial=run.step, disable=not enabled, desc=run.cfg.name,
                dynamic_ncols=True)


def _budget_spent(run: Run) -> bool:
    """The wall-clock budget is spent on some rank (no collective call when there is no budget)."""
    return run.clock.budget > 0 and _any_rank(run.accelerator, run.clock.spent())


def _any_rank(acc, flag: bool) -> bool:
    if acc.num_processes == 1:
        return flag
    return bool(acc.reduce(torch.tensor([float(flag)], device=acc.device), reduction="sum").item() > 0)


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn the first SIGINT into a flag checked between steps (so a checkpoint is never half-updated)."""
    hits = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum, frame):
        if hits:  # second Ctrl-C: stop now
            raise KeyboardInterrupt
        hits.append(signum)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(hits)
    finally:
        signal.signal(signal.SIGINT, previous)
