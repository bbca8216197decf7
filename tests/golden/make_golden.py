"""Make the golden files of ``tests/golden/test_golden.py`` (run once, on the code the goldens pin down).

    python tests/golden/make_golden.py        # writes tests/golden/data/*

A tiny Sudoku MDM and a tiny causal ARM with fixed-seed random weights (scaled up so the model is confident
and the orders differ between scores) are saved as plain safetensors + ModelConfig JSON, so the goldens do not
depend on the checkpoint format or on the shipped checkpoints. Recorded: decode outputs (tokens, order, nfe)
of 20 shipped test puzzles for every score x {unmask, remask} and the other budgets/values; ARM greedy and
beam outputs; the loss trajectory of the toy task's first steps (toy-mdm and toy-ar presets).
"""
from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
N_PUZZLES = 20
SEED = 1234
TOY_STEPS = 30


def tiny_models():
    """(mdm, arm) tiny transformers with fixed-seed weights; saved once, then always loaded from disk."""
    from anyorder.models.transformer import ModelConfig, Transformer
    from anyorder.tasks.sudoku.encode import board_tables

    mdm_cfg = ModelConfig(vocab_size=10, max_len=81, n_layers=2, d_model=32, n_heads=4, positions="none",
                          position_tables=board_tables())
    arm_cfg = ModelConfig(vocab_size=11, max_len=40, n_layers=2, d_model=32, n_heads=4, causal=True)
    out = []
    for name, cfg in (("tiny_mdm", mdm_cfg), ("tiny_arm", arm_cfg)):
        torch.manual_seed(SEED)
        model = Transformer(cfg)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(4.0)  # confident, non-uniform predictions
        out.append((name, cfg, model))
    return out


def save_models() -> None:
    from anyorder.train.config import to_dict

    for name, cfg, model in tiny_models():
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, DATA / f"{name}.safetensors")
        (DATA / f"{name}.json").write_text(json.dumps(to_dict(cfg), indent=1) + "\n")


def load_model(name: str):
    from anyorder.models.transformer import ModelConfig, Transformer
    from anyorder.train.config import from_dict

    cfg = from_dict(ModelConfig, json.loads((DATA / f"{name}.json").read_text()))
    model = Transformer(cfg)
    model.load_state_dict(load_file(DATA / f"{name}.safetensors"))
    return model.eval()


def decode_plans() -> dict[str, dict]:
    """name -> Plan kwargs. Remask entries use score="log_top_prob": before issue 10 the remask decoder ignored
    ``score`` and ranked by the log-prob of the argmax value, which is exactly log_top_prob."""
    scores = ("vanilla", "top_prob", "top_prob_margin", "entropy", "log_top_prob", "log_margin")
    gumbel = dict(noise="gumbel", noise_scale=0.5, noise_anneal=True)
    plans = {}
    for s in scores:
        plans[f"unmask-{s}"] = dict(score=s, steps=50)
        plans[f"unmask-{s}-gumbel"] = dict(score=s, steps=50, **gumbel)
    plans["remask"] = dict(mode="remask", score="log_top_prob", steps=50)
    plans["remask-gumbel"] = dict(mode="remask", score="log_top_prob", steps=50, **gumbel)
    plans["remask-repredict"] = dict(mode="remask", score="log_top_prob", steps=20, remask_visible="repredict")
    plans["remask-cosine"] = dict(mode="remask", score="log_top_prob", steps=20, schedule="cosine")
    plans["binomial-vanilla-sample"] = dict(budget="binomial", score="vanilla", value="sample", steps=30)
    plans["sample-topk-topp"] = dict(value="sample", temperature=0.7, top_k=3, top_p=0.9, steps=20)
    plans["gaussian"] = dict(score="top_prob", noise="gaussian", noise_scale=0.1, steps=20)
    plans["fixed-k2"] = dict(budget="fixed", k=2, steps=81)
    plans["threshold"] = dict(budget="threshold", threshold=0.7, score="top_prob", steps=81)
    plans["factor"] = dict(budget="factor", factor=1.0, score="top_prob", steps=81)
    plans["blocks"] = dict(block_length=27, steps=30, score="top_prob")
    plans["cosine-nostop"] = dict(schedule="cosine", stop_early=False, steps=20)
    return plans


