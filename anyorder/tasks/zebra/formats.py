"""Zebra puzzle formats: Shah et al.'s clue tokens, their ARM training line, and our JSON-lines form.

Clue tokens (one puzzle a line): ``TYPE LHS op... RHS op... CLUE_END`` per clue, an operand being ``c A V``
(the house whose attribute A has value V) or ``n 0 H`` (house H), e.g.
``immediate-left LHS n 0 2 RHS c 1 2 CLUE_END``. ``ends`` has an empty RHS.
ARM line: the clue tokens, ``ANSWER``, then one ``A H V`` triple per attribute cell (attribute A's value at
house H is V; A counts categorical attributes from 0, as in ``c A V``) in solver order (or fixed order:
attribute-major, house-minor), padded with ``EXTRA`` to the model length when encoded.
JSON lines: {"n": houses, "m": attributes, "clues": [{"type", "lhs": [["c", A, V]], "rhs": [...]}, ...],
"answer": (m + 1) x n table (row 0 = houses), "order": [[A, H, V, step, rule], ...]} where rule is "single" or
the index of the clue that decided the fill (solver.py); "answer" and "order" are optional on input.
Sizes of a token line without ANSWER are inferred from the largest indices it uses (at least 3 x 3) unless given.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from anyorder.errors import InputError
from anyorder.tasks.zebra.puzzle import CLUE_TYPES, Clue, Puzzle, make_entity
from anyorder.tasks.zebra.solver import SINGLE, SolveResult

LHS, RHS, CLUE_END, ANSWER, EXTRA = "LHS", "RHS", "CLUE_END", "ANSWER", "EXTRA"


def _op_tokens(e) -> list[str]:
    return [e[0], str(e[1]), str(e[2])]


def clue_tokens(clue: Clue) -> list[str]:
    out = [clue.kind, LHS]
    for e in clue.lhs:
        out += _op_tokens(e)
    out.append(RHS)
    for e in clue.rhs:
        out += _op_tokens(e)
    return out + [CLUE_END]


def puzzle_tokens(puzzle: Puzzle) -> list[str]:
    """The clue tokens of a puzzle."""
    return [t for c in puzzle.clues for t in clue_tokens(c)]


def answer_triples(puzzle: Puzzle, order: np.ndarray | None = None) -> list[tuple[int, int, int]]:
    """(attribute, house, value) of every attribute cell: in ``order`` ((k, >=3) rows row/house/value, e.g.
    ``SolveResult.fills``) when given, else attribute-major (the fixed order)."""
    a = puzzle.answer
    if a is None:
        raise InputError("the puzzle has no answer table")
    if order is None:
        return [(r - 1, h, int(a[r, h])) for r in range(1, puzzle.m + 1) for h in range(puzzle.n)]
    return [(int(r) - 1, int(h), int(v)) for r, h, v in np.asarray(order)[:, :3]]


def arm_line(puzzle: Puzzle, order: np.ndarray | None = None) -> str:
    """Shah et al.'s ARM training line: clue tokens, ANSWER, then the answer triples (solver order if ``order``)."""
    trip = [str(x) for t in answer_triples(puzzle, order) for x in t]
    return " ".join(puzzle_tokens(puzzle) + [ANSWER] + trip)


def write_tokens(puzzle: Puzzle) -> str:
    return " ".join(puzzle_tokens(puzzle))


def _int(tok: str, what: str) -> int:
    try:
        return int(tok)
    except ValueError:
        raise InputError(f"expected {what} (an integer), got {tok!r}") from None


def parse_tokens(text: str, n: int | None = None, m: int | None = None) -> Puzzle:
    """A puzzle from clue tokens (optionally followed by ANSWER and triples; EXTRA padding is ignored)."""
    toks = [t for t in text.split() if t != EXTRA]
    clues: list[Clue] = []
    i = 0
    triples = None
    while i < len(toks):
        t = toks[i]
        if t == ANSWER:
            rest = toks[i + 1:]
            if len(rest) % 3:
                raise InputError(f"ANSWER must be followed by (attribute, house, value) triples; got {len(rest)} "
                                 "tokens")
            triples = [tuple(_int(x, "a triple entry") for x in rest[k:k + 3]) for k in range(0, len(rest), 3)]
            break
        if t not in CLUE_TYPES:
            raise InputError(f"unknown clue type {t!r} at token {i + 1}; valid: {list(CLUE_TYPES)}")
        if i + 1 >= len(toks) or toks[i + 1] != LHS:
            raise InputError(f"clue {t!r} at token {i + 1}: expected LHS after the clue type")
        sides: dict[str, list] = {LHS: [], RHS: []}
        side, j = LHS, i + 2
        while True:
            if j >= len(toks):
                raise InputError(f"clue {t!r} at token {i + 1} has no CLUE_END")
            if toks[j] == CLUE_END:
                break
            if toks[j] == RHS and side == LHS:
                side, j = RHS, j + 1
                continue
            if toks[j] not in ("c", "n") or j + 2 >= len(toks):
                raise InputError(f"clue {t!r} at token {i + 1}: bad operand at token {j + 1} ({toks[j]!r}); "
                                 "operands are 'c ATTR VALUE' or 'n 0 HOUSE'")
            sides[side].append(make_entity((toks[j], _int(toks[j + 1], "an attribute"),
                                            _int(toks[j + 2], "a value"))))
            j += 3
        if side != RHS:
            raise InputError(f"clue {t!r} at token {i + 1}: missing RHS")
        clues.append(Clue(t, tuple(sides[LHS]), tuple(sides[RHS])))
        i = j + 1
    answer = None
    if triples:
        tn = max(h for _, h, _ in triples) + 1
        tm = max(a for a, _, _ in triples) + 1
        if (n is not None and n != tn) or (m is not None and m != tm):
            raise InputError(f"inconsistent size: the answer triples describe {tn} houses x {tm} attributes, "
                             f"expected {n}x{m}")
        n, m = tn, tm
        if len(triples) != n * m:
            raise InputError(f"inconsistent size: {len(triples)} answer triples for {n} houses x {m} attributes")
        answer = np.full((m + 1, n), -1, np.int64)
        answer[0] = np.arange(n)
        for a, h, v in triples:
            answer[a + 1, h] = v
    if n is None or m is None:
        ops = [e for c in clues for e in c.operands]
        n = n if n is not None else max([e[2] + 1 for e in ops] + [3])
        m = m if m is not None else max([e[1] + 1 for e in ops if e[0] == "c"] + [3])
    return Puzzle(n, m, clues, answer)


