"""Training throughput of our Sudoku MDM against a reference implementation of the paper's model.

The paper (Sec. 4.6) trains a "6M GPT-2" through Ye et al.'s codebase: HF ``GPT2LMHeadModel`` (3 layers, width 384,
12 heads, gelu_new, learned positions, dropout 0.1, tied embeddings) with the causal mask removed. We build that
reference with ``transformers`` and make it bidirectional by switching each attention module's ``is_causal`` flag
off (the counterpart of the codebase's ``attn.bias.fill_(True)``); ``check_bidirectional`` verifies at start-up that
changing the last token changes the first position's logits. Both models are trained side by side in one process,
alternating, with the same batch (default 128), the same MDM loss (``anyorder.objectives.mdm_loss``, random masks)
and AdamW. Reports samples/s and achieved FLOP/s (``anyorder.objectives.flops``; identical per-token FLOPs for
both, since the architectures match) and the ratio ours / HF.

    python benchmarks/sudoku_train_vs_hf.py --device cpu --seq-len 164 --reps 3 --steps 3 --json out.json
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from _output import write_json
from torch import nn

from anyorder.models.transformer import ModelConfig, Transformer, count_parameters, paper_config
from anyorder.objectives.flops import training_flops_per_token
from anyorder.objectives.mdm import MDMConfig, mdm_loss

MASK_ID = 2  # Ye et al. tokenizer: [PAD]=0, [SEP]=1, [MASK]=2, [EOS]=3, [UNK]=4, then characters (vocab 31)


class HFBidirectionalGPT2(nn.Module):
    """HF GPT2LMHeadModel with the paper's Sudoku config, non-causal; ``forward(tokens) -> logits`` (B, L, V)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        from transformers import GPT2Config, GPT2LMHeadModel

        hf_cfg = GPT2Config(
            vocab_size=cfg.vocab_size, n_positions=cfg.max_len, n_embd=cfg.d_model, n_layer=cfg.n_layers,
            n_head=cfg.n_heads, n_inner=cfg.d_mlp, activation_function="gelu_new", resid_pdrop=cfg.dropout,
            embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout, tie_word_embeddings=cfg.tie_embeddings,
            bos_token_id=None, eos_token_id=None, pad_token_id=None, attn_implementation="sdpa",
        )
        self.gpt2 = GPT2LMHeadModel(hf_cfg)
        for block in self.gpt2.transformer.h:
            block.attn.is_causal = False

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.gpt2(input_ids=tokens, use_cache=False).logits


def check_bidirectional(model: nn.Module, vocab_size: int, length: int) -> float:
    """Largest change of position 0's logits when only the last token changes; raises if ~0 (causal model)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(0)
    x = torch.randint(5, vocab_size, (2, length), generator=g).to(device)
    y = x.clone()
    y[:, -1] = 5 + (y[:, -1] - 4) % (vocab_size - 5)
    with torch.no_grad():
        delta = float((model(x)[:, 0].float() - model(y)[:, 0].float()).abs().max())
    model.train(was_training)
    if delta < 1e-4:
        raise RuntimeError(f"reference model is causal: first-position logits moved by only {delta:.2e}")
    return delta


def make_batch(batch_size: int, length: int, vocab_size: int, generator: torch.Generator, device) -> dict:
    """Random Sudoku-shaped batch: 164 tokens = puzzle + [SEP] + solution + [EOS] (only the solution is
    maskable); 81 tokens = a board with ~30% givens fixed."""
    x0 = torch.randint(5, vocab_size, (batch_size, length), generator=generator)
    if length == 164:
        is_fixed = torch.ones(batch_size, length, dtype=torch.bool)
        is_fixed[:, 82:163] = False
    else:
        is_fixed = torch.rand(batch_size, length, generator=generator) < 0.3
    return {"x0": x0.to(device), "is_fixed": is_fixed.to(device)}


def time_steps(model, opt, batch, steps: int, amp: bool, device: torch.device, seed: int) -> float:
    """Seconds for ``steps`` optimizer steps of the MDM loss on ``batch``."""
    g = torch.Generator(device=batch["x0"].device).manual_seed(seed)
    mdm_cfg = MDMConfig()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = mdm_loss(model, batch, mdm_cfg, MASK_ID, g)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def run(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    cfg = paper_config("gpt2-tiny-6m", max_len=args.seq_len)
    models = {"anyorder": Transformer(cfg).to(device), "hf_gpt2": HFBidirectionalGPT2(cfg).to(device)}
    delta = check_bidirectional(models["hf_gpt2"], cfg.vocab_size, args.seq_len)
    opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0) for k, m in models.items()}
    batch = make_batch(args.batch_size, args.seq_len, cfg.vocab_size, torch.Generator().manual_seed(args.seed), device)
    amp = args.mixed_precision == "bf16"
    for name, m in models.items():  # warm-up (allocator, kernels)
        m.train()
        time_steps(m, opts[name], batch, args.warmup, amp, device, args.seed)
    times: dict[str, list[float]] = {k: [] for k in models}
    for rep in range(args.reps):
        names = list(models) if rep % 2 == 0 else list(models)[::-1]  # alternate who goes first
        for name in names:
            times[name].append(time_steps(models[name], opts[name], batch, args.steps, amp, device, args.seed + rep))
    flops_per_sample = training_flops_per_token(cfg, args.seq_len) * args.seq_len
    result = {"device": str(device), "torch_threads": torch.get_num_threads(), "batch_size": args.batch_size,
              "seq_len": args.seq_len, "steps_per_rep": args.steps, "reps": args.reps,
              "mixed_precision": args.mixed_precision, "hf_first_position_delta": delta,
              "training_flops_per_sample": flops_per_sample, "models": {}}
    for name, m in models.items():
        samples_per_s = [args.steps * args.batch_size / t for t in times[name]]
        med = statistics.median(samples_per_s)
        result["models"][name] = {"parameters": sum(p.numel() for p in m.parameters()),
                                  "samples_per_s_median": med, "samples_per_s_all": samples_per_s,
                                  "flops_per_s": med * flops_per_sample}
    result["ours_over_hf"] = (result["models"]["anyorder"]["samples_per_s_median"]
                              / result["models"]["hf_gpt2"]["samples_per_s_median"])
    result["non_embedding_parameters"] = count_parameters(cfg, non_embedding=True)
    return result


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="cpu | cuda (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seq-len", type=int, default=164, choices=[81, 164], help="81-token board or 164-token format")
    p.add_argument("--steps", type=int, default=3, help="optimizer steps per timed repetition")
    p.add_argument("--reps", type=int, default=3, help="alternating repetitions per model")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps per model first")
    p.add_argument("--mixed-precision", default="no", choices=["no", "bf16"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the result to this JSON file")
    args = p.parse_args(argv)
    result = run(args)
    for name, r in result["models"].items():
        print(f"{name:9s} params={r['parameters']:,}  {r['samples_per_s_median']:9.1f} samples/s  "
              f"{r['flops_per_s'] / 1e9:8.2f} GFLOP/s")
    print(f"ours / HF = {result['ours_over_hf']:.3f}  (device {result['device']}, batch {args.batch_size}, "
          f"L={args.seq_len}, {args.reps} reps x {args.steps} steps)")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
