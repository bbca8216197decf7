"""Writing experiment results: a markdown table (with title and notes) and the same rows as CSV, and the pieces
every report shares.

``write_table(rows, path_md, path_csv, title, notes)``: rows are dicts sharing keys (the first row's key order
gives the columns; keys first seen in later rows are appended). Floats are written with ``float_format``.
``write_report`` writes OUT/STEM.md, .csv and (with ``plot``) .png in one call; ``figure`` is the matplotlib
scaffolding of the plots (Agg backend, layout, save, close); ``smoke_title``, ``reproduce_command`` and
``command_note`` build the title and the first note ("Command: `anyorder reproduce ...`; facts, N min wall.").
"""
from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from anyorder.errors import InputError
from anyorder.io import atomic_write


def columns_of(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Column names in first-seen order over all rows."""
    cols: list[str] = []
    for row in rows:
        cols.extend(key for key in row if key not in cols)
    return cols


def format_cell(value: Any, float_format: str = "{:.4g}") -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return float_format.format(value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[dict[str, Any]], float_format: str = "{:.4g}") -> str:
    """GitHub markdown table of ``rows`` (empty string for no rows)."""
    if not rows:
        return ""
    cols = columns_of(rows)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(format_cell(row.get(c), float_format) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def write_table(rows: Sequence[dict[str, Any]], path_md: str | Path, path_csv: str | Path | None = None,
                title: str = "", notes: str | Sequence[str] = "", float_format: str = "{:.4g}") -> str:
    """Write ``rows`` as markdown (``# title``, table, notes) to path_md and as CSV to path_csv; returns the
    markdown text. Parent folders are created."""
    notes_text = notes if isinstance(notes, str) else "\n".join(f"- {n}" for n in notes)
    parts = [f"# {title}\n" if title else "", markdown_table(rows, float_format),
             f"\n{notes_text}\n" if notes_text else ""]
    text = "\n".join(p for p in parts if p)
    path_md = Path(path_md)
    path_md.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path_md, text)  # temp file + os.replace: never a half-written report
    if path_csv is not None:
        write_csv(rows, path_csv)
    return text


def write_csv(rows: Sequence[dict[str, Any]], path_csv: str | Path) -> None:
    """Write ``rows`` as CSV (header = ``columns_of(rows)``) atomically; parent folders are created."""
    path_csv = Path(path_csv)
    path_csv.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns_of(rows))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path_csv, buffer.getvalue())


def read_table(path_csv: str | Path) -> list[dict[str, Any]]:
    """Rows of a CSV written by ``write_table``: numbers back to int / float, empty cells to None, text kept."""
    path_csv = Path(path_csv)
    if not path_csv.is_file():
        raise InputError(f"{path_csv}: no such report table (run the experiment first)")
    with path_csv.open(newline="") as f:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _cell(text: str) -> Any:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def write_report(rows: Sequence[dict[str, Any]], out: str | Path, stem: str, title: str,
                 notes: str | Sequence[str] = "", plot: Callable[[Any, Path, str], None] | None = None,
                 float_format: str = "{:.4g}") -> str:
    """``write_table`` to OUT/STEM.md and OUT/STEM.csv, then ``plot(rows, OUT/STEM.png, title)`` when given;
    returns the markdown text."""
    out = Path(out)
    text = write_table(rows, out / f"{stem}.md", out / f"{stem}.csv", title=title, notes=notes,
                       float_format=float_format)
    if plot is not None:
        plot(rows, out / f"{stem}.png", title)
    return text


@contextlib.contextmanager
def figure(path: str | Path, dpi: int = 120, **subplots: Any) -> Iterator[tuple[Any, Any]]:
    """``with figure(path, figsize=(w, h)) as (fig, axes):`` -- ``plt.subplots(**subplots)`` on the Agg backend
    (files only, never a window); when the block ends without error the figure is laid out (``tight_layout``)
    and saved to ``path`` at ``dpi``; it is closed either way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(**subplots)
    try:
        yield fig, axes
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)


def smoke_title(title: str, smoke: bool, what: str) -> str:
    """``title`` marked "(SMOKE RUN: what)" for a smoke run, so a quick check is never read as a result."""
    return f"{title} (SMOKE RUN: {what})" if smoke else title


def reproduce_command(experiment: str, flags: Sequence[tuple[str, Any]]) -> str:
    """``anyorder reproduce EXPERIMENT --flag value ...`` in the order given: a flag whose value is None or False
    is left out, True writes the bare flag."""
    words = ["anyorder", "reproduce", experiment]
    for flag, value in flags:
        if value is None or value is False:
            continue
        words += [flag] if value is True else [flag, str(value)]
    return " ".join(words)


def command_note(command: str, facts: Sequence[str], seconds: float) -> str:
    """The first note of a report: "Command: `command`; fact, fact, M.M min wall." (``seconds`` of wall time)."""
    return f"Command: `{command}`; " + ", ".join([*facts, f"{seconds / 60:.1f} min wall"]) + "."
