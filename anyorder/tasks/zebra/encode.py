"""Token encodings of Zebra puzzles for MDMs and ARMs (paper Sec. 4.7; docs/zebra.md).

Puzzles are first packed into arrays (``pack``): ``clues`` (B, K, 4) int64 rows (type, lhs, rhs1, rhs2) with
-1 for absent slots / clues, operands as entity ids (``entity_id``), ``answer`` (B, M, N) int64 values of the
attribute rows (-1 outside the puzzle's n x m), ``order`` (B, M * N) int64: fill step of each answer slot (-1
outside), ``size`` (B, 2) (n, m).

mdm (MDM, ours; the paper does not describe its Zebra sequence): K clue slots of 4 tokens (clue type, lhs, rhs1,
  rhs2; an operand is one token "n0=H" or "cA=V", [NONE] when the type has fewer operands, [PAD] for missing
  clues) then M x N answer slots (attribute-major) holding "vV" tokens, [PAD] outside the puzzle's size.
  Everything but the in-size answer slots is fixed (never masked). Structure tables (like Sudoku's row/col/box):
  slot kind (type, lhs, rhs1, rhs2, answer), clue index (K for answer slots), attribute and house (MAX_SIZE for
  clue slots).
  Answer layouts (``ANSWER_LAYOUTS``): "table" = slot (attribute A, house H) holds "vV", the value of A in house
  H; "house" = slot (attribute A, value V) holds "n0=H", the house of "cA=V" (the inverse permutation, the same
  information). In "house" the 4th structure table is the slot's value V, so the clue operand "cA=V" names a slot
  by position and the house operand "n0=H" is the very token the slot holds.
shah (ARM, Shah et al.): the clue-token line (formats.py), ANSWER, then (attribute, house, value) triples in
  solver / fixed / random order, padded with EXTRA ([MASK] of the tokenizer, never predicted); loss on triples.
"""
from __future__ import annotations

import numpy as np

from anyorder.errors import ConfigError, InputError
from anyorder.tasks.zebra.formats import ANSWER, CLUE_END, EXTRA, LHS, RHS, puzzle_tokens
from anyorder.tasks.zebra.puzzle import CLUE_TYPES, MAX_SIZE, Puzzle, entity_row
from anyorder.tokenizers.symbols import SymbolTable

S = MAX_SIZE
ENTITIES = tuple(f"n0={h}" for h in range(S)) + tuple(f"c{a}={v}" for a in range(S) for v in range(S))
MDM_TOKENIZER = SymbolTable(("[MASK]", "[PAD]", "[NONE]") + CLUE_TYPES + ENTITIES + tuple(f"v{v}" for v in range(S)),
                            mask_id=0, pad_id=1)
PAD, NONE = 1, 2
TYPE0 = 3
ENT0 = TYPE0 + len(CLUE_TYPES)
VAL0 = ENT0 + len(ENTITIES)
ARM_TOKENIZER = SymbolTable(CLUE_TYPES + (LHS, RHS, CLUE_END, "c", "n") + tuple(str(d) for d in range(S))
                            + (ANSWER, EXTRA), mask_id=len(CLUE_TYPES) + 6 + S, pad_id=len(CLUE_TYPES) + 6 + S)
ARM_DIGIT0 = len(CLUE_TYPES) + 5
ARM_ANSWER = ARM_DIGIT0 + S
ORDERS = ("solver", "fixed", "random")
ANSWER_LAYOUTS = ("table", "house")


def entity_id(e) -> int:
    """0..5 for house operands n 0 H, 6 + 6 * A + V for c A V."""
    return int(e[2]) if entity_row(e) == 0 else S + S * int(e[1]) + int(e[2])


def pack(items: list[tuple[Puzzle, np.ndarray | None]], max_clues: int, max_n: int = S,
         max_m: int = S) -> dict[str, np.ndarray]:
    """Arrays of a list of (puzzle, fill order or None) (module docstring) plus the Shah ARM prompt ids
    ``prompt`` (B, P) (EXTRA-padded) and their lengths ``plen`` (B,); errors name the puzzle index."""
    b = len(items)
    clues = np.full((b, max_clues, 4), -1, np.int64)
    answer = np.full((b, max_m, max_n), -1, np.int64)
    order = np.full((b, max_m * max_n), -1, np.int64)
    size = np.zeros((b, 2), np.int64)
    for i, (p, fills) in enumerate(items):
        if len(p.clues) > max_clues or p.n > max_n or p.m > max_m:
            raise InputError(f"puzzle {i} ({p.size}, {len(p.clues)} clues) exceeds the encoding's "
                             f"{max_n}x{max_m} houses x attributes / {max_clues} clues")
        size[i] = p.n, p.m
        for k, c in enumerate(p.clues):
            clues[i, k, 0] = CLUE_TYPES.index(c.kind)
            for j, e in enumerate(c.operands):
                clues[i, k, 1 + j] = entity_id(e)
        if p.answer is not None:
            answer[i, :p.m, :p.n] = p.answer[1:]
        if fills is not None and len(fills):
            f = np.asarray(fills)
            order[i, (f[:, 0] - 1) * max_n + f[:, 1]] = f[:, 3]
    prompts = [arm_prompt(p) for p, _ in items]
    plen = np.array([len(x) for x in prompts], np.int64)
    prompt = np.full((b, int(plen.max(initial=1))), ARM_TOKENIZER.pad_id, np.int64)
    for i, x in enumerate(prompts):
        prompt[i, :len(x)] = x
    return {"clues": clues, "answer": answer, "order": order, "size": size, "prompt": prompt, "plen": plen}


