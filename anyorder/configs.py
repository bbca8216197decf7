"""Named training presets: ``anyorder train NAME [KEY=VALUE ...]``.

Each preset is a frozen ``TrainConfig``; the comment above it says what it is for. Model fields that the task
forces (vocab_size, max_len, position_tables) are left at placeholders and filled in by ``fit``.
This module is the one home of presets (the L&O experiments' configs included). Add a preset by adding an entry
to ``CONFIGS``; ``get_config`` also accepts a path to a config JSON (e.g. the
``config.json`` of an earlier run).
"""
from __future__ import annotations

from pathlib import Path

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig, paper_config
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


_SUDOKU_DATA = {"train_path": "data/sudoku_train"}  # built by `anyorder data sudoku` (docs/data-format.md)
_OPT_TOY = OptimConfig(lr=1e-3, warmup_steps=300, min_lr_ratio=0.1, grad_clip=1.0)


def _sudoku_mdm(name: str, model: ModelConfig, **fields) -> TrainConfig:
    return TrainConfig(name=name, task="sudoku", objective="mdm", model=model, **fields)


def _sudoku_arm(name: str, order: str, model: ModelConfig, **fields) -> TrainConfig:
    return TrainConfig(name=name, task="sudoku-arm", objective="ar", model=model,
                       task_options={**_SUDOKU_DATA, "order": order, "n_eval": 100}, **fields)


def _sudoku_arm81(name: str, order: str) -> TrainConfig:
    return TrainConfig(name=name, task="sudoku-arm", objective="ar",
                       model=ModelConfig(vocab_size=1, max_len=1, n_layers=4, d_model=128, n_heads=4, causal=True),
                       task_options={**_SUDOKU_DATA, "format": "arm81", "order": order, "n_eval": 100},
                       batch_size=64, max_steps=30000, log_every=100, eval_every=5000, ckpt_every=1000,
                       keep_checkpoints=2, ema=0.999,
                       optim=OptimConfig(lr=1.5e-3, warmup_steps=300, min_lr_ratio=0.0, grad_clip=1.0))


_ARM_SMALL = ModelConfig(vocab_size=1, max_len=1, n_layers=4, d_model=256, n_heads=8, causal=True)
_ARM_SHAH = ModelConfig(vocab_size=1, max_len=1, n_layers=8, d_model=576, n_heads=8, d_mlp=3456, dropout=0.2,
                        causal=True)
_ARM_GPU = dict(batch_size=256, max_steps=8000, optim=_OPT_TOY, log_every=100, ckpt_every=2000,
                keep_checkpoints=1, ema=0.999, mixed_precision="bf16")
_ARM_PAPER = dict(batch_size=64, max_steps=2 ** 22, log_every=1000, ckpt_every=32768, eval_every=32768,
                  optim=OptimConfig(lr=2e-4, weight_decay=0.005, warmup_steps=157, min_lr_ratio=0.2),
                  mixed_precision="bf16")

