"""The Zebra tasks: ``MDM_TASK`` ("zebra") and ``ARM_TASK`` ("zebra-arm") (paper Sec. 4.7, Table 3).

Training data: a JSON-lines / clue-token file (``anyorder data zebra``), $ANYORDER_ZEBRA_TRAIN, or "generate"
(``n_generate`` fresh puzzles of ``sizes``). Batches are pure functions of (seed, step, rank): puzzle indices
and symmetries are drawn from ``numpy.random.default_rng([seed, step, rank])``. Symmetries (MDM): the values of
each attribute and the attributes themselves are relabelled at random (clue operands and answer together).
Evaluation: the shipped test split (or ``eval_path``) restricted to ``sizes`` and ``max_clues``; MDMs decode with
top-prob-margin, 50 steps; ARMs greedily; scored by ``metrics.summarize`` (exact, cell, valid, by size).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.base import Problems, Task, TaskBundle
from anyorder.tasks.zebra import encode
from anyorder.tasks.zebra.dataset import Packed, load, pack_items, parse_sizes, shipped
from anyorder.tasks.zebra.generate import generate
from anyorder.tasks.zebra.metrics import summarize, verify
from anyorder.tasks.zebra.puzzle import CLUE_TYPES

GENERATE_SEED = 1313  # stream of train_path="generate" (the shipped split uses dataset.SHIPPED_SEED)


@dataclass(frozen=True)
class _ZebraOptions:
    """Fields and checks shared by the MDM and ARM Zebra tasks (``task_options.KEY=VALUE``)."""

    train_path: str | None = None  # puzzles (JSON lines or clue tokens), "generate", or $ANYORDER_ZEBRA_TRAIN
    sizes: str = "3-6x3-6"  # houses x attributes kept (MDM: also the answer grid, max houses x max attributes)
    n_generate: int = 2000  # puzzles generated for train_path="generate"
    n_eval: int = 200  # test puzzles decoded by the periodic evaluation
    eval_path: str | None = None  # evaluation puzzles (default: the shipped test split)

    def __post_init__(self) -> None:
        parse_sizes(self.sizes)


@dataclass(frozen=True)
class ZebraMDMOptions(_ZebraOptions):
    """Options of the "zebra" task (``task_options.KEY=VALUE``; shared fields in ``_ZebraOptions``)."""

    max_clues: int = 48  # clue slots of the layout; puzzles with more clues are dropped
    position_ids: str = "structured"  # structured (slot kind / clue / attribute / house tables) | learned
    # operand embeddings: "factored" = "cA=V" also gets attribute A's table row and the token "vV" (needs
    # structured positions; encode.mdm_token_factors)
    entity_embedding: str = "token"  # token (one free embedding per operand) | factored (shares the tables)
    answer_layout: str = "table"  # table (slot attribute x house holds the value) | house (attribute x value: its house)
    # clue pooling: each clue token's input also gets the mean token embedding of its clue's 4 tokens, so a clue
    # operand carries the clue's type and other operands (ModelConfig.pool_groups; encode.mdm_clue_groups)
    clue_pooling: bool = False  # clue tokens also get their clue's mean token embedding
    # training only: this fraction of each batch's puzzles gets extra true direct clues ("cA=V" = "n0=H") in its
    # free clue slots (each free slot with a per-puzzle probability drawn uniformly from [0, 1)): a strong, simple
    # signal for reading clues (add_direct_clues)
    direct_clue_rate: float = 0.0  # fraction of training puzzles given extra direct clues
    direct_clue_decay: int = 0  # steps over which direct_clue_rate falls linearly to 0 (a curriculum); 0 = constant
    augment: bool = True  # random value and attribute relabelling per batch

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("position_ids", self.position_ids, ("structured", "learned"))
        _check_choice("entity_embedding", self.entity_embedding, ("token", "factored"))
        _check_choice("answer_layout", self.answer_layout, encode.ANSWER_LAYOUTS)
        if self.entity_embedding == "factored" and self.position_ids != "structured":
            raise ConfigError("entity_embedding=factored needs position_ids=structured (it shares their tables)")
        if self.max_clues < 1:
            raise ConfigError(f"max_clues must be positive, got {self.max_clues}")
        if not 0.0 <= self.direct_clue_rate <= 1.0:
            raise ConfigError(f"direct_clue_rate must be in [0, 1], got {self.direct_clue_rate}")
        if self.direct_clue_decay < 0:
            raise ConfigError(f"direct_clue_decay must be >= 0, got {self.direct_clue_decay}")


@dataclass(frozen=True)
class ZebraARMOptions(_ZebraOptions):
    """Options of the "zebra-arm" task (Shah et al.'s clue tokens, ANSWER, (attribute, house, value) triples;
    shared fields in ``_ZebraOptions``; the evaluation decodes greedily)."""

    max_len: int = 600  # sequence length (Shah et al.: 600), EXTRA-padded
    order: str = "solver"  # order of the answer triples: solver | fixed (attribute-major) | random

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("order", self.order, encode.ORDERS)
        if self.max_len < 16:
            raise ConfigError(f"max_len must be at least 16, got {self.max_len}")


def _check_choice(name: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"unknown Zebra {name} {value!r}; valid: {sorted(valid)}")


def grid(sizes: str) -> tuple[int, int]:
    """(max houses, max attributes) of a sizes spec."""
    s = parse_sizes(sizes)
    return max(n for n, _ in s), max(m for _, m in s)


def load_train(path: str | None, sizes: str, max_clues: int, n_generate: int):
    """Training puzzles (see the module docstring)."""
    path = path or os.environ.get("ANYORDER_ZEBRA_TRAIN")
    if not path:
        raise ConfigError("Zebra task needs option train_path (puzzles from `anyorder data zebra`) or "
                          "train_path='generate'; or set ANYORDER_ZEBRA_TRAIN")
    if path == "generate":
        items = [(p, r.fills) for p, r in generate(int(n_generate), GENERATE_SEED, parse_sizes(sizes))]
        return [x for x in items if len(x[0].clues) <= max_clues]
    return load(path, parse_sizes(sizes), max_clues)


def eval_items(path: str | None, sizes: str, max_clues: int, n: int):
    s = parse_sizes(sizes)
    if path:
        return load(path, s, max_clues)[:n]
    return shipped(n, s, max_clues)


def relabel(arrays: dict, rng: np.random.Generator) -> dict:
    """Random relabelling of each puzzle's values (per attribute) and attributes: clue operands ("cA=V" ids),
    the answer table and the fill order move together. Returns new arrays (vectorised over the batch)."""
    ans, clues, size = arrays["answer"], arrays["clues"], arrays["size"]
    b, mm, nn = ans.shape
    s = encode.S
    n, m = size[:, 0], size[:, 1]
    keys = rng.random((b, mm, s))
    keys = np.where(np.arange(s)[None, None, :] >= n[:, None, None], np.inf, keys)
    vperm = np.argsort(np.argsort(keys, axis=2), axis=2)  # vperm[i, a, v]: new label of value v (a permutation of 0..n-1)
    akeys = rng.random((b, s))
    akeys = np.where(np.arange(s)[None, :] >= m[:, None], np.inf, akeys)
    aperm = np.argsort(np.argsort(akeys, axis=1), axis=1)  # aperm[i, a]: new index of attribute a
    rows = np.arange(b)[:, None, None]
    a_idx = np.broadcast_to(np.arange(mm)[None, :, None], ans.shape)
    new_vals = np.where(ans >= 0, vperm[rows, a_idx, np.maximum(ans, 0)], -1)
    new_ans = np.full_like(ans, -1)
    new_order = np.full_like(arrays["order"], -1)
    dest = aperm[:, :mm]  # (b, mm)
    valid_a = np.arange(mm)[None, :] < m[:, None]
    bi, ai = np.nonzero(valid_a)
    new_ans[bi, dest[bi, ai]] = new_vals[bi, ai]
    order = arrays["order"].reshape(b, mm, nn)
    new_order3 = new_order.reshape(b, mm, nn)
    new_order3[bi, dest[bi, ai]] = order[bi, ai]
    ops = clues[..., 1:]
    is_c = ops >= s
    a_op = np.where(is_c, (ops - s) // s, 0)
    v_op = np.where(is_c, (ops - s) % s, 0)
    bb = np.broadcast_to(np.arange(b)[:, None, None], ops.shape)
    new_ops = np.where(is_c, s + s * aperm[bb, a_op] + vperm[bb, a_op, v_op], ops)
    out = dict(arrays)
    out.update(answer=new_ans, order=new_order3.reshape(b, -1),
               clues=np.concatenate([clues[..., :1], new_ops], axis=2))
    return out


def add_direct_clues(arrays: dict, rate: float, rng: np.random.Generator) -> dict:
    """Extra true direct clues "=" ("cA=V", "n0=H") in free clue slots: a fraction ``rate`` of the puzzles is
    chosen, each with a fill probability u ~ U[0, 1); each of its free slots (type -1) gets, with probability u, the
    direct clue of a uniform random in-size (attribute A, value V) and its house H from the answer. True clues only
    add information, so the puzzle keeps its solution. Returns new arrays (vectorised over the batch)."""
    clues, size = arrays["clues"], arrays["size"]
    b, k, _ = clues.shape
    u = np.where(rng.random(b) < rate, rng.random(b), 0.0)
    fill = (clues[..., 0] < 0) & (rng.random((b, k)) < u[:, None])
    a = (rng.random((b, k)) * size[:, 1:2]).astype(np.int64)
    v = (rng.random((b, k)) * size[:, :1]).astype(np.int64)
    house = encode.invert_rows(arrays["answer"])[np.arange(b)[:, None], a, v]
    s = encode.S
    direct = np.stack([np.full_like(a, CLUE_TYPES.index("=")), s + s * a + v, house, np.full_like(a, -1)], axis=2)
    out = dict(arrays)
    out["clues"] = np.where(fill[..., None], direct, clues)
    return out


def draw(data: Packed, seed: int, step: int, rank: int, batch_size: int) -> tuple[dict, np.random.Generator]:
    """The puzzles of batch (seed, step, rank): ``batch_size`` indices drawn with replacement by
    ``default_rng([seed, step, rank])``; returns their arrays and that generator (it goes on to draw the batch's
    symmetries or answer orders)."""
    rng = np.random.default_rng([seed, step, rank])
    idx = rng.integers(0, len(data), size=batch_size)
    return {k: v[idx] for k, v in data.arrays.items()}, rng


@dataclass(frozen=True, eq=False)
class MDMSource:
    """MDM batches {"x0": (B, L) int64, "is_fixed": (B, L) bool} of the mdm layout (encode.py)."""

    data: Packed
    augment: bool
    seed: int
    layout: str = "table"
    direct_clue_rate: float = 0.0
    direct_clue_decay: int = 0

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        arrays, rng = draw(self.data, self.seed, step, rank, batch_size)
        if self.augment:
            arrays = relabel(arrays, rng)
        rate = self.direct_clue_rate
        if self.direct_clue_decay:
            rate *= max(0.0, 1.0 - step / self.direct_clue_decay)
        if rate:
            arrays = add_direct_clues(arrays, rate, rng)
        x0, is_fixed = encode.encode_mdm(arrays, self.layout)
        return {"x0": torch.from_numpy(x0), "is_fixed": torch.from_numpy(is_fixed)}


@dataclass(frozen=True, eq=False)
class ARMSource:
    """ARM batches {"tokens": (B, L) int64, "loss_mask": (B, L) bool}: Shah et al.'s clue tokens + triples."""

    data: Packed
    order: str
    max_len: int
    seed: int

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        arrays, rng = draw(self.data, self.seed, step, rank, batch_size)
        cells = encode.cell_ranks(arrays, self.order, rng)
        tokens, loss_mask = encode.encode_arm(arrays, cells, self.max_len)
        return {"tokens": torch.from_numpy(tokens), "loss_mask": torch.from_numpy(loss_mask)}


