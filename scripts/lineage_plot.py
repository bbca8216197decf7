"""Exact accuracy of a model lineage against its cumulative training samples (what more compute buys).

    python scripts/lineage_plot.py reports/sudoku-training/lineage/lineage.csv --out reports/sudoku-training/lineage

The CSV has one row per training stage: name, parent (the stage it started from; empty for the first), hardware
(gpu / cpu), samples and flops (of this stage alone), test and hard (exact accuracy after it, as fractions),
n (puzzles per split), source (where the numbers were measured). Writes OUT/lineage.png (test and hard accuracy
against cumulative samples, one marker per stage with one binomial standard error, GPU and CPU stages told apart,
each stage joined to its parent) and OUT/lineage.md (the rows with cumulative samples and FLOPs).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from anyorder.errors import InputError
from anyorder.experiments.report import figure, read_table, write_table

MARKERS = {"gpu": "s", "cpu": "o"}


def with_cumulative(rows: list[dict]) -> list[dict]:
    """``rows`` with ``samples_total`` and ``flops_total``: the stage's own plus all its ancestors'. Parents are
    names of other rows, or "" for a first stage."""
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        if row["parent"] and row["parent"] not in by_name:
            raise InputError(f"lineage: stage {row['name']!r} names an unknown parent {row['parent']!r}")
    out = []
    for row in rows:
        samples, flops, seen, node = 0.0, 0.0, set(), row
        while node is not None:
            if node["name"] in seen:
                raise InputError(f"lineage: stage {row['name']!r} has a parent cycle")
            seen.add(node["name"])
            samples, flops = samples + float(node["samples"]), flops + float(node["flops"])
            node = by_name.get(node["parent"]) if node["parent"] else None
        out.append({**row, "samples_total": samples, "flops_total": flops})
    return out


def plot(rows: list[dict], path: Path) -> None:
    by_name = {row["name"]: row for row in rows}
    with figure(path, figsize=(11, 4.2), ncols=2) as (_, axes):
        for ax, split in zip(axes, ("test", "hard")):
            for i, row in enumerate(rows):
                x, y = row["samples_total"] / 1e6, row[split]
                parent = by_name.get(row["parent"])
                if parent is not None:
                    ax.plot([parent["samples_total"] / 1e6, x], [parent[split], y], "-", color="tab:blue", alpha=0.6)
                gpu = row["hardware"] == "gpu"
                ax.errorbar(x, y, yerr=(y * (1 - y) / row["n"]) ** 0.5, fmt=MARKERS[row["hardware"]], capsize=2,
                            color="tab:red" if gpu else "tab:blue", markerfacecolor="tab:red" if gpu else "white")
                ax.annotate(row["name"], (x, y), fontsize=7, xytext=(4, 6 if i % 2 else -10), textcoords="offset points")
            ax.set(xlabel="cumulative training samples (millions; FLOPs in lineage.md)",
                   ylabel=f"exact accuracy, {split} split")
            ax.grid(alpha=0.3)
        axes[0].plot([], [], "s", color="tab:red", label="after a GPU stage")
        axes[0].plot([], [], "o", color="tab:blue", markerfacecolor="white", label="after a CPU stage")
        axes[0].legend(fontsize=8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        rows = read_table(args.csv)
    except InputError as error:
        raise SystemExit(str(error)) from None
    missing = {"name", "parent", "hardware", "samples", "flops", "test", "hard", "n"} - set(rows[0] if rows else {})
    if missing:
        raise SystemExit(f"{args.csv}: missing columns {sorted(missing)}")
    for row in rows:
        row["parent"] = "" if row["parent"] in (None, "") else str(row["parent"])
        if row["hardware"] not in MARKERS:
            raise SystemExit(f"{args.csv}: stage {row['name']!r}: hardware must be gpu or cpu, not {row['hardware']!r}")
    try:
        rows = with_cumulative(rows)
    except InputError as error:
        raise SystemExit(f"{args.csv}: {error}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot(rows, out / "lineage.png")
    write_table(rows, out / "lineage.md")
    print(f"wrote {out / 'lineage.png'} and {out / 'lineage.md'}")


if __name__ == "__main__":
    main()
