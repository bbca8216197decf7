"""The text task (paper Sec. 4.1, 4.2, 4.5 at CPU scale): MDMs and pi-learners over packed token shards.

- ``TASK`` ("text", ``TextOptions``): MDM batches ``{"x0": (B, L) int64, "is_fixed": all False}``: rows drawn
  uniformly from the train shard, each cropped to a window of ``seq_len`` tokens at a uniform offset. Decode-free
  evaluation: ``val_nll``, the Monte-Carlo negative ELBO per token (nats; an upper bound on the MDM's NLL,
  Prop. 2.1) on the first ``n_eval`` validation rows (first ``seq_len`` tokens), with masks fixed across steps.
- ``PI_TASK`` ("text-pi", ``TextPiOptions``): the causal pi-learner along ``make_permutation(family, L, perm_seed)``
  (``family="identity"`` is the ARM), built with ``tasks.pi.permute_bundle`` (BOS = [MASK]; the permutation is in
  the checkpoint's metadata). ``val_nll`` is its exact NLL per token on the same validation windows.
Both report nats per token of the same windows, so the scaling plot compares them on one axis (paper Fig. 2 left).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.objectives.ar import ARConfig, ar_loss
from anyorder.objectives.mdm import MDMConfig, elbo
from anyorder.objectives.permutations import PERMUTATIONS, permute_batch
from anyorder.options import to_dict
from anyorder.tasks.base import Task, TaskBundle, torch_generator
from anyorder.tasks.pi import permute_bundle
from anyorder.tasks.text.shards import TextShards

EVAL_BATCH = 64


def default_data_dir() -> Path:
    """$ANYORDER_DATA/text, else ~/.cache/anyorder/data/text: where `anyorder data text` writes by default."""
    root = os.environ.get("ANYORDER_DATA")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "anyorder" / "data") / "text"


@dataclass(frozen=True)
class TextOptions:
    """Options of the text task (``task_options.KEY=VALUE``)."""

    data: str = ""  # shard directory built by `anyorder data text` ("" = default_data_dir())
    seq_len: int = 0  # training window L in tokens (0 = the shards' row length; smaller = random crops)
    n_eval: int = 256  # validation windows in the periodic val_nll (0 = no evaluation)
    eval_samples: int = 4  # MDM only: mask draws per validation window for the ELBO estimate

    def __post_init__(self) -> None:
        if self.seq_len < 0 or self.n_eval < 0 or self.eval_samples < 1:
            raise ConfigError(f"text needs seq_len >= 0, n_eval >= 0, eval_samples >= 1; got {self}")


@dataclass(frozen=True)
class TextPiOptions(TextOptions):
    """The text options plus the pi-learner's order: ``family`` (identity = ARM) and ``perm_seed``."""

    family: str = "identity"  # objectives.permutations.PERMUTATIONS: identity | much_closer | closer | uniform
    perm_seed: int = 0  # seed of the permutation drawn from the family

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.family not in PERMUTATIONS:
            raise ConfigError(f"unknown permutation family {self.family!r}; valid: {sorted(PERMUTATIONS)}")


class TextSource:
    """MDM batches of windows of packed text; a pure function of (seed, step, rank, batch_size)."""

    def __init__(self, rows: np.ndarray, seq_len: int, seed: int) -> None:
        self.rows, self.seq_len, self.seed = rows, int(seq_len), int(seed)

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, step, rank, 11])
        index = np.sort(rng.integers(0, self.rows.shape[0], batch_size))  # sorted: sequential memmap reads
        offset = rng.integers(0, self.rows.shape[1] - self.seq_len + 1, batch_size)
        window = offset[:, None] + np.arange(self.seq_len)
        x0 = torch.from_numpy(np.take_along_axis(self.rows[index], window, axis=1).astype(np.int64))
        return {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}


def _device(model) -> torch.device:
    return next(iter(model.parameters())).device if hasattr(model, "parameters") else torch.device("cpu")


