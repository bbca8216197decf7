"""Training presets for the L&O experiments (Table 1, Figure 2 bottom right).

``lo_train_config(N, P, config=..., max_steps=..., ...)`` returns a TrainConfig for task "lo" (NAE-SAT, identity
permutation). Two model sizes:
- ``cpu``: a small bidirectional transformer (3 layers, width 96), no padding (L = N + P), so that five
  distributions train and decode in minutes on a laptop CPU;
- ``paper``: SMDM 19M with RoPE (8 layers, d 384, 6 heads, SwiGLU 1536, RMSNorm, no bias), sequences padded
  with the value 2 to 512 (paper App. C.2.1), AdamW (0.9, 0.95), weight decay 0.1, cosine lr 4e-4 -> 4e-5.
``LO_PRESETS`` holds the presets meant for ``anyorder.configs.CONFIGS`` (lo-nae-cpu, lo-nae-19m).
"""
from __future__ import annotations

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig, paper_config
from anyorder.objectives.mdm import MDMConfig
from anyorder.train.config import OptimConfig, TrainConfig

MODEL_CONFIGS = ("cpu", "paper")


def lo_model(config: str) -> ModelConfig:
    """Model of a named size; vocab_size/max_len are placeholders that the task overrides."""
    if config == "cpu":
        return ModelConfig(vocab_size=4, max_len=300, n_layers=3, d_model=96, n_heads=4, mlp="gelu",
                           norm="layernorm", positions="learned")
    if config == "paper":
        return paper_config("smdm-19m", vocab_size=4, max_len=512)
    raise ConfigError(f"unknown L&O model config {config!r}; valid: {list(MODEL_CONFIGS)}")


def lo_task_options(n: int, p: int, config: str, dist_seed: int = 0) -> dict:
    """NAE-SAT options: identity permutation, distinct random triples fixed by ``dist_seed``."""
    return {"kind": "nae_sat", "N": n, "P": p, "dist_seed": dist_seed,
            "pad_to": 512 if config == "paper" else None}


def lo_train_config(n: int, p: int, config: str = "cpu", max_steps: int = 300, batch_size: int | None = None,
                    lr: float | None = None, seed: int = 0, dist_seed: int = 0, out_dir: str = "runs",
                    name: str | None = None, mixed_precision: str = "no") -> TrainConfig:
    """A TrainConfig for one L&O-NAE-SAT distribution (fresh samples every batch)."""
    model = lo_model(config)
    if config == "paper":
        optim = OptimConfig(lr=lr or 4e-4, weight_decay=0.1, betas=(0.9, 0.95), warmup_steps=min(100, max_steps // 10),
                            min_lr_ratio=0.1)
        batch = batch_size or 256
    else:
        optim = OptimConfig(lr=lr or 2e-3, weight_decay=0.0, betas=(0.9, 0.95), warmup_steps=min(20, max_steps // 10),
                            min_lr_ratio=0.1)
        batch = batch_size or 64
    return TrainConfig(name=name or f"lo-nae-{config}-N{n}-P{p}", task="lo",
                       task_options=lo_task_options(n, p, config, dist_seed), objective="mdm", model=model,
                       mdm=MDMConfig(), optim=optim, batch_size=batch, max_steps=max_steps, seed=seed,
                       log_every=max(1, min(50, max_steps // 5)), eval_every=0, ckpt_every=0, keep_checkpoints=2,
                       out_dir=out_dir, mixed_precision=mixed_precision)


LO_PRESETS: dict[str, TrainConfig] = {
    "lo-nae-cpu": lo_train_config(20, 280, "cpu", max_steps=300, name="lo-nae-cpu"),
    "lo-nae-19m": lo_train_config(20, 280, "paper", max_steps=2000, name="lo-nae-19m", mixed_precision="bf16"),
}
