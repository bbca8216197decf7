"""Hypothesis fuzzing of every parser and file reader (fuzz_targets.py): only documented errors may escape.

CI runs a small budget (``ANYORDER_FUZZ_EXAMPLES``, default 60 per target, derandomized so CI is repeatable);
``scripts/fuzz.sh`` runs the large one (random seeds) and writes the per-target counts."""
from __future__ import annotations

import json
import os
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from anyorder.tasks.sudoku.dataset import FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_targets as T  # noqa: E402

N = int(os.environ.get("ANYORDER_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=N, deadline=None, derandomize="ANYORDER_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=list(HealthCheck), database=None)

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
DIGITS = st.sampled_from(list("0123456789.")) | st.characters()


def allowed(fn, *args) -> None:
    try:
        fn(*args)
    except T.ALLOWED as e:
        T.record(fn.__name__, e)


def near_puzzles(base: str):
    """Puzzle-like text: a valid puzzle with some characters replaced, dropped or inserted (+ raw extras)."""
    return st.builds(lambda edits, extra, sep: sep.join(
        ["".join(_apply(base, edits)), extra]), st.lists(st.tuples(st.integers(0, 90), DIGITS, st.integers(0, 2)),
                                                         max_size=6),
        st.text(max_size=20), st.sampled_from(["\n", "\r\n", " ", "\n#", ","]))


def _apply(text: str, edits) -> list[str]:
    cells = list(text)
    for pos, ch, op in edits:
        pos = min(pos, len(cells))
        if op == 0 and pos < len(cells):
            cells[pos] = ch
        elif op == 1 and pos < len(cells):
            del cells[pos]
        else:
            cells.insert(pos, ch)
    return cells


def encodings(text_strategy):
    return st.tuples(text_strategy, st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])).map(
        lambda te: te[0].encode(te[1], errors="replace"))


@FUZZ
@given(st.binary(max_size=400) | encodings(near_puzzles(PUZZLE)))
def test_sudoku_text(data):
    allowed(T.sudoku_text, data)


@FUZZ
@given(st.binary(max_size=400) | encodings(st.builds(
    lambda header, p, s: f"{header}\n1,{p},{s},30,1.2\n", st.sampled_from(["id,puzzle,solution,clues,difficulty",
                                                                           "puzzle", "id,solution", ""]),
    near_puzzles(PUZZLE), near_puzzles(SOLUTION))))
def test_sudoku_csv(data):
    allowed(T.sudoku_csv, data)


def _npz(arrays_: dict) -> bytes:
    buffer = BytesIO()
    np.savez(buffer, **arrays_)
    return buffer.getvalue()


FIELD_ARRAYS = st.fixed_dictionaries({}, optional={k: arrays(st.sampled_from([np.int8, np.int64, np.float32, np.bool_]),
                                                              st.sampled_from([(2, 81), (3,), (2, 5), (0, 81)]))
                                                   for k in ("puzzles", "solutions", "order", "technique",
                                                             "n_givens", "hardest", "solvable", "index")})


def _shipped_rows(n: int = 3) -> dict:
    from anyorder.tasks.sudoku.dataset import shipped

    return {k: v.copy() for k, v in shipped("test", n=n).arrays.items()}


def _edit_arrays(edits) -> dict:
    """Real dataset rows with a few array-level edits: a value set, a field dropped, cast or cut short."""
    fields = _shipped_rows()
    for name, op, pos, value in edits:
        if name not in fields:
            continue
        v = fields[name]
        if op == 0 and v.size:
            v.reshape(-1)[pos % v.size] = np.asarray(value).astype(v.dtype)  # wraps in unsigned dtypes
        elif op == 1:
            del fields[name]
        elif op == 2:
            fields[name] = v.astype([np.float32, np.int8, np.uint8, np.bool_][pos % 4])
        else:
            fields[name] = v[: pos % (len(v) + 1)]
    return fields


NEAR_VALID_NPZ = st.lists(st.tuples(st.sampled_from(FIELDS), st.integers(0, 3), st.integers(0, 400),
                                    st.integers(-2, 11)), max_size=3).map(lambda edits: _npz(_edit_arrays(edits)))