@dataclass(frozen=True, eq=False)
class _Evaluation:
    """Test puzzles scored by ``metrics.summarize``; ``verify`` is the verifier of self-correcting planners."""

    items: tuple
    max_clues: int
    max_n: int
    max_m: int
    prefix: str = "zebra_test"

    def problems(self) -> Problems:
        packed = pack_items(list(self.items), self.max_clues, self.max_n, self.max_m)
        return Problems(packed, packed.arrays["answer"], {"size": packed.arrays["size"]})

    def metrics(self, problems: Problems, answers: np.ndarray) -> dict[str, float]:
        return summarize(answers, problems.targets, problems.extra["size"], problems.inputs.puzzles)

    def verify(self, problems: Problems, answers: np.ndarray) -> np.ndarray:
        """(B,) bool: complete tables satisfying every clue."""
        return verify(problems.inputs.puzzles, answers)


@dataclass(frozen=True, eq=False)
class MDMEvaluation(_Evaluation):
    """Decode the masked answer slots with top-prob-margin, 50 steps (Table 3's best setting is top_prob)."""

    plan: dict = field(default_factory=lambda: {"score": "top_prob_margin", "steps": 50})
    layout: str = "table"

    def encode(self, packed: Packed) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, is_fixed = encode.mdm_input(packed.arrays, self.layout)
        return torch.from_numpy(tokens), torch.from_numpy(is_fixed)

    def decode(self, tokens: torch.Tensor) -> np.ndarray:
        return encode.decode_mdm(tokens.cpu().numpy(), self.max_clues, self.max_n, self.max_m, self.layout)