def to_json(puzzle: Puzzle, result: SolveResult | None = None) -> dict:
    """The JSON-lines record of a puzzle (with its answer and, when given, the solver's fill order)."""
    d = {"n": puzzle.n, "m": puzzle.m, "clues": [c.to_json() for c in puzzle.clues]}
    if puzzle.answer is not None:
        d["answer"] = puzzle.answer.tolist()
    if result is not None:
        d["order"] = [[int(r) - 1, int(h), int(v), int(s), "single" if rule == SINGLE else int(rule)]
                      for r, h, v, s, rule in result.fills.tolist()]
    return d


def from_json(d: dict) -> tuple[Puzzle, np.ndarray | None]:
    """(puzzle, fill order (k, 5) int64 rows (row, house, value, step, rule) or None) from a JSON record."""
    if not isinstance(d, dict):
        raise InputError(f"a JSON puzzle must be an object, got {type(d).__name__}")
    for key in ("n", "m", "clues"):
        if key not in d:
            raise InputError(f"JSON puzzle lacks {key!r} (keys: n, m, clues, answer, order)")
    clues = []
    for k, c in enumerate(d["clues"]):
        if not isinstance(c, dict) or "type" not in c or "lhs" not in c:
            raise InputError(f"clue {k}: expected {{'type', 'lhs', 'rhs'}}, got {c!r}")
        clues.append(Clue(str(c["type"]), tuple(make_entity(e) for e in c["lhs"]),
                          tuple(make_entity(e) for e in c.get("rhs", []))))
    puzzle = Puzzle(int(d["n"]), int(d["m"]), clues, d.get("answer"))
    order = None
    if d.get("order") is not None:
        try:
            order = np.array([[a + 1, h, v, s, SINGLE if rule == "single" else int(rule)]
                              for a, h, v, s, rule in d["order"]], np.int64).reshape(-1, 5)
        except (TypeError, ValueError):
            raise InputError("'order' must be a list of [attribute, house, value, step, rule]") from None
    return puzzle, order


def parse_line(line: str, n: int | None = None, m: int | None = None) -> tuple[Puzzle, np.ndarray | None]:
    """One line of either format (a line starting with '{' is JSON)."""
    s = line.strip()
    if s.startswith("{"):
        try:
            d = json.loads(s)
        except json.JSONDecodeError as e:
            raise InputError(f"invalid JSON: {e.msg} (column {e.colno})") from None
        return from_json(d)
    return parse_tokens(s, n, m), None


def read_lines(lines: Iterable[str], source: str = "<input>", n: int | None = None,
               m: int | None = None) -> list[tuple[Puzzle, np.ndarray | None]]:
    """Puzzles from lines of either format (blank lines and '#' comments skipped); errors name the line."""
    out = []
    for k, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            out.append(parse_line(line, n, m))
        except InputError as e:
            raise InputError(f"{source}, line {k}: {e}") from None
    return out


def read_file(path: str | Path, n: int | None = None, m: int | None = None) -> list[tuple[Puzzle, np.ndarray | None]]:
    """Puzzles of a file in either format."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"Zebra puzzle file {p} does not exist")
    with p.open() as f:
        return read_lines(f, str(p), n, m)


def write_jsonl(path: str | Path, items: Iterable[tuple[Puzzle, SolveResult | None]]) -> int:
    """Write puzzles as JSON lines (atomically: a temporary file, then rename); returns the count."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    k = 0
    with tmp.open("w") as f:
        for puzzle, res in items:
            f.write(json.dumps(to_json(puzzle, res), separators=(",", ":")) + "\n")
            k += 1
    tmp.replace(p)
    return k