@FUZZ
@given(st.binary(max_size=300) | NEAR_VALID_NPZ | FIELD_ARRAYS.map(_npz) | st.tuples(FIELD_ARRAYS.map(_npz), st.integers(0, 400))
       .map(lambda bp: bp[0][:bp[1]]) | st.just(b"PK\x03\x04" + b"\x00" * 40))
def test_sudoku_npz(data):
    allowed(T.sudoku_npz, data)


@FUZZ
@given(arrays(st.sampled_from([np.int64, np.int8, np.float64, np.int16]),
              st.sampled_from([(1, 325), (2, 325), (325,), (1, 324), (0, 325)]),
              elements=st.integers(-3, 12)))
def test_sudoku_npy(rows):
    allowed(T.sudoku_npy, rows)


TOKENS = " ".join("[MASK]" if c == "0" else c for c in PUZZLE)


@FUZZ
@given(st.binary(max_size=400) | encodings(st.builds(
    lambda edits, sep: sep.join("".join(_apply(TOKENS, edits)).split(" ")),
    st.lists(st.tuples(st.integers(0, 300), DIGITS, st.integers(0, 2)), max_size=6),
    st.sampled_from([" ", "\t", "  ", "\n"]))))
def test_decode_tokens(data):
    allowed(T.decode_tokens, data)


KEYS = ["optim.lr", "optim.betas", "optim.grad_clip", "optim.warmup_steps", "model.d_model", "model.n_heads",
        "model.dropout", "model.mlp", "model.position_tables", "batch_size", "max_steps", "ema", "seed", "name",
        "task_options.length", "mdm.sampling", "objective", "mixed_precision", "keep_checkpoints", "nope", ""]
VALUES = st.one_of(st.sampled_from(["nan", "inf", "-1", "0", "1e400", "1.5", "[0.9, 0.95]", "[1, 2, 3]",
                                    "null", "true", "{}", "[[0, 1]]", '"x"', "gelu"]),
                   st.integers(-10, 10 ** 6).map(str), st.floats().map(str), st.text(max_size=15))
ITEMS = st.lists(st.one_of(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS) | st.text(max_size=10), VALUES),
                           st.text(max_size=20)), max_size=4)


@FUZZ
@given(ITEMS)
def test_train_overrides(items):
    allowed(T.train_overrides, items)


PLAN_KEYS = ["steps", "score", "budget", "value", "noise", "noise_scale", "noise_anneal", "temperature", "top_k",
             "top_p", "k", "threshold", "factor", "mode", "beam_width", "block_length", "schedule", "nope"]


@FUZZ
@given(st.lists(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(PLAN_KEYS) | st.text(max_size=8),
                          VALUES | st.sampled_from(["top_prob", "entropy", "gumbel0.5-annealed", "remask", "beam",
                                                    "binomial", "cosine"])), max_size=4))
def test_plan_overrides(items):
    allowed(T.plan_overrides, items)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=4), max_leaves=8)


@FUZZ
@given(st.tuples(st.integers(0, 10 ** 6), JSON) | st.binary(max_size=200)
       | JSON.map(lambda v: json.dumps(v).encode()))
def test_checkpoint_json(edit):
    allowed(T.checkpoint_json, edit)


def test_config_paths_cover_nested_keys():
    assert T.config_paths({"a": 1, "b": {"c": 2}}) == [("a",), ("b",), ("b", "c")]


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    out = os.environ.get("ANYORDER_FUZZ_REPORT")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(dict(T.CALLS)) + "\n")


def test_zip_corruption_is_an_input_error(tmp_path):
    """A truncated zip member (found by the fuzzer) is an InputError, not a BadZipFile/zlib crash."""
    data = _npz({"puzzles": np.zeros((1, 81), np.int8)})
    with zipfile.ZipFile(BytesIO(data)) as z:
        assert z.namelist() == ["puzzles.npy"]
    allowed(T.sudoku_npz, data[: len(data) // 2])
