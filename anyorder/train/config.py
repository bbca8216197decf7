"""Training configuration: frozen dataclasses, ``a.b=c`` overrides and JSON round trips.

``TrainConfig`` nests the model, objective and optimizer configs. Presets live in ``anyorder.configs``; the CLI
applies ``KEY=VALUE`` overrides with ``apply_overrides``, which coerces each value to the annotated type of the
field it sets (int, float, bool, str, None, tuples and dicts as JSON) and raises ``ConfigError`` listing the
valid fields at that level for an unknown key. Fields the task forces on ``ModelConfig`` (vocab_size, max_len,
position_tables) are merged in by the trainer at fit time (``resolve_model``).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyorder.errors import ConfigError
from anyorder.io import atomic_write
from anyorder.models.registry import model_kind
from anyorder.models.transformer import ModelConfig
from anyorder.objectives.ar import ARConfig
from anyorder.objectives.mdm import MDMConfig
from anyorder.options import apply_overrides, from_dict, to_dict
from anyorder.train.progressive import ProgressiveConfig

__all__ = ["OptimConfig", "TrainConfig", "resolve_model", "apply_overrides", "from_dict", "to_dict", "save_json",
           "load_json"]

OBJECTIVE_NAMES = ("mdm", "ar", "puma")  # puma: MDM trained on planner-visited states
MASKED_OBJECTIVES = ("mdm", "puma")  # objectives whose checkpoints are MDMs (decoded by the MDM decoders)
MIXED_PRECISION = ("no", "bf16", "fp16")


def is_mdm_checkpoint(config: dict) -> bool:
    """True when a checkpoint's config.json describes an MDM (objective "mdm" or "puma"; missing = "mdm")."""
    return config.get("objective", "mdm") in MASKED_OBJECTIVES


