"""The learning-curve driver's run bookkeeping (benchmarks/sudoku_curves.py): wall time survives an abrupt kill."""
from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def curves():
    spec = importlib.util.spec_from_file_location("sudoku_curves", ROOT / "benchmarks" / "sudoku_curves.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeTrain:
    """Stands in for the `anyorder train` process: writes a checkpoint pointer, records its arguments."""
    calls: list[list[str]] = []
    returncode = 0

    def __init__(self, args, **kw):
        FakeTrain.calls.append(args)
        run_dir = Path(args[args.index("--out-dir") + 1]) / "curve-elbo"
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        (run_dir / "checkpoints" / "latest").write_text("step_00000004")

    def wait(self, timeout=None):
        return 0


def test_resume_after_abrupt_kill_counts_time_up_to_the_last_checkpoint(curves, tmp_path, monkeypatch):
    FakeTrain.calls = []
    monkeypatch.setattr(curves.subprocess, "Popen", FakeTrain)
    FakeTrain.returncode = 1  # killed: the stamp must not say done
    run_dir = curves.train("elbo", tmp_path, 8, 2, "generate", None)
    stamp = json.loads((run_dir / "curve_start.json").read_text())
    assert stamp["done"] is False and "--resume" not in FakeTrain.calls[0]
    # pretend the run started 600 s ago and its last checkpoint was written 500 s after the start
    latest = run_dir / "checkpoints" / "latest"
    (run_dir / "curve_start.json").write_text(json.dumps({"start": time.time() - 600, "done": False}))
    os.utime(latest, (time.time() - 100, time.time() - 100))
    FakeTrain.returncode = 0
    before = time.time()
    curves.train("elbo", tmp_path, 8, 2, "generate", None)
    stamp = json.loads((run_dir / "curve_start.json").read_text())
    assert "--resume" in FakeTrain.calls[1] and stamp["done"] is True
    assert before - 500 - 2 <= stamp["start"] <= time.time() - 500  # 500 s already spent, not 600
    curves.train("elbo", tmp_path, 8, 2, "generate", None)  # done: not trained again
    assert len(FakeTrain.calls) == 2


def test_checkpoints_without_a_stamp_are_refused(curves, tmp_path):
    (tmp_path / "runs" / "curve-elbo" / "checkpoints").mkdir(parents=True)
    (tmp_path / "runs" / "curve-elbo" / "checkpoints" / "latest").write_text("step_00000004")
    with pytest.raises(SystemExit, match="curve_start.json"):
        curves.train("elbo", tmp_path, 8, 2, "generate", None)


def test_table_has_one_line_per_snapshot_with_every_split_and_strategy(curves):
    rows = [{"recipe": "elbo", "step": s, "samples": 64 * s, "train_flops": 1e9 * s, "wall_min": s / 100,
             "split": split, "strategy": strategy, "exact": acc}
            for s, acc in ((500, 0.0), (1000, 0.215))
            for split in ("test", "hard") for strategy in curves.STRATEGIES]
    rows = [r for r in rows if not (r["step"] == 1000 and r["split"] == "hard" and r["strategy"] == "top_prob")]
    lines = curves.table(rows).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| elbo | 500 | 32,000 |")
    assert lines[3].endswith("| 21.5% | 21.5% | 21.5% | - |")  # a snapshot not yet decoded shows "-"


def test_minutes_come_from_the_trainer_clock_and_refresh_old_rows(curves, tmp_path, monkeypatch):
    """A run resumed in a later session: the stamp's minutes would count the gap (even go negative); the
    trainer's elapsed_s does not, and rows written before with stamp minutes are corrected."""
    run_dir = tmp_path / "runs" / "curve-elbo"
    for step in (4, 8):
        (run_dir / "checkpoints" / f"step_{step:08d}").mkdir(parents=True)
        (run_dir / "checkpoints" / f"step_{step:08d}" / "config.json").write_text("{}")
    (run_dir / "curve_start.json").write_text(json.dumps({"start": time.time() + 3600, "done": True}))
    (run_dir / "metrics.jsonl").write_text("\n".join(json.dumps(m) for m in [
        {"step": 4, "samples": 256, "flops": 1.0, "elapsed_s": 120.0}, {"step": 6, "eval/x": 1.0},
        {"step": 8, "samples": 512, "flops": 2.0, "elapsed_s": 300.0}]) + "\n")
    old = {"recipe": "elbo", "step": "4", "samples": "256", "train_flops": "1.0", "wall_min": "-60.0",
           "split": "test", "strategy": "top_prob_margin", "exact": "0.5"}
    with (tmp_path / "curves.csv").open("w", newline="") as f:
        f.write(",".join(old) + "\n" + ",".join(old.values()) + "\n")
    monkeypatch.setattr(curves, "exact", lambda *a: 0.25)
    rows = curves.evaluate(tmp_path, ["elbo"], 4)
    minutes = {(int(r["step"]), r["split"], r["strategy"]): float(r["wall_min"]) for r in rows}
    assert minutes[(4, "test", "top_prob_margin")] == 2.0  # refreshed, not decoded again
    assert {m for (s, *_), m in minutes.items() if s == 8} == {5.0}
    assert len(rows) == 2 * 2 * len(curves.STRATEGIES)
    saved = list(curves.csv.DictReader((tmp_path / "curves.csv").open()))
    assert float(saved[0]["wall_min"]) == 2.0 and saved[0]["exact"] == "0.5"


def test_time_limit_sigint_stops_a_trainer_started_from_a_background_shell(curves):
    """A background job inherits SIGINT ignored; the trainer's process gets it back (else --time-limit was lost)."""
    import signal
    import subprocess
    import sys

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under `nohup ... &`
    try:
        sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
        ignoring = subprocess.Popen(sleeper)
        restored = subprocess.Popen(sleeper, preexec_fn=curves.default_sigint)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        time.sleep(0.5)
        for proc in (ignoring, restored):
            proc.send_signal(signal.SIGINT)
        assert restored.wait(timeout=20) != 0  # stopped by the SIGINT
        with pytest.raises(subprocess.TimeoutExpired):
            ignoring.wait(timeout=1)  # the control: without the reset the SIGINT is lost
    finally:
        ignoring.kill()
        restored.kill()
        ignoring.wait()


def test_eval_only_scores_saved_snapshots_without_starting_a_trainer(curves, tmp_path, monkeypatch):
    run_dir = tmp_path / "runs" / "curve-elbo"
    (run_dir / "checkpoints" / "step_00000004").mkdir(parents=True)
    (run_dir / "checkpoints" / "step_00000004" / "config.json").write_text("{}")
    (run_dir / "curve_start.json").write_text(json.dumps({"start": time.time(), "done": False}))
    (run_dir / "metrics.jsonl").write_text(json.dumps({"step": 4, "samples": 256, "flops": 1.0, "elapsed_s": 60.0}))

    def no_trainer(*a, **kw):
        raise AssertionError("--eval-only started a trainer")

    monkeypatch.setattr(curves.subprocess, "Popen", no_trainer)
    monkeypatch.setattr(curves, "exact", lambda *a: 0.5)
    monkeypatch.setattr(curves, "plot", lambda rows, path: None)
    curves.main(["--out", str(tmp_path), "--recipes", "elbo", "--eval-only"])
    rows = list(curves.csv.DictReader((tmp_path / "curves.csv").open()))
    assert {(r["step"], r["wall_min"], r["exact"]) for r in rows} == {("4", "1.0", "0.5")}
    assert len(rows) == 2 * len(curves.STRATEGIES)
