"""Zebra (Einstein) puzzles: entities, clues, puzzles and their meaning (paper Sec. 4.7; data.md "Zebra").

Conventions follow Shah et al.'s generator (google-research/zebra_puzzle_generator) so that puzzles are
interchangeable:
- ``n`` houses 0..n-1 (left to right) and ``m`` categorical attributes, each a permutation of the values 0..n-1
  over the houses. The answer table has ``m + 1`` rows: row 0 is the house numbers (0..n-1), row ``a + 1`` holds
  attribute ``a``'s value at each house.
- An operand ("entity") names a house: ``("c", a, v)`` is the house whose attribute ``a`` has value ``v``;
  ``("n", 0, h)`` is house ``h`` itself. Internally an entity is (row, value) with row 0 = house numbers.
- Clue types (``CLUE_TYPES``) and their truth given operand houses P(.):
  ``=``: P(l) == P(r); ``!=``: P(l) != P(r); ``nbr``: |P(l) - P(r)| == 1; ``ends``: P(l) in {0, n-1};
  ``immediate-left``: P(l) == P(r) - 1; ``left-of``: P(l) < P(r); ``inbetween``: P(l) < P(r1) < P(r2).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anyorder.errors import InputError

CLUE_TYPES = ("=", "!=", "nbr", "ends", "immediate-left", "left-of", "inbetween")
ARITY = {"=": (1, 1), "!=": (1, 1), "nbr": (1, 1), "ends": (1, 0), "immediate-left": (1, 1),
         "left-of": (1, 1), "inbetween": (1, 2)}  # (#lhs, #rhs) operands
MIN_SIZE, MAX_SIZE = 2, 6  # supported houses / attributes (the paper's data uses 3-6 x 3-6)

Entity = tuple  # ("c", attribute, value) | ("n", 0, house)


def entity_row(e: Entity) -> int:
    """Answer-table row of an operand: 0 for ``("n", 0, h)``, ``a + 1`` for ``("c", a, v)``."""
    return 0 if e[0] == "n" else int(e[1]) + 1


def holds(kind: str, pos: tuple[int, ...], n: int) -> bool:
    """Truth of a clue of ``kind`` whose operands (lhs then rhs) sit at houses ``pos``."""
    if kind == "=":
        return pos[0] == pos[1]
    if kind == "!=":
        return pos[0] != pos[1]
    if kind == "nbr":
        return abs(pos[0] - pos[1]) == 1
    if kind == "ends":
        return pos[0] in (0, n - 1)
    if kind == "immediate-left":
        return pos[0] == pos[1] - 1
    if kind == "left-of":
        return pos[0] < pos[1]
    if kind == "inbetween":
        return pos[0] < pos[1] < pos[2]
    raise InputError(f"unknown clue type {kind!r}; valid: {list(CLUE_TYPES)}")


@dataclass(frozen=True)
class Clue:
    """One clue: ``kind`` (a CLUE_TYPES name) and its lhs / rhs operands (tuples of entities)."""

    kind: str
    lhs: tuple
    rhs: tuple = ()

    @property
    def operands(self) -> tuple:
        return tuple(self.lhs) + tuple(self.rhs)

    def check(self, n: int, m: int) -> None:
        """Raise InputError if the clue is malformed for a puzzle of n houses and m attributes."""
        if self.kind not in CLUE_TYPES:
            raise InputError(f"unknown clue type {self.kind!r}; valid: {list(CLUE_TYPES)}")
        want = ARITY[self.kind]
        if (len(self.lhs), len(self.rhs)) != want:
            raise InputError(f"clue {self.kind!r} needs {want[0]} LHS and {want[1]} RHS operands, "
                             f"got {len(self.lhs)} and {len(self.rhs)}")
        for e in self.operands:
            if len(e) != 3 or e[0] not in ("c", "n"):
                raise InputError(f"operand {e!r} must be ('c', attribute, value) or ('n', 0, house)")
            if e[0] == "n" and e[1] != 0:
                raise InputError(f"house operand {e!r} must have attribute 0 (write it as n 0 HOUSE)")
            if e[0] == "c" and not 0 <= e[1] < m:
                raise InputError(f"operand {e!r}: attribute {e[1]} out of range 0..{m - 1}")
            if not 0 <= e[2] < n:
                raise InputError(f"operand {e!r}: value {e[2]} out of range 0..{n - 1}")
        ops = self.operands
        if len(set(ops)) != len(ops):
            raise InputError(f"clue {self.kind!r} names the same operand twice: {ops}")
        if self.kind in ("=", "!=") and entity_row(ops[0]) == entity_row(ops[1]):
            raise InputError(f"clue {self.kind!r} compares two values of one attribute: {ops}")

    def holds_in(self, answer: np.ndarray) -> bool:
        """Truth of the clue in a complete answer table ((m + 1, n) ints)."""
        return holds(self.kind, tuple(house_of(answer, e) for e in self.operands), answer.shape[1])

    def to_json(self) -> dict:
        return {"type": self.kind, "lhs": [list(e) for e in self.lhs], "rhs": [list(e) for e in self.rhs]}


def make_entity(e) -> Entity:
    """An entity tuple from a list / tuple such as ["c", 1, 2]."""
    if not isinstance(e, (list, tuple)) or len(e) != 3:
        raise InputError(f"operand {e!r} must be [kind, attribute, value]")
    kind, a, v = e
    try:
        return (str(kind), int(a), int(v))
    except (TypeError, ValueError):
        raise InputError(f"operand {e!r}: attribute and value must be integers") from None


def house_of(answer: np.ndarray, e: Entity) -> int:
    """House of an entity in a complete answer table."""
    if e[0] == "n":
        return int(e[2])
    hits = np.nonzero(answer[entity_row(e)] == e[2])[0]
    return int(hits[0])


@dataclass(frozen=True, eq=False)
class Puzzle:
    """A puzzle: ``n`` houses, ``m`` attributes, ``clues`` and (when known) the ``answer`` table (m + 1, n)."""

    n: int
    m: int
    clues: tuple
    answer: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, v in (("houses", self.n), ("attributes", self.m)):
            if not MIN_SIZE <= v <= MAX_SIZE:
                raise InputError(f"number of {name} {v} out of range {MIN_SIZE}..{MAX_SIZE}")
        object.__setattr__(self, "clues", tuple(self.clues))
        for c in self.clues:
            c.check(self.n, self.m)
        if self.answer is not None:
            a = np.asarray(self.answer, np.int64)
            if a.shape != (self.m + 1, self.n):
                raise InputError(f"answer table has shape {a.shape}, expected {(self.m + 1, self.n)} "
                                 f"(row 0 = house numbers) for {self.n} houses x {self.m} attributes")
            if not (np.sort(a, axis=1) == np.arange(self.n)).all() or not (a[0] == np.arange(self.n)).all():
                raise InputError("answer table rows must be permutations of 0..n-1 and row 0 must be 0..n-1")
            object.__setattr__(self, "answer", a)

    @property
    def size(self) -> str:
        return f"{self.n}x{self.m}"

    def satisfied_by(self, answer: np.ndarray) -> bool:
        """All clues hold in ``answer``."""
        return all(c.holds_in(np.asarray(answer)) for c in self.clues)
