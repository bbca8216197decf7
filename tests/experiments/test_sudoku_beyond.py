"""``anyorder reproduce beyond`` (experiments.sudoku.beyond) with an oracle model on a few shipped puzzles."""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anyorder.cli import main  # noqa: E402
from anyorder.decode.result import BUDGET_EXHAUSTED, DEAD_END  # noqa: E402
from anyorder.experiments.sudoku import beyond  # noqa: E402
from anyorder.experiments.sudoku import evaluate as ev  # noqa: E402
from anyorder.tasks.sudoku.dataset import shipped  # noqa: E402

from sudoku_fakes import CODEC  # noqa: E402

SOLS = torch.as_tensor(np.concatenate([shipped(s, 3).solutions for s in ("test", "hard")]).astype(np.int64))


def oracle_model(tokens):
    """Most mass on the solution of the best-agreeing shipped puzzle ([MASK] = 10, V = 11)."""
    agree = ((tokens[:, None] == SOLS[None]) | (tokens[:, None] == 10)).sum(dim=2)
    sol = SOLS[agree.argmax(dim=1)]
    logits = torch.zeros(tokens.shape[0], 81, 11)
    logits.scatter_(2, sol[..., None], 6.0)
    return logits


def test_classify_failures():
    exact = np.array([True, False, False, False])
    status = np.array([0, 0, DEAD_END, BUDGET_EXHAUSTED])
    assert beyond.classify(exact, status) == {"wrong_reveal": 1, "dead_end": 1, "budget_exhausted": 1}
    assert beyond.classify(exact, None) == {"wrong_reveal": 3, "dead_end": 0, "budget_exhausted": 0}


def test_reproduce_beyond_writes_the_frontier(monkeypatch, tmp_path):
    fake = ev.SudokuModel(oracle_model, CODEC, {"model": {}}, "oracle")
    monkeypatch.setattr(ev, "load_sudoku_model", lambda checkpoint=None, device="cpu": fake)
    out = tmp_path / "beyond"
    args = ["reproduce", "beyond", "--out", str(out), "--n", "3", "--configs",
            "margin-50,selfcorrect-75-r0.9,bestofn-100,backtrack-50,orderbeam-2,beamback-100,rules-100-implied"]
    assert main(args) == 0
    rows = [json.loads(p.read_text()) for p in sorted((out / "raw").glob("*.json"))]
    assert len(rows) == 14 and all(r["exact_pct"] == 100.0 and r["n"] == 3 for r in rows)
    assert all(r["max_nfe"] <= 200 and r["wrong_reveal"] + r["dead_end"] + r["budget_exhausted"] == 0 for r in rows)
    md = (out / "frontier.md").read_text()
    assert "n = 3 per split" in md and "backtrack-50" in md
    assert (out / "frontier.png").stat().st_size > 0
    assert "g2" in (out / "givens.md").read_text()  # exact accuracy by number of givens
    at = (out / "at_budget.md").read_text()
    assert "100.0 (backtrack-50)" in at
    before = (out / "raw" / "test__margin-50.json").stat().st_mtime_ns
    assert main(args) == 0  # finished runs are reused
    assert (out / "raw" / "test__margin-50.json").stat().st_mtime_ns == before


def test_few_givens_set_is_stratified_by_givens():
    arrays = beyond.few_givens_arrays(per_count=2, pool=60, seed=17)
    givens = (arrays["puzzles"] > 0).sum(axis=1)
    assert (np.diff(givens) >= 0).all()  # fewest givens first
    assert np.bincount(givens).max() <= 2 and len(np.unique(givens)) >= 3
    assert ((arrays["puzzles"] == 0) | (arrays["puzzles"] == arrays["solutions"])).all()
    assert (arrays["n_givens"] == givens).all()


def test_stored_runs_rerun_when_the_decoding_code_changes(monkeypatch, tmp_path, capsys):
    fake = ev.SudokuModel(oracle_model, CODEC, {"model": {}}, "oracle")
    monkeypatch.setattr(ev, "load_sudoku_model", lambda checkpoint=None, device="cpu": fake)
    out = tmp_path / "beyond"
    args = ["reproduce", "beyond", "--out", str(out), "--n", "2", "--configs", "margin-50", "--splits", "test"]
    assert main(args) == 0
    path = out / "raw" / "test__margin-50.json"
    stored = json.loads(path.read_text())
    assert stored["key"]["code"] == beyond.RUN_DIGEST == beyond.code_digest() and stored["key"]["plan"] == {}
    assert "current" in (out / "frontier.md").read_text()
    stored["key"]["code"], stored["seconds"] = "0123456789abcdef", -1.0  # as if an older decoder had made it
    path.write_text(json.dumps(stored))
    assert main(args + ["--reuse-stale"]) == 0  # kept, and the report says it is stale
    assert json.loads(path.read_text())["seconds"] == -1.0
    assert "older 0123456789abcdef" in (out / "frontier.md").read_text()
    assert "reusing test__margin-50.json" in capsys.readouterr().out
    assert main(args) == 0  # without --reuse-stale it is decoded again
    assert json.loads(path.read_text())["seconds"] >= 0 and "the decoding code changed" in capsys.readouterr().out
    assert "current" in (out / "frontier.md").read_text()


def test_code_digest_follows_the_decoder_sources(monkeypatch, tmp_path):
    (tmp_path / "anyorder" / "decode").mkdir(parents=True)
    (tmp_path / "anyorder" / "decode" / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(beyond, "__file__", str(tmp_path / "anyorder" / "experiments" / "sudoku" / "beyond.py"))
    first = beyond.code_digest()
    (tmp_path / "anyorder" / "decode" / "a.py").write_text("# a comment\n\n\nx = (1)  # formatting only\n")
    assert beyond.code_digest() == first  # comments and layout do not count
    (tmp_path / "anyorder" / "decode" / "a.py").write_text("x = 2\n")
    assert beyond.code_digest() != first and len(first) == 16


def test_model_free_controls_never_call_the_checkpoint(monkeypatch, tmp_path):
    calls = []
    fake = ev.SudokuModel(lambda t: calls.append(1) or oracle_model(t), CODEC, {"model": {}}, "oracle")
    monkeypatch.setattr(ev, "load_sudoku_model", lambda checkpoint=None, device="cpu": fake)
    out = tmp_path / "beyond"
    assert main(["reproduce", "beyond", "--out", str(out), "--n", "2", "--configs", "rules-100-implied",
                 "--splits", "test"]) == 0
    row = json.loads((out / "raw" / "test__rules-100-implied.json").read_text())
    assert calls == [] and row["method"] == "rules only + implied fills" and row["exact_pct"] == 100.0
    assert "rules only" in (out / "frontier.md").read_text()