@dataclass(frozen=True)
class OptimConfig:
    """AdamW with linear warmup then cosine decay to ``lr * min_lr_ratio``."""

    lr: float = 1e-3  # peak learning rate
    weight_decay: float = 0.0  # decoupled decay; never applied to norms, biases or embeddings
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW (beta1, beta2)
    warmup_steps: int = 0  # linear warmup from 0 to lr over this many steps
    min_lr_ratio: float = 0.1  # final lr = lr * min_lr_ratio at max_steps (cosine)
    grad_clip: float | None = 1.0  # max global grad norm; None disables clipping

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.weight_decay < 0 or self.warmup_steps < 0:
            raise ConfigError(f"optim: need lr > 0, weight_decay >= 0, warmup_steps >= 0; got {self}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ConfigError(f"optim.min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"optim.betas must be two numbers in [0, 1), got {self.betas}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ConfigError(f"optim.grad_clip must be None or > 0, got {self.grad_clip}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; written to ``runs/<name>/config.json``."""

    name: str  # run name: the run directory is <out_dir>/<name>
    task: str  # key of anyorder.tasks.registry.TASKS
    objective: str = "mdm"  # "mdm" | "ar" | "puma" (MDM on planner-visited states)
    task_options: dict = field(default_factory=dict)  # passed to the task builder
    model_kind: str = "transformer"  # anyorder.models.registry.MODEL_KINDS: how ``model`` is built and restored
    # vocab_size / max_len / position_tables are placeholders here: the task sets them at fit time
    model: ModelConfig = field(default_factory=lambda: ModelConfig(vocab_size=1, max_len=1))
    mdm: MDMConfig = field(default_factory=MDMConfig)  # used when objective == "mdm"
    ar: ARConfig = field(default_factory=ARConfig)  # used when objective == "ar"
    puma: ProgressiveConfig = field(default_factory=ProgressiveConfig)  # objective == "puma" (train/progressive.py)
    optim: OptimConfig = field(default_factory=OptimConfig)
    batch_size: int = 128  # global batch (split evenly over processes)
    max_steps: int = 1000  # optimizer steps
    seed: int = 0  # seeds the model init, the batches and the masks
    log_every: int = 10  # steps between metrics.jsonl lines
    eval_every: int = 0  # steps between task evaluations (0 = only at the end)
    ckpt_every: int = 0  # steps between checkpoints (0 = only at the end)
    keep_checkpoints: int = 2  # keep the newest N checkpoints
    ema: float | None = None  # EMA decay of the weights (e.g. 0.999); None = off
    compile: bool = False  # torch.compile the model for training
    mixed_precision: str = "no"  # "no" | "bf16" | "fp16" (Accelerate autocast)
    out_dir: str = ""  # parent of the run directory; "" = default_runs_dir() (outside any work tree)
    init_from: str | None = None  # start from this checkpoint's weights (fine-tuning); optimizer starts fresh
    # wall-clock budget of the run in seconds (0 = none): training stops, evaluates and checkpoints when it is
    # spent, and the cosine schedule decays over whichever of max_steps / max_seconds runs out first (fixed-time
    # runs such as scripts/gpu_all.sh). The time spent is stored in checkpoints, so --resume continues the budget.
    # Steps then depend on the machine's speed: such a run is reproducible from its checkpoints, not bit for bit.
    max_seconds: float = 0.0
    # what max_seconds counts: "wall" (elapsed time) or "cpu" (CPU time of the training thread, for CPU training on
    # a shared or niced machine: time the trainer waits for the cores is not spent from the budget)
    budget_clock: str = "wall"

    def __post_init__(self) -> None:
        model_kind(self.model_kind)  # unknown kinds raise ConfigError listing the valid ones
        if self.objective not in OBJECTIVE_NAMES:
            raise ConfigError(f"unknown objective {self.objective!r}; valid: {list(OBJECTIVE_NAMES)}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(f"unknown mixed_precision {self.mixed_precision!r}; valid: {list(MIXED_PRECISION)}")
        if self.batch_size < 1 or self.max_steps < 1 or self.log_every < 1:
            raise ConfigError("batch_size, max_steps and log_every must be >= 1")
        if min(self.eval_every, self.ckpt_every) < 0 or self.keep_checkpoints < 1:
            raise ConfigError("eval_every and ckpt_every must be >= 0 and keep_checkpoints >= 1")
        if self.max_seconds < 0:
            raise ConfigError(f"max_seconds must be >= 0 (0 = no wall-clock budget), got {self.max_seconds}")
        if self.budget_clock not in ("wall", "cpu"):
            raise ConfigError(f"unknown budget_clock {self.budget_clock!r}; valid: ['wall', 'cpu']")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise ConfigError(f"ema must be None or in (0, 1), got {self.ema}")
        if not self.name or "/" in self.name:
            raise ConfigError(f"invalid run name {self.name!r} (non-empty, no '/')")

    @property
    def run_dir(self) -> Path:
        return (Path(self.out_dir).expanduser() if self.out_dir else default_runs_dir()) / self.name


def default_runs_dir() -> Path:
    """Where runs live unless ``out_dir`` says otherwise: $ANYORDER_RUNS, else $XDG_CACHE_HOME/anyorder/runs,
    else ~/.cache/anyorder/runs. Outside the repository, so long runs survive a new checkout."""
    if os.environ.get("ANYORDER_RUNS"):
        return Path(os.environ["ANYORDER_RUNS"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "anyorder" / "runs"


def resolve_model(cfg: TrainConfig, model_fields: dict[str, Any]) -> TrainConfig:
    """Merge the ModelConfig fields a task forces (TaskBundle.model_fields) into ``cfg.model``."""
    model = from_dict(ModelConfig, {**to_dict(cfg.model), **model_fields}, "model")
    return dataclasses.replace(cfg, model=model)


def save_json(cfg: Any, path: str | Path) -> None:
    atomic_write(path, json.dumps(to_dict(cfg), indent=2) + "\n")


def load_json(path: str | Path, cls: type = TrainConfig) -> Any:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    return from_dict(cls, data)