@dataclass(frozen=True, eq=False)
class ARMEvaluation(_Evaluation):
    """Greedy completion after ANSWER: the model writes (attribute, house, value) triples in its own order."""

    max_len: int = 600
    plan: dict = field(default_factory=lambda: {"mode": "greedy"})

    def encode(self, packed: Packed) -> tuple[torch.Tensor, torch.Tensor]:
        cells = encode.cell_ranks(packed.arrays, "fixed")
        tokens, loss_mask = encode.encode_arm(packed.arrays, cells, self.max_len, with_answer=False)
        prompt = np.arange(self.max_len)[None, :] < packed.arrays["plen"][:, None]
        return torch.from_numpy(tokens), torch.from_numpy(prompt)

    def decode(self, tokens: torch.Tensor) -> np.ndarray:
        return encode.decode_arm(tokens.cpu().numpy(), self.max_n, self.max_m)


def build_mdm(o: ZebraMDMOptions, seed: int) -> TaskBundle:
    """MDM Zebra (``ZebraMDMOptions``)."""
    max_n, max_m = grid(o.sizes)
    items = load_train(o.train_path, o.sizes, o.max_clues, o.n_generate)
    data = pack_items(items, o.max_clues, max_n, max_m)
    tok = encode.MDM_TOKENIZER
    fields = {"vocab_size": tok.vocab_size, "max_len": 4 * o.max_clues + max_n * max_m}
    if o.position_ids == "structured":
        fields["position_tables"] = encode.mdm_tables(o.max_clues, max_n, max_m)
        fields["positions"] = "none"
    if o.entity_embedding == "factored":
        fields.update(encode.mdm_token_factors(o.answer_layout))
    if o.clue_pooling:
        fields["pool_groups"] = encode.mdm_clue_groups(o.max_clues, max_n, max_m)
    ev = MDMEvaluation(tuple(eval_items(o.eval_path, o.sizes, o.max_clues, o.n_eval)), o.max_clues, max_n, max_m,
                       layout=o.answer_layout)
    return TaskBundle(name="zebra", tokenizer=tok, source=MDMSource(data, o.augment, seed, o.answer_layout, o.direct_clue_rate,
                                                            o.direct_clue_decay),
                      model_fields=fields, metadata={"layout": "mdm", "answer_layout": o.answer_layout,
                                                     "sizes": o.sizes, "max_clues": o.max_clues, "n_train": len(data)},
                      evaluation=ev)


