"""Named training presets: ``anyorder train NAME [KEY=VALUE ...]``.

Each preset is a frozen ``TrainConfig``; the comment above it says what it is for. Model fields that the task
forces (vocab_size, max_len, position_tables) are left at placeholders and filled in by ``fit``.
Add a preset by adding an entry to ``CONFIGS``; ``get_config`` also accepts a path to a config JSON (e.g. the
``config.json`` of an earlier run).
"""
from __future__ import annotations

from pathlib import Path

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig
from anyorder.objectives.ar import ARConfig
from anyorder.objectives.mdm import MDMConfig
from anyorder.train.config import OptimConfig, TrainConfig, load_json

# task-forced fields are placeholders (see module docstring)
_SMALL = ModelConfig(vocab_size=1, max_len=1, n_layers=2, d_model=64, n_heads=4)

CONFIGS: dict[str, TrainConfig] = {
    # Smoke test / tutorial: a 2-layer MDM on the toy task (3^6 sequences, a mixture of 3 Markov chains) whose
    # exact conditionals are known, so the evaluation reports KL(exact || model). About a minute on a laptop CPU.
    "toy-mdm": TrainConfig(
        name="toy-mdm", task="toy", objective="mdm", model=_SMALL, mdm=MDMConfig(sampling="subset"),
        task_options={"length": 6, "n_symbols": 3, "n_components": 3},
        optim=OptimConfig(lr=3e-3, warmup_steps=50, min_lr_ratio=0.1, grad_clip=1.0),
        batch_size=128, max_steps=1500, log_every=50, eval_every=500, ckpt_every=500, keep_checkpoints=2,
    ),
    # The AR baseline on the same toy distribution ("pi-toy", left-to-right order): same width, causal attention
    # (forced by the task), next-token loss. A pi-learner uses task_options.perm=[...] instead.
    "toy-ar": TrainConfig(
        name="toy-ar", task="pi-toy", objective="ar", model=ModelConfig(vocab_size=1, max_len=1, n_layers=2,
                                                                     d_model=64, n_heads=4, causal=True),
        ar=ARConfig(), optim=OptimConfig(lr=3e-3, warmup_steps=50, min_lr_ratio=0.1, grad_clip=1.0),
        task_options={"length": 6, "n_symbols": 3, "n_components": 3},
        batch_size=128, max_steps=1500, log_every=50, eval_every=500, ckpt_every=500, keep_checkpoints=2,
    ),
}


def get_config(name_or_path: str) -> TrainConfig:
    """The preset ``name_or_path`` or the TrainConfig stored in that JSON file."""
    if name_or_path in CONFIGS:
        return CONFIGS[name_or_path]
    path = Path(name_or_path)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return load_json(path)
    raise ConfigError(f"unknown config {name_or_path!r}; presets: {sorted(CONFIGS)} (or a path to a JSON file)")
