"""Shared report pieces: write_report, figure, smoke_title, reproduce_command, command_note."""
import matplotlib
import pytest

from anyorder.errors import InputError
from anyorder.experiments.report import (
    command_note,
    figure,
    read_table,
    reproduce_command,
    smoke_title,
    write_csv,
    write_report,
)


def test_write_report_writes_markdown_csv_and_the_plot(tmp_path):
    seen = []

    def plot(rows, path, title):
        seen.append((len(rows), path.name, title))
        with figure(path, figsize=(2, 2)) as (_, ax):
            ax.plot([r["x"] for r in rows])

    rows = [{"x": 1, "y": 0.5}, {"x": 2, "y": 0.25}]
    text = write_report(rows, tmp_path / "out", "stem", "T", ["a note"], plot=plot)
    assert text == (tmp_path / "out" / "stem.md").read_text() and text.startswith("# T") and "- a note" in text
    assert (tmp_path / "out" / "stem.csv").read_text().splitlines()[0] == "x,y"
    assert seen == [(2, "stem.png", "T")] and (tmp_path / "out" / "stem.png").read_bytes()[:4] == b"\x89PNG"
    write_report(rows, tmp_path / "bare", "stem", "T")
    assert not (tmp_path / "bare" / "stem.png").exists()


def test_figure_saves_on_success_and_always_closes(tmp_path):
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    with figure(tmp_path / "a.png", nrows=1, ncols=2) as (fig, axes):
        assert len(axes) == 2 and matplotlib.get_backend().lower() == "agg"
    assert (tmp_path / "a.png").is_file() and len(plt.get_fignums()) == before
    with pytest.raises(RuntimeError):
        with figure(tmp_path / "b.png"):
            raise RuntimeError("plot failed")
    assert not (tmp_path / "b.png").exists() and len(plt.get_fignums()) == before


def test_titles_commands_and_notes():
    assert smoke_title("T", False, "tiny") == "T" and smoke_title("T", True, "tiny") == "T (SMOKE RUN: tiny)"
    flags = [("--out", "o"), ("--smoke", True), ("--n", None), ("--skip", False), ("--x", 0.5)]
    assert reproduce_command("exp", flags) == "anyorder reproduce exp --out o --smoke --x 0.5"
    assert command_note("cmd", ["step 3", "L = 8"], 90) == "Command: `cmd`; step 3, L = 8, 1.5 min wall."
    assert command_note("cmd", [], 6) == "Command: `cmd`; 0.1 min wall."


def test_read_table_round_trips_numbers_text_and_empty_cells(tmp_path):
    rows = [{"N": 5, "acc_%": 94.23, "pair": "(25,275)", "paper": None}, {"N": 20, "acc_%": 1e-3, "pair": "x,y",
                                                                         "paper": 62.84}]
    write_report(rows, tmp_path, "t", "T")
    assert read_table(tmp_path / "t.csv") == rows
    with pytest.raises(InputError, match="no such report table"):
        read_table(tmp_path / "missing.csv")


def test_write_csv_takes_every_rows_columns_and_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "rows.csv"
    write_csv([{"a": 1}, {"a": 2, "b": "x"}], path)
    assert path.read_text().splitlines() == ["a,b", "1,", "2,x"]
    write_csv([{"c": 3}], path)
    assert read_table(path) == [{"c": 3}]
    assert [p.name for p in path.parent.iterdir()] == ["rows.csv"]  # no temp file left behind
