"""Zebra formats: Shah clue tokens, ARM lines, JSON lines; round trips and clear errors with line numbers."""
import json

import numpy as np
import pytest

from anyorder.errors import InputError
from anyorder.tasks.zebra import formats as F
from anyorder.tasks.zebra.generate import generate
from anyorder.tasks.zebra.puzzle import Clue


@pytest.fixture(scope="module")
def items():
    return generate(12, seed=4)


def test_shah_example_parses():
    p = F.parse_tokens("immediate-left LHS n 0 2 RHS c 1 2 CLUE_END ends LHS c 0 1 RHS CLUE_END", n=4, m=3)
    assert p.clues == (Clue("immediate-left", (("n", 0, 2),), (("c", 1, 2),)), Clue("ends", (("c", 0, 1),)))
    assert F.write_tokens(p) == "immediate-left LHS n 0 2 RHS c 1 2 CLUE_END ends LHS c 0 1 RHS CLUE_END"


def test_round_trips(items):
    for p, r in items:
        line = F.arm_line(p, r.fills)
        q, _ = F.parse_line(line)
        assert q.clues == p.clues and (q.answer == p.answer).all()
        q, order = F.parse_line(json.dumps(F.to_json(p, r)))
        assert q.clues == p.clues and (q.answer == p.answer).all() and (order == r.fills).all()
        q = F.parse_tokens(F.write_tokens(p), p.n, p.m)
        assert q.clues == p.clues and q.answer is None


def test_arm_line_solver_order(items):
    p, r = items[0]
    trip = F.arm_line(p, r.fills).split(" ANSWER ")[1].split()
    first = tuple(int(x) for x in trip[:3])
    assert first == (r.fills[0, 0] - 1, r.fills[0, 1], r.fills[0, 2])
    fixed = F.arm_line(p).split(" ANSWER ")[1].split()
    assert fixed[:3] == ["0", "0", str(p.answer[1, 0])]


@pytest.mark.parametrize("text, msg", [
    ("foo LHS c 0 1 RHS c 1 1 CLUE_END", "unknown clue type 'foo'"),
    ("= LHS c 0 1 RHS c 9 1 CLUE_END", "attribute 9 out of range"),
    ("= LHS c 0 1 RHS c 1 1", "no CLUE_END"),
    ("= LHS c 0 1 RHS CLUE_END", "needs 1 LHS and 1 RHS"),
    ("= c 0 1 RHS c 1 1 CLUE_END", "expected LHS"),
    ("= LHS c 0 x RHS c 1 1 CLUE_END", "expected a value"),
    ("= LHS c 0 1 RHS n 1 1 CLUE_END", "attribute 0"),
    ("= LHS c 0 1 RHS c 0 2 CLUE_END", "compares two values of one attribute"),
    ("= LHS c 0 1 RHS c 1 1 CLUE_END ANSWER 0 0 1 0 1", "triples"),
])
def test_bad_tokens(text, msg):
    with pytest.raises(InputError, match=msg):
        F.parse_tokens(text, n=3, m=3)


def test_inconsistent_size():
    with pytest.raises(InputError, match="inconsistent size"):
        F.parse_tokens("ends LHS c 0 1 RHS CLUE_END ANSWER 0 0 0 0 1 1 0 2 2", n=4, m=1)
    with pytest.raises(InputError, match="value 5 out of range"):
        F.parse_tokens("ends LHS c 0 5 RHS CLUE_END ANSWER 0 0 0 0 1 1 0 2 2 1 0 1 1 1 2 1 2 0")


def test_errors_name_the_line(tmp_path, items):
    p, r = items[0]
    f = tmp_path / "z.txt"
    f.write_text(F.arm_line(p, r.fills) + "\n\n# comment\n" + json.dumps({"n": 3, "m": 3}) + "\n")
    with pytest.raises(InputError, match=r"line 4: JSON puzzle lacks 'clues'"):
        F.read_file(f)
    f.write_text("{not json\n")
    with pytest.raises(InputError, match="line 1: invalid JSON"):
        F.read_file(f)
    with pytest.raises(InputError, match="does not exist"):
        F.read_file(tmp_path / "missing.jsonl")


def test_jsonl_file_round_trip(tmp_path, items):
    path = tmp_path / "s.jsonl"
    assert F.write_jsonl(path, items) == len(items)
    back = F.read_file(path)
    for (p, r), (q, o) in zip(items, back):
        assert q.clues == p.clues and (q.answer == p.answer).all() and np.array_equal(o, r.fills)