CONFIGS.update({
    # The shipped MDM (anyorder/assets/checkpoints/sudoku-mdm): 6 layers x 256, row/column/box position tables
    # instead of 81 learned positions, the paper's vanilla linear-schedule ELBO, batch 512, EMA. Trained by
    # the GPU run in docs/training.md on one H200 (SIGINT after a wall-clock budget; the schedule targets 20k steps).
    "sudoku-mdm-gpu": _sudoku_mdm(
        "sudoku-mdm-gpu", ModelConfig(vocab_size=1, max_len=1, n_layers=6, d_model=256, n_heads=8),
        task_options={**_SUDOKU_DATA, "n_eval": 200}, mdm=MDMConfig(sampling="continuous"),
        optim=OptimConfig(lr=1.5e-3, warmup_steps=300, min_lr_ratio=0.1, grad_clip=1.0), batch_size=512,
        max_steps=20000, log_every=100, ckpt_every=2000, keep_checkpoints=1, ema=0.999, mixed_precision="bf16"),
    # The CPU recipe chosen by the learning-curve study (benchmarks/sudoku_curves.py, docs/training.md): 0.8M
    # parameters (4 x 128) with structured row/col/box positions (leaves the log(9) plateau within minutes), the
    # paper's ELBO (the uniform-|M| and Ye et al. losses tie with it per sample), eager mode (torch.compile gives
    # this model no speed on CPU: docs/benchmarks.md), and a cosine schedule that reaches 0 when the wall-clock
    # budget max_seconds (one hour; raise it to train longer) is spent.
    "sudoku-mdm-cpu": _sudoku_mdm(
        "sudoku-mdm-cpu", ModelConfig(vocab_size=1, max_len=1, n_layers=4, d_model=128, n_heads=4),
        task_options={**_SUDOKU_DATA, "n_eval": 100}, mdm=MDMConfig(sampling="continuous"),
        optim=OptimConfig(lr=2e-3, warmup_steps=200, min_lr_ratio=0.0, grad_clip=1.0), batch_size=64,
        max_steps=1_000_000, max_seconds=3600, log_every=50, eval_every=5000, ckpt_every=500,
        keep_checkpoints=2, ema=0.999),
    # The paper's setup (App. D.2, Ye et al. codebase): 6M GPT-2 (3 x 384, 12 heads, learned absolute positions,
    # dropout 0.1), 164-token prompt/response layout, lr 1e-3, batch 128, 300 epochs of 1.8M puzzles, and the
    # codebase's loss (T=20 discrete steps, 'linear' time weight, focal token weight 0.25/1). For GPUs:
    #   accelerate launch --config_file configs/accelerate/ddp.yaml -m anyorder train sudoku-mdm-paper
    "sudoku-mdm-paper": _sudoku_mdm(
        "sudoku-mdm-paper", ModelConfig(vocab_size=1, max_len=1, n_layers=3, d_model=384, n_heads=12,
                                        dropout=0.1, tie_embeddings=True),
        task_options={**_SUDOKU_DATA, "layout": "prompt164", "position_ids": "learned", "n_eval": 200},
        mdm=MDMConfig(sampling="discrete", n_discrete_steps=20, time_weight="linear", token_weight="focal",
                      normalize="token"),
        optim=OptimConfig(lr=1e-3, warmup_steps=0, min_lr_ratio=0.0, grad_clip=1.0), batch_size=128,
        max_steps=4_218_750, log_every=1000, eval_every=50000, ckpt_every=10000, mixed_precision="bf16"),
    # The same model with the paper's vanilla ELBO (Sec. 2.4) instead of the codebase's reweightings.
    "sudoku-mdm-paper-elbo": _sudoku_mdm(
        "sudoku-mdm-paper-elbo", ModelConfig(vocab_size=1, max_len=1, n_layers=3, d_model=384, n_heads=12,
                                             dropout=0.1, tie_embeddings=True),
        task_options={**_SUDOKU_DATA, "layout": "prompt164", "position_ids": "learned", "n_eval": 200},
        mdm=MDMConfig(sampling="continuous"),
        optim=OptimConfig(lr=1e-3, warmup_steps=0, min_lr_ratio=0.0, grad_clip=1.0), batch_size=128,
        max_steps=4_218_750, log_every=1000, eval_every=50000, ckpt_every=10000, mixed_precision="bf16"),
    # The shipped ARMs: 4 x 256 causal, learned positions, Shah et al. triples (243 tokens), trained side by
    # side with the shipped MDM on the same GPU for the same wall-clock time (docs/training.md).
    "sudoku-arm-solver-gpu": _sudoku_arm("sudoku-arm-solver-gpu", "solver", _ARM_SMALL, **_ARM_GPU),
    "sudoku-arm-fixed-gpu": _sudoku_arm("sudoku-arm-fixed-gpu", "fixed", _ARM_SMALL, **_ARM_GPU),
    # Shah et al.'s 42M ARM (8 x 576, 8 heads, MLP 3456, dropout 0.2; lr 2e-4, batch 64, 2^22 steps).
    "sudoku-arm-solver-paper": _sudoku_arm("sudoku-arm-solver-paper", "solver", _ARM_SHAH, **_ARM_PAPER),
    "sudoku-arm-fixed-paper": _sudoku_arm("sudoku-arm-fixed-paper", "fixed", _ARM_SHAH, **_ARM_PAPER),
    # A CPU-sized ARM (4 x 128).
    "sudoku-arm-solver-cpu": _sudoku_arm(
        "sudoku-arm-solver-cpu", "solver", ModelConfig(vocab_size=1, max_len=1, n_layers=4, d_model=128,
                                                      n_heads=4, causal=True),
        batch_size=32, max_steps=100000, optim=OptimConfig(lr=1e-3, warmup_steps=200), ckpt_every=1000),
    # CPU ARMs in the arm81 format (one (cell, value) token per cell, 82 tokens instead of 243; same sequence
    # distributions as the triples, docs/data-format.md): 4 x 128 causal, batch 64, cosine to 0 within max_steps
    # (set max_steps to the CPU budget: the schedule decays over it). Learned positions (model.positions=none: try).
    "sudoku-arm-solver-cpu81": _sudoku_arm81("sudoku-arm-solver-cpu81", "solver"),
    "sudoku-arm-fixed-cpu81": _sudoku_arm81("sudoku-arm-fixed-cpu81", "fixed"),
})