def build_arm(o: ZebraARMOptions, seed: int) -> TaskBundle:
    """ARM Zebra, Shah et al.'s format (``ZebraARMOptions``)."""
    max_n, max_m = grid(o.sizes)
    big = 10 ** 6
    items = load_train(o.train_path, o.sizes, big, o.n_generate)
    max_clues = max(len(p.clues) for p, _ in items)
    data = pack_items(items, max_clues, max_n, max_m)
    tok = encode.ARM_TOKENIZER
    ev_items = tuple(eval_items(o.eval_path, o.sizes, big, o.n_eval))
    ev_clues = max(len(p.clues) for p, _ in ev_items)
    return TaskBundle(name="zebra-arm", tokenizer=tok, source=ARMSource(data, o.order, o.max_len, seed),
                      model_fields={"vocab_size": tok.vocab_size, "max_len": o.max_len, "causal": True},
                      metadata={"format": "shah", "order": o.order, "sizes": o.sizes, "n_train": len(data)},
                      evaluation=ARMEvaluation(ev_items, ev_clues, max_n, max_m, max_len=o.max_len))


MDM_TASK = Task("zebra", ZebraMDMOptions, build_mdm, "Zebra puzzles for MDMs (clues fixed, answer table masked)")
ARM_TASK = Task("zebra-arm", ZebraARMOptions, build_arm, "Zebra puzzles for ARMs (Shah et al.'s clue tokens)")
