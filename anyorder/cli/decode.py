"""``anyorder decode CHECKPOINT``: fill the [MASK] symbols of token lines with adaptive-order decoding.

Input lines (a file or stdin) use the checkpoint tokenizer's symbols: one character per token when every
symbol is one character (whitespace ignored), otherwise whitespace-separated symbols; with a BPE or Hugging Face
tokenizer a line is text in which the mask token (e.g. [MASK]) marks a position. The mask symbol marks
positions to fill; every other position is fixed. Prints one decoded line per input line (and its reveal
order with --show-order), then a summary with the NFE. Lines are decoded in batches of equal length; each
line's seed depends only on --seed and its line number, so results do not depend on --batch-size.
The decoding plan is given as KEY=VALUE (every ``Plan`` field; see --help) or with the older flags.

    anyorder decode CHECKPOINT --input masked.txt score=top_prob_margin steps=50 mode=remask
    anyorder decode TEXT_RUN --prompt "It is a truth" --length 64 --show steps=32 value=sample   # text

With ``--prompt`` (text checkpoints) the prompt's tokens are fixed and [MASK] tokens follow up to ``--length``;
``--show`` prints, step by step, the positions and tokens the plan revealed (the decode order), then the sample.
"""
from __future__ import annotations

import argparse
import sys

import torch

from anyorder.cli.plan_args import add_plan_arguments, plan_from_args
from anyorder.decode import Plan, decode
from anyorder.decode.rng import row_seeds
from anyorder.errors import InputError
from anyorder.io import atomic_write, decode_text, read_text
from anyorder.train.checkpoint import load


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("decode", help="fill masked token lines with a checkpoint", description=__doc__)
    p.add_argument("checkpoint", help="checkpoint or run directory")
    p.add_argument("--input", default="-", help="UTF-8 text, one masked sequence per line in the checkpoint "
                   "tokenizer's symbols (see above); '-' for stdin (default)")
    p.add_argument("--output", default=None, help="write decoded lines here (atomically) instead of stdout")
    p.add_argument("--seed", type=int, default=0, help="base seed; line i uses a seed derived from it and i")
    p.add_argument("--batch-size", type=int, default=256, help="lines decoded together (default: %(default)s)")
    p.add_argument("--show-order", action="store_true", help="also print the step at which each token appeared")
    p.add_argument("--prompt", default=None, help="text checkpoints: a prompt string (instead of --input); the "
                   "sample continues it with [MASK] tokens up to --length")
    p.add_argument("--length", type=int, default=None, help="with --prompt: total tokens (default: model max_len)")
    p.add_argument("--show", action="store_true", help="print the reveal order step by step (which tokens the "
                   "planner fills first), then the sample")
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


def parse_lines(lines: list[str], tokenizer, max_len: int, exact: bool = False) -> list[list[int]]:
    """Token ids per non-empty line; errors name the 1-based line number (InputError). With ``exact`` every
    line must have exactly ``max_len`` tokens (a task with a fixed layout, ``fixed_length``)."""
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
        if exact and len(ids) != max_len:
            raise InputError(f"line {number}: {len(ids)} tokens, but this checkpoint's task needs exactly "
                             f"{max_len} per line")
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
    text = None
    if args.prompt is None:
        text = _read_stdin() if args.input == "-" else read_text(args.input)
    loaded = load(args.checkpoint)  # after the cheap checks: a bad input never waits for the model
    tok = loaded.tokenizer
    max_len = int(loaded.config["model"].get("max_len") or loaded.model.max_len)
    if args.prompt is not None:
        rows = [prompt_row(args.prompt, tok, args.length or max_len, max_len)]
    else:
        rows = parse_lines(text.splitlines(), tok, max_len, fixed_length(loaded.config))
    results, calls = decode_rows(loaded.model, rows, tok.mask_id, plan, args.seed, args.batch_size)
    lines = []
    for ids, order, _ in results:
        if args.show:
            lines.extend(reveal_steps(ids, order, tok))
        lines.append(format_row(ids, tok))
        if args.show_order:
            lines.append(" ".join("." if o < 0 else str(o) for o in order))
    body = "\n".join(lines) + "\n"
    if args.output:
        atomic_write(args.output, body)
    else:
        sys.stdout.write(body)
    nfe = [r[2] for r in results]
    print(f"# {len(rows)} lines, NFE mean {sum(nfe) / len(nfe):.2f} max {max(nfe)}, model calls {calls}",
          file=sys.stdout if args.output else sys.stderr)
    return 0


def prompt_row(prompt: str, tokenizer, length: int, max_len: int) -> list[int]:
    """The prompt's tokens followed by [MASK] up to ``length`` tokens (InputError if it does not fit)."""
    if tokenizer.kind == "symbols":
        raise InputError("--prompt needs a text checkpoint (BPE or Hugging Face tokenizer); use --input")
    ids = tokenizer.encode(prompt) if prompt else []
    if not 1 <= length <= max_len or len(ids) >= length:
        raise InputError(f"--length must be in [1, max_len={max_len}] and longer than the prompt "
                         f"({len(ids)} tokens); got {length}")
    return ids + [tokenizer.mask_id] * (length - len(ids))


def reveal_steps(ids: list[int], order: list[int], tokenizer) -> list[str]:
    """One line per decoding step: the tokens revealed at that step, left to right, with their positions."""
    by_step: dict[int, list[int]] = {}
    for pos, step in enumerate(order):
        if step >= 0:
            by_step.setdefault(step, []).append(pos)
    return [f"step {step:3d}: " + "  ".join(f"{pos}:{format_row([ids[pos]], tokenizer)!r}" for pos in by_step[step])
            for step in sorted(by_step)]


def _read_stdin() -> str:
    buffer = getattr(sys.stdin, "buffer", None)  # bytes, decoded like a file; a text stream (tests) as is
    return decode_text(buffer.read(), "<stdin>") if buffer is not None else sys.stdin.read()


def fixed_length(config: dict) -> bool:
    """True when every sequence must be exactly ``max_len`` tokens long: the model has per-position tables
    (a fixed layout such as Sudoku's rows, columns and boxes) or the task options fix a ``length``."""
    model = config.get("model") or {}
    options = (config.get("task") or {}).get("options") or {}
    max_len = model.get("max_len")
    return bool(model.get("position_tables")) or (max_len is not None and options.get("length") == max_len)
