"""The Table 4 infilling harness: oracle completions pass, wrong ones fail, extraction and length policies."""
import json

import pytest
import torch

pytest.importorskip("transformers")

from anyorder.evaluation.infill import (  # noqa: E402
    STRATEGIES,
    InfillOptions,
    build_row,
    complete,
    evaluate_infill,
    extract,
    table,
    write_report,
)
from anyorder.evaluation.sandbox import Limits  # noqa: E402
from anyorder.tasks.humaneval_infill import CATEGORIES, load_problems, program  # noqa: E402

LIMITS = Limits(timeout=30.0, workers=2)  # generous for loaded CI machines
V, EOS = 1003, 1001  # a small vocabulary keeps the fake models' logits small


@pytest.fixture(scope="module")
def tok():
    from anyorder.models.hf_tiny import tiny_tokenizer
    from anyorder.tokenizers.hf import HFTokenizer

    corpus = [p.prompt + p.canonical_solution + p.suffix for p in load_problems("split-light")]
    specials = {"mask": ("<|mask|>", V - 3), "eos": ("<|endoftext|>", EOS), "bos": ("<|startoftext|>", V - 1)}
    return HFTokenizer(tiny_tokenizer(specials, corpus, bpe_size=V - 3, declare=("eos", "pad", "mask", "bos")))


class Oracle(torch.nn.Module):
    """Knows each problem's full token row; predicts it at every position."""

    def __init__(self, truths, mask_id, vocab=V):
        super().__init__()
        self.truths, self.mask_id, self.vocab = [torch.tensor(t) for t in truths], mask_id, vocab

    def forward(self, x, attention_mask=None):
        out = torch.zeros(x.shape[0], x.shape[1], self.vocab)
        for b in range(x.shape[0]):  # a test fake: a loop over rows is fine here
            keep = attention_mask[b].bool() if attention_mask is not None else torch.ones_like(x[b], dtype=torch.bool)
            real = x[b][keep]
            truth = next(t for t in self.truths if len(t) == len(real) and bool(((t == real) | (real == self.mask_id)).all()))
            out[b, keep.nonzero().flatten(), truth] = 20.0
        return out


def _truths(problems, tok):
    rows = []
    for p in problems:
        gap = tok.encode(p.canonical_solution)
        row = build_row(p, tok, len(gap), tok.mask_id)
        start = row.index(tok.mask_id)
        rows.append(row[:start] + gap + row[start + len(gap):])
    return rows


@pytest.mark.parametrize("category,limit", [("single", 8), ("multi", 4), ("split", 4)])
def test_oracle_model_scores_100_and_a_wrong_one_0(tok, category, limit):
    problems = load_problems(category, limit=limit)
    oracle = Oracle(_truths(problems, tok), tok.mask_id)
    strategies = {k: STRATEGIES[k] for k in ("vanilla", "top_prob_margin")}
    rows, summary = evaluate_infill(oracle, tok, problems, strategies, InfillOptions(batch_size=3), LIMITS,
                                    eos_ids=[EOS])
    assert {s: v["pass@1"] for s, v in summary.items()} == {"vanilla": 1.0, "top_prob_margin": 1.0}
    assert all(r.completion == p.canonical_solution for r, p in zip(rows, problems))
    x = tok.encode("x")[0]
    wrong = lambda t, attention_mask=None: torch.nn.functional.one_hot(torch.full_like(t, x), V).float() * 20  # noqa
    _, summary = evaluate_infill(wrong, tok, problems, {"top_prob": STRATEGIES["top_prob"]},
                                 InfillOptions(batch_size=3), LIMITS, eos_ids=[EOS])
    assert summary["top_prob"]["pass@1"] == 0.0