def validation_windows(shards: TextShards, seq_len: int, n: int, whole_rows: bool = False) -> torch.Tensor:
    """(min(n, available), seq_len) int64 validation windows. By default the first ``seq_len`` tokens of the
    first ``n`` rows (what training evaluates on); ``whole_rows`` also takes the further disjoint windows of
    each row (row length // seq_len per row, row-major), so a short model sees all of the split."""
    val = shards.split("validation")
    if not whole_rows:
        return torch.from_numpy(np.asarray(val[:n, :seq_len]).astype(np.int64))
    per_row = val.shape[1] // seq_len
    rows = -(-n // per_row) if per_row else 0  # read only the rows the first n windows come from
    windows = np.asarray(val[:rows, :per_row * seq_len]).reshape(-1, seq_len)
    return torch.from_numpy(windows[:n].astype(np.int64))


def _open(opts: TextOptions) -> tuple[TextShards, int]:
    shards = TextShards.open(opts.data or default_data_dir())
    seq_len = opts.seq_len or shards.seq_len
    if seq_len > shards.seq_len:
        raise ConfigError(f"text seq_len={seq_len} exceeds the shards' row length {shards.seq_len}")
    if shards.meta["rows"]["train"] < 1:
        raise ConfigError(f"{shards.directory}: the train split is empty")
    return shards, seq_len


def _base(opts: TextOptions, seed: int) -> tuple[TaskBundle, torch.Tensor]:
    """The MDM bundle without evaluation, and the validation windows (n_eval, L)."""
    shards, seq_len = _open(opts)
    tok = shards.tokenizer
    meta = {"options": to_dict(opts), "shards": str(shards.directory), "seq_len": seq_len,
            "shard_meta": {k: shards.meta[k] for k in ("n_tokens", "n_documents", "rows", "sources")}}
    bundle = TaskBundle(name="text", tokenizer=tok, source=TextSource(shards.split("train"), seq_len, seed),
                        model_fields={"vocab_size": tok.vocab_size, "max_len": seq_len}, metadata=meta)
    return bundle, validation_windows(shards, seq_len, opts.n_eval)


def build(opts: TextOptions, seed: int) -> TaskBundle:
    """The text MDM task (module docstring)."""
    bundle, val = _base(opts, seed)
    mask_id = bundle.tokenizer.mask_id

    def evaluate(model, step: int) -> dict[str, float]:
        if val.shape[0] == 0:
            return {}
        device, total = _device(model), 0.0
        generator = torch_generator(seed, 0, 0, salt=7)  # the same masks at every evaluation
        for lo in range(0, val.shape[0], EVAL_BATCH):
            x0 = val[lo:lo + EVAL_BATCH].to(device)
            batch = {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}
            total += float(elbo(model, batch, MDMConfig(), mask_id, generator, opts.eval_samples).sum())
        return {"val_nll": total / val.numel()}

    return dataclasses.replace(bundle, evaluate=evaluate if opts.n_eval else None)


def build_pi(opts: TextPiOptions, seed: int) -> TaskBundle:
    """The text pi-learner task (module docstring); ``metadata["permutation"]`` is its order."""
    base, val = _base(opts, seed)
    bundle = permute_bundle(base, opts.family, opts.perm_seed)
    perm = torch.tensor(bundle.metadata["permutation"], dtype=torch.long)
    bos = bundle.tokenizer.mask_id

    def evaluate(model, step: int) -> dict[str, float]:
        if val.shape[0] == 0:
            return {}
        device, total, count = _device(model), 0.0, 0
        for lo in range(0, val.shape[0], EVAL_BATCH):
            x0 = val[lo:lo + EVAL_BATCH].to(device)
            out = ar_loss(model, permute_batch(x0, torch.zeros_like(x0, dtype=torch.bool), perm, bos), ARConfig())
            total += out.metrics["ce"] * out.n_tokens
            count += out.n_tokens
        return {"val_nll": total / max(count, 1)}

    return dataclasses.replace(bundle, name="text-pi", evaluate=evaluate if opts.n_eval else None)


TASK = Task("text", TextOptions, build, "packed text shards (anyorder data text), MDM")
PI_TASK = Task("text-pi", TextPiOptions, build_pi, "packed text shards read along a fixed order (ARM / pi-learner)")