# ------------------------------------------------------------------------------------------------ Zebra
# Zebra puzzles (paper Sec. 4.7, Table 3; docs/zebra.md). Data: `anyorder data zebra data/zebra` (3-6 x 3-6) or
# `anyorder data zebra data/zebra_small --sizes 3-4x3-4` for the CPU presets.
_ZEBRA_SMALL = {"train_path": "data/zebra_small/train.jsonl", "sizes": "3-4x3-4"}
_ZEBRA_FULL = {"train_path": "data/zebra/train.jsonl", "sizes": "3-6x3-6"}


def _zebra_arm(name: str, order: str, model: ModelConfig, options: dict, **fields) -> TrainConfig:
    return TrainConfig(name=name, task="zebra-arm", objective="ar", model=model,
                       task_options={**options, "order": order}, **fields)


_ZEBRA_ARM_CPU = dict(batch_size=32, max_steps=30000, log_every=50, eval_every=5000, ckpt_every=500,
                      keep_checkpoints=2, ema=0.999, optim=OptimConfig(lr=1e-3, warmup_steps=200, min_lr_ratio=0.1,
                                                                      grad_clip=1.0))
# The recipe that leaves the permutation-only plateau on CPU (docs/zebra.md, 2026-11-30): house answer layout,
# factored operand embeddings, clue pooling, fan-in init and a direct-clue curriculum (rate 1 -> 0).
_ZEBRA_MDM_RECIPE = {"answer_layout": "house", "entity_embedding": "factored", "clue_pooling": True,
                     "direct_clue_rate": 1.0}
CONFIGS.update({
    # CPU: 3-4 houses x 3-4 attributes (<= 20 clues, 96 tokens), 0.8M parameters (4 x 128) with the slot /
    # clue / attribute / house tables, batch 32; sized for one CPU core (checkpoints every 500 steps, resumable).
    "zebra-mdm-cpu": TrainConfig(
        name="zebra-mdm-cpu", task="zebra", objective="mdm",
        model=ModelConfig(vocab_size=1, max_len=1, n_layers=4, d_model=128, n_heads=4, init="fanin"),
        task_options={**_ZEBRA_SMALL, **_ZEBRA_MDM_RECIPE, "direct_clue_decay": 4000, "max_clues": 20,
                      "n_eval": 100},
        mdm=MDMConfig(sampling="continuous"),
        optim=OptimConfig(lr=2e-3, warmup_steps=200, min_lr_ratio=0.1, grad_clip=1.0), batch_size=32,
        max_steps=6000, log_every=20, eval_every=1000, ckpt_every=500, keep_checkpoints=2, ema=0.999),
    # The paper's sizes (3-6 x 3-6, <= 48 clues, 228 tokens) and a 19M bidirectional model (6 x 512, 8 heads):
    # lr 1e-3, batch 128 as for Sudoku (paper Sec. 4.7 / App. D.2; the exact Zebra MDM config is not given).
    "zebra-mdm-gpu": TrainConfig(
        name="zebra-mdm-gpu", task="zebra", objective="mdm",
        model=ModelConfig(vocab_size=1, max_len=1, n_layers=6, d_model=512, n_heads=8, init="fanin"),
        task_options={**_ZEBRA_FULL, **_ZEBRA_MDM_RECIPE, "direct_clue_decay": 2000, "max_clues": 48, "n_eval": 500},
        mdm=MDMConfig(sampling="continuous"),
        optim=OptimConfig(lr=1e-3, warmup_steps=500, min_lr_ratio=0.1, grad_clip=1.0), batch_size=128,
        max_steps=200000, log_every=100, eval_every=10000, ckpt_every=2000, keep_checkpoints=2, ema=0.999,
        mixed_precision="bf16"),
    # Shah et al.'s 42M ARMs on their token format (600 tokens), solver order vs fixed (attribute-major) order.
    "zebra-arm-solver-paper": _zebra_arm("zebra-arm-solver-paper", "solver", _ARM_SHAH,
                                         {**_ZEBRA_FULL, "max_len": 600, "n_eval": 500}, **_ARM_PAPER),
    "zebra-arm-fixed-paper": _zebra_arm("zebra-arm-fixed-paper", "fixed", _ARM_SHAH,
                                        {**_ZEBRA_FULL, "max_len": 600, "n_eval": 500}, **_ARM_PAPER),
    # CPU ARMs (4 x 128 causal) on the CPU sizes, Shah's token format cut to 256 tokens.
    "zebra-arm-solver-cpu": _zebra_arm("zebra-arm-solver-cpu", "solver", ModelConfig(
        vocab_size=1, max_len=1, n_layers=4, d_model=128, n_heads=4, causal=True),
        {**_ZEBRA_SMALL, "max_len": 256, "n_eval": 100}, **_ZEBRA_ARM_CPU),
    "zebra-arm-fixed-cpu": _zebra_arm("zebra-arm-fixed-cpu", "fixed", ModelConfig(
        vocab_size=1, max_len=1, n_layers=4, d_model=128, n_heads=4, causal=True),
        {**_ZEBRA_SMALL, "max_len": 256, "n_eval": 100}, **_ZEBRA_ARM_CPU),
})

