"""Resume that survives damage (issue 18): a torn newest checkpoint or an empty ``latest`` falls back to the
newest checkpoint that verifies (said on stderr), a torn last line of metrics.jsonl is dropped."""
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_trainer import config, fake_build, weights  # noqa: E402

from anyorder.train import trainer  # noqa: E402


@pytest.fixture(autouse=True)
def setup(monkeypatch):
    monkeypatch.setattr(trainer, "build_task", fake_build)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("damage", ["torn weights", "empty latest"])
def test_resume_falls_back_to_the_newest_verifying_checkpoint(tmp_path, capsys, damage):
    full = trainer.fit(config(tmp_path / "a", keep_checkpoints=3), progress=False)
    part = trainer.fit(config(tmp_path / "b", keep_checkpoints=3, max_steps=4), progress=False)
    capsys.readouterr()
    ckpts = part / "checkpoints"
    if damage == "torn weights":  # the newest (step 4) is torn: resume must start from step 2
        f = ckpts / "step_00000004" / "model.safetensors"
        f.write_bytes(f.read_bytes()[:100])
    else:  # an empty pointer (and step 4 gone: an exact comparison needs the step-2 start, see test_trainer)
        (ckpts / "latest").write_text("")
        shutil.rmtree(ckpts / "step_00000004")
    resumed = trainer.fit(config(tmp_path / "b", keep_checkpoints=3), resume=True, progress=False)
    err = capsys.readouterr().err
    assert ("sha256 mismatch" if damage == "torn weights" else "latest: empty pointer") in err
    assert "resuming from step_00000002, the newest checkpoint that verifies" in err
    a, b = weights(full), weights(resumed)  # exact resume from the fallback: same weights as the unbroken run
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_torn_metrics_line_is_dropped(tmp_path, capsys):
    part = trainer.fit(config(tmp_path, max_steps=4), progress=False)
    with open(part / "metrics.jsonl", "a") as f:
        f.write('{"step": 5, "loss": 1.')  # killed mid-write
    trainer.fit(config(tmp_path), resume=True, progress=False)
    assert "dropped 1 unreadable line(s)" in capsys.readouterr().err
    records = [json.loads(x) for x in (part / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records]
    assert steps == sorted(steps) and steps[-1] == 6 and len(steps) == len(set(steps))
