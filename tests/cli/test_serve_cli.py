"""``anyorder serve``: argument handling (uvicorn.run is replaced; the app itself is tested in
tests/experiments/visual)."""
import pytest

from anyorder.cli import main

uvicorn = pytest.importorskip("uvicorn")


def test_serve_defaults_to_localhost_and_the_shipped_checkpoint(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: seen.update(app=app, host=host, port=port))
    assert main(["serve", "--port", "8765", "--max-concurrent", "2"]) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8765
    assert seen["app"].state.slots.n == 2
    assert "sudoku-mdm" in capsys.readouterr().err


def test_serve_bad_checkpoint_and_limits_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    assert main(["serve", "--checkpoint", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["serve", "--max-concurrent", "0"]) == 2
    assert "max_concurrent must be > 0" in capsys.readouterr().err
    assert main(["serve", "--checkpoint", "anyorder/assets/checkpoints/sudoku-arm-solver"]) == 2
    assert "not an MDM" in capsys.readouterr().err
