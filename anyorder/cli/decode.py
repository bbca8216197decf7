"""``anyorder decode CHECKPOINT``: fill the [MASK] symbols of token lines with adaptive-order decoding.

Input lines (a file or stdin) use the checkpoint tokenizer's symbols: one character per token when every
symbol is one character (whitespace ignored), otherwise whitespace-separated symbols; with a BPE or Hugging Face
tokenizer a line is text in which the mask token (e.g. [MASK]) marks a position. The mask symbol marks
positions to fill; every other position is fixed. Prints one decoded line per input line (and its reveal
order with --show-order), then a summary with the NFE. Lines are decoded in batches of equal length; each
line's seed depends only on --seed and its line number, so results do not depend on --batch-size.
The decoding plan is given as KEY=VALUE (every ``Plan`` field; see --help) or with the older flags.

    anyorder decode CHECKPOINT --input masked.txt score=top_prob_margin steps=50 mode=remask
"""
from __future__ import annotations

import argparse
import sys

import torch

from anyorder.cli.plan_args import add_plan_arguments, plan_from_args
from anyorder.decode import Plan, decode
from anyorder.decode.rng import row_seeds
from anyorder.errors import InputError
from anyorder.train.checkpoint import load


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", help="fill masked token lines with a checkpoint", description=__doc__)
    p.add_argument("checkpoint", help="checkpoint or run directory")
    p.add_argument("--input", default="-", help="input file, '-' for stdin (default)")
    p.add_argument("--output", default=None, help="write decoded lines here instead of stdout")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--show-order", action="store_true", help="also print the step at which each token appeared")
    add_plan_arguments(p)
    p.set_defaults(func=run)


def _split(line: str, tokenizer) -> str | list[str]:
    """Symbol tables: one character per symbol when all are single characters (whitespace ignored), else
    whitespace-separated symbols. Other tokenizers (BPE, Hugging Face) read the line as text."""
    if tokenizer.kind != "symbols":
        return line.strip()
    return list("".join(line.split())) if _single_chars(tokenizer) else line.split()


def _single_chars(tokenizer) -> bool:
    return tokenizer.kind == "symbols" and all(len(s) == 1 for s in tokenizer.symbols)


def parse_lines(lines: list[str], tokenizer, max_len: int) -> list[list[int]]:
    """Token ids per non-empty line; errors name the 1-based line number (InputError)."""
    rows = []
    for number, line in enumerate(lines, start=1):
        items = _split(line, tokenizer)
        if not items:
            continue
        try:
            ids = tokenizer.encode(items)
        except InputError as e:
            raise InputError(f"line {number}: {e}") from e
        if len(ids) > max_len:
            raise InputError(f"line {number}: {len(ids)} tokens, more than the model's max_len {max_len}")
        rows.append(ids)
    if not rows:
        raise InputError("no input lines")
    return rows


def format_row(ids: list[int], tokenizer) -> str:
    if tokenizer.kind != "symbols":
        return tokenizer.decode(ids)
    return tokenizer.decode(ids, sep="" if _single_chars(tokenizer) else " ")


def decode_rows(model, rows: list[list[int]], mask_id: int, plan: Plan, seed: int, batch_size: int):
    """Decode rows grouped by length, in batches. Returns (tokens, orders, nfe) lists in input order, calls."""
    seeds = row_seeds(seed, len(rows))
    out: list = [None] * len(rows)
    calls = 0
    for length in sorted({len(r) for r in rows}):  # loop over lengths and batches, not rows
        index = [i for i, r in enumerate(rows) if len(r) == length]
        for start in range(0, len(index), batch_size):
            chunk = index[start:start + batch_size]
            tokens = torch.tensor([rows[i] for i in chunk], dtype=torch.int64)
            with torch.no_grad():
                res = decode(model, tokens, tokens != mask_id, plan, mask_id, seeds=seeds[chunk])
            calls += res.n_model_calls
            for j, i in enumerate(chunk):
                out[i] = (res.tokens[j].tolist(), res.order[j].tolist(), int(res.nfe[j]))
    return out, calls


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    loaded = load(args.checkpoint)
    tok = loaded.tokenizer
    text = sys.stdin.read() if args.input == "-" else _read(args.input)
    rows = parse_lines(text.splitlines(), tok, int(loaded.config["model"].get("max_len") or loaded.model.max_len))
    results, calls = decode_rows(loaded.model, rows, tok.mask_id, plan, args.seed, args.batch_size)
    lines = []
    for ids, order, _ in results:
        lines.append(format_row(ids, tok))
        if args.show_order:
            lines.append(" ".join("." if o < 0 else str(o) for o in order))
    body = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(body)
    else:
        sys.stdout.write(body)
    nfe = [r[2] for r in results]
    print(f"# {len(rows)} lines, NFE mean {sum(nfe) / len(nfe):.2f} max {max(nfe)}, model calls {calls}",
          file=sys.stdout if args.output else sys.stderr)
    return 0


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise InputError(f"cannot read input {path}: {e}") from e