# ------------------------------------------------------------------------------------------------ L&O
# L&O-NAE-SAT (paper Sec. 4.3-4.4, Table 1, Figure 2 bottom right). Model sizes:
# - cpu: a small bidirectional transformer (2 layers, width 64, fan-in init), no padding (L = N + P); the Table 1
#   experiment scales (N, P) to L = 120 on CPU (same proportions, table1.scale_pairs); cpu-4x64: the same, 4 layers;
# - paper: SMDM 19M with RoPE (8 layers, d 384, 6 heads, SwiGLU 1536, RMSNorm, no bias), sequences padded
#   with the value 2 to 512 (paper App. C.2.1), AdamW (0.9, 0.95), weight decay 0.1, cosine lr 4e-4 -> 4e-5.
# ``lo_train_config`` builds one distribution's config (used by the L&O experiments); presets lo-nae-cpu, lo-nae-19m.

_LO_CPU_LAYERS = {"cpu": 2, "cpu-4x64": 4}  # CPU model sizes: layers of the width-64 transformer
LO_MODEL_CONFIGS = (*_LO_CPU_LAYERS, "paper")


def lo_model(config: str) -> ModelConfig:
    """Model of a named size; vocab_size/max_len are placeholders that the task overrides."""
    if config in _LO_CPU_LAYERS:  # fan-in init: with GPT-2's 0.02 this width never leaves the trivial loss
        return ModelConfig(vocab_size=4, max_len=300, n_layers=_LO_CPU_LAYERS[config], d_model=64, n_heads=4,
                           mlp="gelu", norm="layernorm", positions="learned", init="fanin")
    if config == "paper":
        return paper_config("smdm-19m", vocab_size=4, max_len=512)
    raise ConfigError(f"unknown L&O model config {config!r}; valid: {list(LO_MODEL_CONFIGS)}")


def lo_task_options(n: int, p: int, config: str, dist_seed: int = 0, kind: str = "nae_sat", eta: float = 0.0) -> dict:
    """L&O options (default NAE-SAT): identity permutation, distinct random tuples fixed by ``dist_seed``."""
    return {"kind": kind, "N": n, "P": p, "dist_seed": dist_seed, "eta": eta,
            "pad_to": 512 if config == "paper" else None}


LO_TIME_WEIGHTS = ("elbo", "none")  # MDMConfig.time_weight choices offered by the L&O experiments


def lo_loss_tag(time_weight: str = "elbo", schedule: str = "linear") -> str:
    """Run-name suffix of a non-default L&O loss ("" for the NELBO with the linear schedule)."""
    return (f"-tw{time_weight}" if time_weight != "elbo" else "") + (f"-{schedule}" if schedule != "linear" else "")