def mdm_tables(max_clues: int, max_n: int, max_m: int) -> tuple[tuple[int, ...], ...]:
    """Slot kind, clue index, attribute and house of each position of the mdm layout."""
    k, cells = max_clues, max_m * max_n
    kind = [j for _ in range(k) for j in range(4)] + [4] * cells
    clue = [i for i in range(k) for _ in range(4)] + [k] * cells
    attr = [S] * (4 * k) + [a for a in range(max_m) for _ in range(max_n)]
    house = [S] * (4 * k) + [h for _ in range(max_m) for h in range(max_n)]
    return tuple(kind), tuple(clue), tuple(attr), tuple(house)


def mdm_clue_groups(max_clues: int, max_n: int, max_m: int) -> tuple[int, ...]:
    """Group id of each position of the mdm layout for ``ModelConfig.pool_groups``: clue k's 4 slots -> k, answer
    slots -> -1 (not pooled)."""
    return tuple(i for i in range(max_clues) for _ in range(4)) + (-1,) * (max_n * max_m)


def mdm_token_factors(layout: str = "table") -> dict[str, tuple]:
    """Factored operand embeddings for the mdm layout (ModelConfig.token_tables / token_aliases, in the order of
    ``mdm_tables``: kind, clue, attribute, house-or-value). "table": "cA=V" also gets attribute A's row and the
    embedding of "vV"; "n0=H" gets house H's row. "house": "cA=V" gets attribute A's row and the 4th table's row
    V, i.e. exactly the structure embedding of the answer slot it names. A clue operand and the answer slot it
    names then share embedding components, so matching them needs no learned lookup (without this the CPU model
    stayed on the permutation-only loss, docs/LOG.md 2026-11-30)."""
    v = MDM_TOKENIZER.vocab_size
    attr, fourth, alias = [-1] * v, [-1] * v, [-1] * v
    if layout == "table":
        for h in range(S):
            fourth[ENT0 + h] = h
    for a in range(S):
        for val in range(S):
            t = ENT0 + S + S * a + val
            attr[t] = a
            if layout == "table":
                alias[t] = VAL0 + val
            else:
                fourth[t] = val
    return {"token_tables": ((-1,) * v, (-1,) * v, tuple(attr), tuple(fourth)), "token_aliases": tuple(alias)}


def invert_rows(perm: np.ndarray) -> np.ndarray:
    """(B, M, N) -> (B, M, N) with out[b, a, perm[b, a, i]] = i for every perm[b, a, i] >= 0, -1 elsewhere: values
    per (attribute, house) <-> houses per (attribute, value). An index claimed twice keeps the highest i (the
    scatter runs in increasing i), so a row that was not a permutation does not become one."""
    out = np.full_like(perm, -1)
    bi, ai, ii = np.nonzero(perm >= 0)
    out[bi, ai, perm[bi, ai, ii]] = ii
    return out