def puzzles() -> np.ndarray:
    path = DATA / "puzzles.npy"
    if not path.exists():
        from anyorder.tasks.sudoku.dataset import load

        assets = Path(__import__("anyorder").__file__).parent / "assets" / "sudoku" / "test.npz"
        np.save(path, np.asarray(load(assets).puzzles[:N_PUZZLES], np.int8))
    return np.load(path)


def run_decodes(model, puzzle_array: np.ndarray, plans: dict[str, dict]) -> dict[str, np.ndarray]:
    from anyorder.decode import Plan, decode

    tokens = torch.from_numpy(puzzle_array.astype(np.int64))  # board81: digit d is id d, [MASK] = 0
    is_fixed = tokens > 0
    seeds = torch.arange(100, 100 + len(tokens), dtype=torch.int64)
    out = {}
    with torch.no_grad():
        for name, kwargs in plans.items():
            res = decode(model, tokens, is_fixed, Plan(**kwargs), 0, seeds=seeds)
            out[f"{name}/tokens"] = res.tokens.numpy().astype(np.int8)
            out[f"{name}/order"] = res.order.numpy().astype(np.int16)
            out[f"{name}/nfe"] = res.nfe.numpy()
            out[f"{name}/calls"] = np.array(res.n_model_calls)
    return out


def run_arm(model) -> dict[str, np.ndarray]:
    from anyorder.decode.autoregressive import beam_search, greedy

    g = torch.Generator().manual_seed(SEED)
    tokens = torch.randint(0, 10, (6, 40), generator=g)
    n_prompt = torch.tensor([3, 5, 8, 8, 12, 20])
    allow = torch.arange(11) % 2 == 0  # constraint: even ids only at odd positions

    def constraint(prefix, t):
        return allow.expand(prefix.shape[0], 11) if t % 2 else torch.ones(prefix.shape[0], 11, dtype=torch.bool)

    out = {}
    for name, res in (("greedy", greedy(model, tokens, n_prompt, forbid_ids=(10,))),
                      ("greedy-constraint", greedy(model, tokens, n_prompt, constraint, forbid_ids=(10,))),
                      ("beam3", beam_search(model, tokens, n_prompt, 3, forbid_ids=(10,))),
                      ("beam3-constraint", beam_search(model, tokens, n_prompt, 3, constraint, forbid_ids=(10,)))):
        out[f"{name}/tokens"] = res.tokens.numpy()
        out[f"{name}/logprob"] = res.logprob.numpy()
        out[f"{name}/n_invalid_argmax"] = res.n_invalid_argmax.numpy()
        out[f"{name}/beams"] = res.beams.numpy()
    return out


def toy_losses(preset: str) -> list[dict]:
    """metrics.jsonl of the first TOY_STEPS steps of a toy preset (every step logged, final evaluation)."""
    from anyorder.configs import CONFIGS
    from anyorder.train.trainer import fit

    with tempfile.TemporaryDirectory() as tmp:
        cfg = dataclasses.replace(CONFIGS[preset], max_steps=TOY_STEPS, log_every=1, eval_every=0, ckpt_every=0,
                                  out_dir=tmp)
        run_dir = fit(cfg, progress=False)
        rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    drop = ("samples_per_s", "elapsed_s")  # wall-clock
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def main() -> None:
    torch.set_num_threads(1)  # as in tests/conftest.py
    DATA.mkdir(exist_ok=True)
    save_models()
    plans = decode_plans()
    (DATA / "plans.json").write_text(json.dumps(plans, indent=1) + "\n")
    p = puzzles()
    np.savez_compressed(DATA / "decode.npz", **run_decodes(load_model("tiny_mdm"), p, plans))
    np.savez_compressed(DATA / "arm.npz", **run_arm(load_model("tiny_arm")))
    losses = {preset: toy_losses(preset) for preset in ("toy-mdm", "toy-ar")}
    (DATA / "toy_losses.json").write_text(json.dumps(losses, indent=1) + "\n")
    print(f"wrote {sorted(x.name for x in DATA.iterdir())}", file=sys.stderr)


if __name__ == "__main__":
    main()