def lo_train_config(n: int, p: int, config: str = "cpu", max_steps: int = 300, batch_size: int | None = None,
                    lr: float | None = None, seed: int = 0, dist_seed: int = 0, out_dir: str = "runs",
                    name: str | None = None, mixed_precision: str = "no", ckpt_every: int = 0,
                    kind: str = "nae_sat", eta: float = 0.0, time_weight: str = "elbo",
                    schedule: str = "linear") -> TrainConfig:
    """A TrainConfig for one L&O distribution (default NAE-SAT; fresh samples every batch). ``time_weight`` /
    ``schedule`` are MDMConfig's (default: the ELBO); other choices are named in the run name."""
    model = lo_model(config)
    if config == "paper":
        optim = OptimConfig(lr=lr or 4e-4, weight_decay=0.1, betas=(0.9, 0.95), warmup_steps=min(100, max_steps // 10),
                            min_lr_ratio=0.1)
        batch = batch_size or 256
    else:
        optim = OptimConfig(lr=lr or 3e-3, weight_decay=0.0, betas=(0.9, 0.95), warmup_steps=min(20, max_steps // 10),
                            min_lr_ratio=0.1)
        batch = batch_size or 64
    tag = "nae" if kind == "nae_sat" else kind.replace("_", "-") + (f"-eta{eta:g}" if eta else "")
    return TrainConfig(name=name or f"lo-{tag}-{config}-N{n}-P{p}{lo_loss_tag(time_weight, schedule)}", task="lo",
                       task_options=lo_task_options(n, p, config, dist_seed, kind, eta), objective="mdm", model=model,
                       mdm=MDMConfig(schedule=schedule, time_weight=time_weight), optim=optim, batch_size=batch,
                       max_steps=max_steps, seed=seed,
                       log_every=max(1, min(50, max_steps // 5)), eval_every=0, ckpt_every=ckpt_every, keep_checkpoints=2,
                       out_dir=out_dir, mixed_precision=mixed_precision)


CONFIGS.update({
    "lo-nae-cpu": lo_train_config(20, 280, "cpu", max_steps=300, name="lo-nae-cpu"),
    "lo-nae-19m": lo_train_config(20, 280, "paper", max_steps=2000, name="lo-nae-19m", mixed_precision="bf16"),
})


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


# ------------------------------------------------------------------------------------------------ text
# Text (paper Sec. 4.1, 4.2, 4.5; docs/text.md). Data: `anyorder data text` shards (default: the Debian
# Austen + King James corpus, scripts/build_text_corpus.sh; 2.1M tokens with the default 4k BPE, rows of 256).
# CPU presets: learned absolute positions (App. C.1: no RoPE, so the pi-learners have no left-to-right bias),
# RMSNorm + SwiGLU, no bias, as the SMDM family; AdamW (0.9, 0.95), weight decay 0.1, cosine to lr/10.
# Paper-scale presets: the SMDM "Diff_LLaMA" family (non-embedding sizes; layers x heads x width, SwiGLU 4x),
# L = 2048, batch 256 x 2048 tokens, lr 4e-4 -> 4e-5 (paper C.1), bf16; data from SlimPajama via datasets:
#   anyorder data text DATA --hf DKYoon/SlimPajama-6B --hf-streaming --seq-len 2048 --vocab-size 32000
#   accelerate launch --config_file configs/accelerate/ddp.yaml -m anyorder train text-mdm-smdm-170m \
#     task_options.data=DATA
# Cost: training FLOPs = (6 N + 6 n_layers L d) x tokens (objectives/flops.py); 170M at L=2048 is 1.19e9
# FLOPs/token, so the SMDM "100e18" budget is 8.4e10 tokens = 160k steps of 524k tokens, about 70 H100-hours
# at 400 TFLOP/s sustained (not run here).
SMDM_FAMILY: dict[str, tuple[int, int, int]] = {  # name: (n_layers, n_heads, d_model); d_mlp = 4 d_model
    "6m": (6, 4, 256), "19m": (8, 6, 384), "34m": (8, 8, 512), "48m": (9, 9, 576), "66m": (10, 10, 640),
    "85m": (13, 10, 640), "113m": (12, 12, 768), "142m": (15, 12, 768), "170m": (18, 12, 768),
}


def text_model(n_layers: int, d_model: int, n_heads: int, causal: bool = False,
               positions: str = "learned") -> ModelConfig:
    """An SMDM-style block stack, learned absolute positions by default as the paper's Sec. 4.1 (vocab_size /
    max_len set by the task)."""
    return ModelConfig(vocab_size=1, max_len=1, n_layers=n_layers, d_model=d_model, n_heads=n_heads, mlp="swiglu",
                       norm="rmsnorm", positions=positions, bias=False, causal=causal)


def text_train_config(name: str, model: ModelConfig, arm: bool, task_options: dict | None = None,
                      batch_size: int = 32, max_steps: int = 20000, lr: float = 1e-3, warmup_steps: int = 200,
                      **fields) -> TrainConfig:
    """A text MDM (task ``text``) or ARM / pi-learner (task ``text-pi``, ``task_options.family``) config."""
    optim = OptimConfig(lr=lr, weight_decay=0.1, betas=(0.9, 0.95), warmup_steps=warmup_steps, min_lr_ratio=0.1)
    defaults = dict(log_every=50, eval_every=500, ckpt_every=500, keep_checkpoints=2)
    return TrainConfig(name=name, task="text-pi" if arm else "text", objective="ar" if arm else "mdm",
                       task_options=dict(task_options or {}), model=model, mdm=MDMConfig(), ar=ARConfig(),
                       optim=optim, batch_size=batch_size, max_steps=max_steps, **{**defaults, **fields})


def _smdm(size: str, arm: bool) -> TrainConfig:
    n_layers, n_heads, d_model = SMDM_FAMILY[size]
    kind = "arm" if arm else "mdm"
    return text_train_config(f"text-{kind}-smdm-{size}", text_model(n_layers, d_model, n_heads, causal=arm), arm,
                             {"seq_len": 2048, "n_eval": 1024, "eval_samples": 1}, batch_size=256,
                             max_steps=160_000, lr=4e-4, warmup_steps=1000, eval_every=5000, ckpt_every=2000,
                             mixed_precision="bf16")


_TEXT_CPU = {"seq_len": 128, "n_eval": 64}
# One core trains the 4 x 128 models at about 1 step/s (batch 32 x 128 tokens, 2.7e10 FLOPs per step, measured
# 2026-11-30), so 5,000 steps (20.5M tokens, about 10 passes over the 2.1M-token default corpus) take about 1.5
# CPU-hours; checkpoints every 250 steps so a run survives a session's end and resumes exactly.
_TEXT_CPU_RUN = dict(max_steps=5000, eval_every=250, ckpt_every=250, keep_checkpoints=4)
CONFIGS.update({
    # CPU text MDM (1.0M non-embedding, 2.1M total with the default 4k vocabulary): the model of the order-NLL
    # table and the GenPPL figure at CPU scale.
    # RoPE, not learned positions: with learned absolute positions the MDM sat at the unigram loss (masked-token CE
    # 6.30 with 95% of the window visible after 2,000 steps; 2 x 64 L = 32: 6.45 after 2,000 steps vs 5.76 with
    # RoPE; docs/LOG.md 2026-11-30). The IsoFLOP grid keeps learned positions for every family, as the paper.
    "text-mdm-cpu": text_train_config("text-mdm-cpu", text_model(4, 128, 4, positions="rope"),
                                      False, _TEXT_CPU, **_TEXT_CPU_RUN),
    # The ARM of the same size on the same windows (a pi-learner with task_options.family=closer|uniform|...).
    "text-arm-cpu": text_train_config("text-arm-cpu", text_model(4, 128, 4, causal=True), True, _TEXT_CPU,
                                      **_TEXT_CPU_RUN),
    # The GenPPL judge (stand-in for LLaMA-2-7B at CPU scale): a larger ARM (6 x 192) on the same corpus.
    "text-arm-judge-cpu": text_train_config("text-arm-judge-cpu", text_model(6, 192, 6, causal=True), True,
                                            _TEXT_CPU, lr=7e-4, **_TEXT_CPU_RUN),
    # Minutes-scale pair on windows of 32 tokens (2 x 64 MDM, 3 x 96 judge ARM): a first look at the order NLL
    # and GenPPL on a shared CPU before the text-mdm-cpu run finishes.
    "text-mdm-mini": text_train_config("text-mdm-mini", text_model(2, 64, 4, positions="rope"),
                                       False, {"seq_len": 32, "n_eval": 64},
                                       max_steps=3000, lr=2e-3, warmup_steps=100),
    "text-arm-judge-mini": text_train_config("text-arm-judge-mini", text_model(3, 96, 4, causal=True), True,
                                             {"seq_len": 32, "n_eval": 64}, max_steps=3000, lr=2e-3,
                                             warmup_steps=100),
    **{f"text-mdm-smdm-{s}": _smdm(s, False) for s in SMDM_FAMILY},
    **{f"text-arm-smdm-{s}": _smdm(s, True) for s in SMDM_FAMILY},
})