def test_fixed_length_policy_cuts_the_completion_at_eos(tok):
    problem = load_problems("single", limit=1)[0]
    answer = tok.encode(problem.canonical_solution)
    eos = EOS

    def model(x, attention_mask=None):  # the answer, then EOS for the rest of the gap
        out = torch.zeros(x.shape[0], x.shape[1], V)
        row = build_row(problem, tok, 12 + len(answer), tok.mask_id)
        start = row.index(tok.mask_id)
        target = torch.tensor(row)
        target[start:start + len(answer) + 12] = torch.tensor(answer + [eos] * 12)
        out[0, torch.arange(len(row)), target] = 20.0
        return out

    options = InfillOptions(length="fixed", fixed_length=len(answer) + 12)
    completions, gaps, nfe = complete(model, tok, [problem], STRATEGIES["top_prob"], options, tok.mask_id, [eos])
    assert completions == [problem.canonical_solution] and gaps == [len(answer) + 12]
    assert nfe == [len(answer) + 12]  # default steps: one token per step


def test_extract_drops_specials_and_stops_at_eos(tok):
    ids = tok.encode("return x") + [tok.mask_id] + tok.encode(" + 1") + [EOS] + tok.encode("junk")
    assert extract(ids, tok, [EOS]) == "return x + 1"
    assert extract(torch.tensor(tok.encode("a")), tok, []) == "a"


def test_problem_files_and_program_text():
    counts = {c: len(load_problems(c)) for c in CATEGORIES}
    assert counts == {"single": 1033, "multi": 5815, "split": 1640, "split-light": 164}
    p = load_problems("single", limit=1)[0]
    assert p.task_id == "SingleLineInfilling/HumanEval/0/L0"
    code = program(p, p.canonical_solution)
    assert code.startswith(p.prompt + p.canonical_solution + p.suffix) and code.endswith(f"check({p.entry_point})\n")


def test_table_and_report(tmp_path):
    summaries = {"single": {"vanilla": {"pass@1": 0.5, "n": 2}, "top_prob": {"pass@1": 1.0, "n": 2}},
                 "multi": {"vanilla": {"pass@1": 0.0, "n": 1}}}
    text = table(summaries)
    assert "| vanilla | 50.0% | 0.0% |" in text and "| top_prob | 100.0% |  |" in text
    out = write_report(tmp_path / "r", [], summaries, {"command": "x"})
    assert json.loads((out / "summary.json").read_text())["meta"]["command"] == "x"


def test_summary_of_a_single_problem(tok):
    problems = load_problems("single", limit=1)
    rows, summary = evaluate_infill(Oracle(_truths(problems, tok), tok.mask_id), tok, problems,
                                    {"vanilla": STRATEGIES["vanilla"]}, InfillOptions(), LIMITS, eos_ids=[EOS])
    gap = len(tok.encode(problems[0].canonical_solution))
    assert (rows[0].gap, rows[0].nfe, rows[0].status) == (gap, gap, "passed")  # oracle gap, steps = gap
    s = summary["vanilla"]
    assert (s["pass@1"], s["n"], s["nfe"]) == (1.0, 1, float(gap))
    assert s["decode_s"] >= 0 and s["exec_s"] > 0


def test_build_row_bos_is_optional(tok):
    p = load_problems("single", limit=1)[0]
    body = tok.encode(p.prompt) + [tok.mask_id] * 2 + tok.encode(p.suffix)
    assert build_row(p, tok, 2, tok.mask_id, bos=True) == [tok.special_tokens["bos"]] + body
    assert build_row(p, tok, 2, tok.mask_id, bos=False) == body


def test_problems_are_decoded_in_batches_of_batch_size(tok):
    problems = load_problems("single", limit=4)
    oracle = Oracle(_truths(problems, tok), tok.mask_id)
    calls = []

    def counting(x, attention_mask=None):
        calls.append(x.shape[0])
        return oracle(x, attention_mask)

    completions, gaps, nfe = complete(counting, tok, problems, STRATEGIES["vanilla"], InfillOptions(batch_size=4),
                                      tok.mask_id, eos_ids=[EOS])
    assert completions == [p.canonical_solution for p in problems]
    assert set(calls) == {4} and len(calls) == max(nfe)  # one batch: one call of 4 rows per step
