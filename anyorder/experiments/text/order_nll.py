"""Figure 2 top-right table at CPU scale: an MDM's chain-rule NLL along orders pi (paper Sec. 4.2, 3.3).

For the trained text MDM and ``n_seq`` validation windows x0 (the disjoint L-token windows of the validation rows,
row-major; fewer when the split has fewer, with a note on stderr),
computes per token (evaluation/likelihood.py ``chain_rule_nll``)

    NLL_pi = (1 / n L) sum_x0 sum_i -log p_theta(x0^{pi(i)} | x0[pi{i..L-1}] masked)

for pi = identity, pi ~ Closer (L/10 random swaps) and pi ~ Unif(S_L), one fresh pi per sequence for the random
families. Paper (170M SMDM on SlimPajama, L = 2048): 3.171 / 3.212 / 3.245, i.e. the left-to-right order is the
easiest, the uniform one the hardest. Outputs ``order_nll.md`` / ``.csv`` / ``.png``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from anyorder.errors import InputError
from anyorder.evaluation.likelihood import chain_rule_nll
from anyorder.experiments.report import command_note, figure, reproduce_command, smoke_title, write_report
from anyorder.objectives.permutations import make_permutation
from anyorder.tasks.text.shards import TextShards
from anyorder.tasks.text.task import default_data_dir, validation_windows
from anyorder.train.checkpoint import load
from anyorder.train.config import is_mdm_checkpoint

FAMILIES = ("identity", "closer", "uniform")
SHIPPED_MDM = Path(__file__).resolve().parents[2] / "assets" / "checkpoints" / "text-mdm"
PAPER = {"identity": 3.171, "closer": 3.212, "uniform": 3.245}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=str(SHIPPED_MDM),
                   help="text MDM checkpoint or run directory (default: the shipped text MDM)")
    p.add_argument("--data", default=None,
                   help="shard directory (default: the checkpoint's, if it exists here, else the default shards)")
    p.add_argument("--n-seq", type=int, default=1024, help="validation windows (paper: 1024)")
    p.add_argument("--families", default=",".join(FAMILIES))
    p.add_argument("--batch-size", type=int, default=256, help="masked copies per model call")
    p.add_argument("--positions-per-call", type=int, default=1, help="1 = exact chain rule (see likelihood.py)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random orders")
    p.add_argument("--smoke", action="store_true", help="16 windows: a quick end-to-end check")


def shards_of(config: dict, explicit: str | None = None) -> str:
    """The shard directory to evaluate on: ``explicit``, else the one the checkpoint was trained on if it exists
    on this machine, else the default shards (``anyorder data text``'s default output)."""
    recorded = ((config.get("task") or {}).get("options") or {}).get("data")
    if explicit:
        return explicit
    return recorded if recorded and Path(recorded).is_dir() else str(default_data_dir())


PROBE = "It is a truth universally acknowledged, the end.\n"


def same_tokenizer(a, b) -> bool:
    """Whether two tokenizers agree (vocabulary size and the ids of a probe text)."""
    return a.vocab_size == b.vocab_size and a.encode(PROBE) == b.encode(PROBE)


def open_shards(loaded, explicit: str | None = None) -> TextShards:
    """The checkpoint's evaluation shards (``shards_of``), checked to use the checkpoint's tokenizer."""
    shards = TextShards.open(shards_of(loaded.config, explicit))
    if not same_tokenizer(shards.tokenizer, loaded.tokenizer):
        raise InputError(f"the shards in {shards.directory} were encoded with another tokenizer than the "
                         "checkpoint's; build them with `anyorder data text OUT --tokenizer CHECKPOINT ...` and "
                         "pass --data OUT")
    return shards


def orders(family: str, n: int, length: int, seed: int) -> torch.Tensor:
    """(n, L): one permutation per sequence (identity repeated)."""
    return torch.stack([make_permutation(family, length, seed * 1_000_003 + i) for i in range(n)])


def run(args: argparse.Namespace) -> int:
    loaded = load(args.checkpoint)
    if not is_mdm_checkpoint(loaded.config):
        raise InputError(f"{args.checkpoint} is not an MDM checkpoint (objective {loaded.config.get('objective')!r})")
    length = int(loaded.config["model"]["max_len"])
    n = 16 if args.smoke else args.n_seq
    x0 = validation_windows(open_shards(loaded, args.data), length, n, whole_rows=True)
    if x0.shape[0] < n:
        print(f"note: the validation split has {x0.shape[0]} windows of {length} tokens; using all of them "
              f"instead of the {n} asked for", file=sys.stderr, flush=True)
    rows, per_seqs, start = [], {}, time.time()
    for family in args.families.split(","):
        res = chain_rule_nll(loaded.model, x0, orders(family, x0.shape[0], length, args.seed),
                             loaded.tokenizer.mask_id, batch_size=args.batch_size,
                             positions_per_call=args.positions_per_call, progress=True)
        per_seqs[family] = res.nll / res.n_tokens
        rows.append({"order": family, "val_nll_per_token": res.per_token, "stderr": _stderr(per_seqs[family]),
                     "paper_170m": PAPER.get(family), "n_seq": x0.shape[0], "model_calls": res.n_model_calls})
        print(rows[-1], flush=True)
    first = next(iter(per_seqs.values()))
    for row, per_seq in zip(rows, per_seqs.values()):  # paired over the same windows: the order effect's error
        row.update(minus_first=float((per_seq - first).mean()), minus_first_stderr=_stderr(per_seq - first))
    seconds = time.time() - start
    out = Path(args.out)
    title = smoke_title("Chain-rule NLL of the text MDM along orders", args.smoke, "16 windows")
    step, max_steps = loaded.config.get("step"), (loaded.config.get("train") or {}).get("max_steps")
    if step is not None and max_steps and step < max_steps:
        title += f" (INTERMEDIATE CHECKPOINT: step {step} of {max_steps})"
    command = reproduce_command("text-order-nll", [
        ("--checkpoint", args.checkpoint), ("--out", args.out), ("--smoke", args.smoke),
        ("--n-seq", None if args.smoke else args.n_seq),
        ("--positions-per-call", args.positions_per_call if args.positions_per_call != 1 else None)])
    notes = [command_note(command, [f"checkpoint step {loaded.config.get('step')}", f"L = {length}"], seconds),
             "Ours: a CPU MDM on the Austen + KJV corpus (nats / token, 4k BPE); the paper's column: a 170M MDM on "
             "SlimPajama with the LLaMA tokenizer, L = 2048 -- compare the ordering, not the values."]
    print(write_report(rows, out, "order_nll", title, notes, plot=_plot))
    return 0


def _stderr(x: torch.Tensor) -> float:
    """Standard error of the mean of a (n,) tensor."""
    return float(x.std() / max(1, x.numel()) ** 0.5) if x.numel() > 1 else float("nan")


def _plot(rows, path: Path, title: str) -> None:
    with figure(path, figsize=(4.5, 3.5)) as (_, ax):
        ax.bar([r["order"] for r in rows], [r["val_nll_per_token"] for r in rows],
               yerr=[r["stderr"] for r in rows], capsize=4)
        lo = min(r["val_nll_per_token"] for r in rows)
        ax.set_ylim(lo * 0.97, max(r["val_nll_per_token"] for r in rows) * 1.02)
        ax.set_ylabel("chain-rule NLL (nats / token)")
        ax.set_title(title, fontsize=9)
