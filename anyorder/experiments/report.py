"""Writing experiment results: a markdown table (with title and notes) and the same rows as CSV.

``write_table(rows, path_md, path_csv, title, notes)``: rows are dicts sharing keys (the first row's key order
gives the columns; keys first seen in later rows are appended). Floats are written with ``float_format``.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

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
        path_csv = Path(path_csv)
        path_csv.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=columns_of(rows))
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(path_csv, buffer.getvalue())
    return text