def encode_mdm(arrays: dict[str, np.ndarray], layout: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """mdm: x0 (B, 4K + M*N) int64 (answer slots hold the solution, ``layout`` "table" or "house") and
    is_fixed (B, L) bool."""
    c, a = arrays["clues"], arrays["answer"]
    b = c.shape[0]
    t = np.where(c[..., 0] >= 0, c[..., 0] + TYPE0, PAD)[..., None]
    ops = np.where(c[..., 1:] >= 0, c[..., 1:] + ENT0, np.where(c[..., :1] >= 0, NONE, PAD))
    clue_tok = np.concatenate([t, ops], axis=2).reshape(b, -1)
    if layout == "house":
        ans = invert_rows(a).reshape(b, -1)
        ans_tok = np.where(ans >= 0, ans + ENT0, PAD)  # "n0=H"
    else:
        ans = a.reshape(b, -1)
        ans_tok = np.where(ans >= 0, ans + VAL0, PAD)
    x0 = np.concatenate([clue_tok, ans_tok], axis=1)
    is_fixed = np.ones_like(x0, bool)
    is_fixed[:, clue_tok.shape[1]:] = ans < 0
    return x0, is_fixed


def mdm_input(arrays: dict[str, np.ndarray], layout: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """mdm decoding input: the in-size answer slots are [MASK]."""
    x0, is_fixed = encode_mdm(arrays, layout)
    return np.where(is_fixed, x0, MDM_TOKENIZER.mask_id), is_fixed


def decode_mdm(tokens: np.ndarray, max_clues: int, max_n: int, max_m: int, layout: str = "table") -> np.ndarray:
    """(B, M, N) answer values per (attribute, house) from mdm tokens (-1 where no value is decoded). "house":
    slot (A, V) holding "n0=H" puts V at (A, H); a house claimed by several values keeps the highest V, so the
    table is not a permutation and counts as wrong."""
    t = np.asarray(tokens, np.int64)[:, 4 * max_clues:]
    if layout != "house":
        v = np.where((t >= VAL0) & (t < VAL0 + S), t - VAL0, -1)
        return v.reshape(-1, max_m, max_n)
    return invert_rows(np.where((t >= ENT0) & (t < ENT0 + min(S, max_n)), t - ENT0, -1).reshape(-1, max_m, max_n))


def cell_ranks(arrays: dict[str, np.ndarray], mode: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """(B, M*N) answer slots sorted in ``mode`` order (solver: fill step, ties attribute-major; fixed:
    attribute-major; random); slots outside the size come last."""
    order = arrays["order"]
    b, cells = order.shape
    inside = arrays["answer"].reshape(b, -1) >= 0
    base = np.broadcast_to(np.arange(cells, dtype=np.float64), (b, cells))
    if mode == "fixed":
        rank = base.copy()
    elif mode == "solver":
        if ((order < 0) & inside).any():
            raise InputError("order='solver' needs the solver's fill order of every puzzle")
        rank = order * cells + base
    elif mode == "random":
        if rng is None:
            raise ConfigError("order='random' needs a numpy Generator")
        rank = rng.random((b, cells))
    else:
        raise ConfigError(f"unknown Zebra ARM order {mode!r}; valid: {list(ORDERS)}")
    rank = np.where(inside, rank, np.inf)
    return np.argsort(rank, axis=1, kind="stable")


def arm_prompt(puzzle: Puzzle) -> list[int]:
    """Shah clue-token ids of a puzzle followed by ANSWER."""
    return ARM_TOKENIZER.encode(puzzle_tokens(puzzle) + [ANSWER])


def encode_arm(arrays: dict[str, np.ndarray], cells: np.ndarray, max_len: int,
               with_answer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """shah: tokens (B, max_len) int64 and loss_mask (B, max_len) (True on the answer triples). ``cells``:
    (B, M*N) answer slots in the order to write (``cell_ranks``). Without ``with_answer`` the triples are
    EXTRA (a decoding input whose prompt ends with ANSWER). Needs ``arrays["prompt"]`` / ``["plen"]`` (pack)."""
    a, prompt, plen = arrays["answer"], arrays["prompt"], arrays["plen"]
    b, max_m, max_n = a.shape
    flat = a.reshape(b, -1)
    k = (flat >= 0).sum(1)
    need = plen + 3 * k
    if (need > max_len).any():
        i = int(np.argmax(need > max_len))
        raise InputError(f"puzzle {i} needs {int(need[i])} ARM tokens, more than max_len={max_len}")
    tokens = np.full((b, max_len + 3 * max_m * max_n), ARM_TOKENIZER.pad_id, np.int64)
    p = min(prompt.shape[1], max_len)
    tokens[:, :p] = prompt[:, :p]
    values = np.take_along_axis(flat, cells, axis=1)
    trip = np.stack([cells // max_n, cells % max_n, values], axis=2).reshape(b, -1) + ARM_DIGIT0
    j = np.arange(trip.shape[1])
    keep = j[None, :] < 3 * k[:, None]
    rows, cols = np.nonzero(keep)
    pos = plen[rows] + cols
    if with_answer:
        tokens[rows, pos] = trip[rows, cols]
    loss_mask = np.zeros_like(tokens, bool)
    loss_mask[rows, pos] = True
    return tokens[:, :max_len], loss_mask[:, :max_len]


def decode_arm(tokens: np.ndarray, max_n: int, max_m: int) -> np.ndarray:
    """(B, M, N) answer values from shah tokens: triples after the first ANSWER, read until a non-digit token;
    the first triple naming a cell wins."""
    t = np.asarray(tokens, np.int64)
    out = np.full((t.shape[0], max_m, max_n), -1, np.int64)
    for i, row in enumerate(t.tolist()):
        if ARM_ANSWER not in row:
            continue
        rest = row[row.index(ARM_ANSWER) + 1:]
        for k in range(0, len(rest) - 2, 3):
            trip = [x - ARM_DIGIT0 for x in rest[k:k + 3]]
            if any(not 0 <= x < S for x in trip):
                break
            a, h, v = trip
            if a < max_m and h < max_n and out[i, a, h] < 0:
                out[i, a, h] = v
    return out
