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
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig
from anyorder.objectives.ar import ARConfig
from anyorder.objectives.mdm import MDMConfig

OBJECTIVE_NAMES = ("mdm", "ar")
MIXED_PRECISION = ("no", "bf16", "fp16")


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


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; written to ``runs/<name>/config.json``."""

    name: str  # run name: the run directory is <out_dir>/<name>
    task: str  # key of anyorder.tasks.registry.TASKS
    objective: str = "mdm"  # "mdm" | "ar"
    task_options: dict = field(default_factory=dict)  # passed to the task builder
    # vocab_size / max_len / position_tables are placeholders here: the task sets them at fit time
    model: ModelConfig = field(default_factory=lambda: ModelConfig(vocab_size=1, max_len=1))
    mdm: MDMConfig = field(default_factory=MDMConfig)  # used when objective == "mdm"
    ar: ARConfig = field(default_factory=ARConfig)  # used when objective == "ar"
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
    out_dir: str = "runs"  # parent of the run directory
    init_from: str | None = None  # start from this checkpoint's weights (fine-tuning); optimizer starts fresh

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVE_NAMES:
            raise ConfigError(f"unknown objective {self.objective!r}; valid: {list(OBJECTIVE_NAMES)}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(f"unknown mixed_precision {self.mixed_precision!r}; valid: {list(MIXED_PRECISION)}")
        if self.batch_size < 1 or self.max_steps < 1 or self.log_every < 1:
            raise ConfigError("batch_size, max_steps and log_every must be >= 1")
        if min(self.eval_every, self.ckpt_every) < 0 or self.keep_checkpoints < 1:
            raise ConfigError("eval_every and ckpt_every must be >= 0 and keep_checkpoints >= 1")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise ConfigError(f"ema must be None or in (0, 1), got {self.ema}")
        if not self.name or "/" in self.name:
            raise ConfigError(f"invalid run name {self.name!r} (non-empty, no '/')")

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name


def resolve_model(cfg: TrainConfig, model_fields: dict[str, Any]) -> TrainConfig:
    """Merge the ModelConfig fields a task forces (TaskBundle.model_fields) into ``cfg.model``."""
    model = _build(ModelConfig, {**to_dict(cfg.model), **model_fields}, "model")
    return dataclasses.replace(cfg, model=model)


# ----------------------------------------------------------------------------------------------- overrides


def apply_overrides(cfg: Any, overrides: list[str]) -> Any:
    """Return ``cfg`` with each ``"a.b.c=value"`` applied; values are coerced to the field's type.

    Keys inside a dict field (e.g. ``task_options.n_train=1000``) take JSON values, falling back to the raw
    string. Unknown keys raise ConfigError listing the valid fields at that level.
    """
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form KEY=VALUE")
        cfg = _set_path(cfg, key.strip().split("."), raw, key)
    return cfg


def _set_path(obj: Any, path: list[str], raw: str, full: str) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if rest:
            inner = obj.get(head, {})
            if not isinstance(inner, dict):
                raise ConfigError(f"{full}: {head!r} is not a mapping")
            return {**obj, head: _set_path(inner, rest, raw, full)}
        return {**obj, head: _json_or_str(raw)}
    if not dataclasses.is_dataclass(obj):
        raise ConfigError(f"{full}: cannot set a field inside a {type(obj).__name__}")
    hints = _hints(type(obj))
    if head not in hints:
        raise ConfigError(f"unknown config key {full!r}: {head!r} is not one of {sorted(hints)}")
    current = getattr(obj, head)
    if rest:
        return _replace(obj, head, _set_path(current, rest, raw, full))
    return _replace(obj, head, _coerce_str(raw, hints[head], full))


def _replace(obj: Any, name: str, value: Any) -> Any:
    changes = {name: value}
    if isinstance(obj, ModelConfig) and name == "d_model" and obj.d_mlp == 4 * obj.d_model:
        changes["d_mlp"] = None  # keep the derived default d_mlp = 4 * d_model when only the width changes
    try:
        return dataclasses.replace(obj, **changes)
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"invalid value for {name}: {e}") from e


def _json_or_str(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _coerce_str(raw: str, tp: Any, key: str) -> Any:
    """Parse the command-line string ``raw`` as a value of type ``tp``."""
    text = raw.strip()
    args = typing.get_args(tp)
    if _is_optional(tp):
        if text.lower() in ("none", "null"):
            return None
        tp = next(a for a in args if a is not type(None))
    try:
        if tp is bool:
            low = text.lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError("expected true/false")
        if tp is int:
            number = float(text)
            if not number.is_integer():
                raise ValueError("expected an integer")
            return int(number)
        if tp is float:
            return float(text)
        if tp is str:
            return raw
        return _coerce_json(json.loads(text), tp, key)
    except (ValueError, json.JSONDecodeError) as e:
        raise ConfigError(f"{key}={raw!r}: cannot parse as {_type_name(tp)} ({e})") from e


# ------------------------------------------------------------------------------------------ dict / JSON


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a (nested) config dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """Build ``cls`` (a config dataclass) from ``to_dict`` output; unknown keys raise ConfigError."""
    return _build(cls, data, cls.__name__)


def save_json(cfg: Any, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_dict(cfg), indent=2) + "\n")


def load_json(path: str | Path, cls: type = TrainConfig) -> Any:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    return from_dict(cls, data)


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = _hints(cls)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; valid: {sorted(hints)}")
    kwargs = {k: _coerce_json(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from e


def _coerce_json(value: Any, tp: Any, where: str) -> Any:
    """Convert a JSON value to ``tp``: lists -> tuples, dicts -> dataclasses, ints -> floats."""
    if tp is Any:
        return value
    if _is_optional(tp):
        if value is None:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce_json(v, args[0], where) for v in value)
        if args and len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} items, got {value!r}")
        return tuple(_coerce_json(v, a, where) for v, a in zip(value, args or [Any] * len(value)))
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    expected = origin or tp
    if isinstance(expected, type) and not isinstance(value, expected):
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    return value


def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))
