"""Training loss against samples for one or more runs (each a run and its fine-tunes, chained), with power-law fits.

    python scripts/learning_curve.py --out reports/sudoku-training/arm-curve \
        --curve arm-solver reports/sudoku-training/sudoku-arm-solver.metrics.jsonl \
                           reports/sudoku-training/gpu-2026-12-01/sudoku-arm-solver.metrics.jsonl \
        --curve arm-fixed ...

Writes OUT/curve.md + curve.csv (every record: label, segment, step, samples, flops, metric, lr) and
OUT/curve.png (metric vs samples, log-log, with each fit), and OUT/fit.md (one line per curve: the exponent of
metric ~ samples^k fitted on the last part of the curve, samples >= --fit-from x the total).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from anyorder.experiments.report import figure, write_table
from anyorder.train.learning_curve import chain, power_law_fit, read_metrics


def plot(curves: dict[str, list[dict]], fits: dict, metric: str, path: Path, title: str) -> None:
    with figure(path, figsize=(6.5, 4.2)) as (_, ax):
        for label, rows in curves.items():
            xs, ys = [r["samples"] for r in rows], [r[metric] for r in rows]
            line, = ax.plot(xs, ys, label=label)
            fit = fits[label]
            ax.plot([fit.x_min, fit.x_max], [fit(fit.x_min), fit(fit.x_max)], "--", color=line.get_color(),
                    label=f"{label} fit: k = {fit.exponent:.2f}")
        ax.set(xscale="log", yscale="log", xlabel="training samples", ylabel=metric, title=title)
        ax.legend(fontsize=8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--curve", nargs="+", action="append", required=True, metavar=("LABEL", "METRICS"),
                        help="a label, then the metrics.jsonl of the run and of each fine-tune of it, in order")
    parser.add_argument("--metric", default="ce", help="the logged training metric to plot (default: ce)")
    parser.add_argument("--fit-from", type=float, default=1 / 6,
                        help="fit on samples >= this fraction of the curve's total (default: 1/6)")
    parser.add_argument("--title", default="Training loss against samples")
    args = parser.parse_args()
    curves, fits, table = {}, {}, []
    for label, *paths in args.curve:
        if not paths:
            parser.error(f"--curve {label}: give at least one metrics.jsonl")
        rows = [r for r in chain([read_metrics(p) for p in paths]) if args.metric in r]
        curves[label] = rows
        total = rows[-1]["samples"]
        fits[label] = power_law_fit([r["samples"] for r in rows], [r[args.metric] for r in rows],
                                    x_min=args.fit_from * total)
        table += [{"label": label, "segment": r["segment"], "step": r.get("step"), "samples": r["samples"],
                   "flops": r.get("flops"), args.metric: r[args.metric], "lr": r.get("lr")} for r in rows]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_table(table, out / "curve.md", out / "curve.csv", title=args.title,
                notes=[f"Command: python scripts/learning_curve.py --out {args.out} "
                       + " ".join("--curve " + " ".join(c) for c in args.curve)])
    fit_rows = [{"label": label, "samples": curves[label][-1]["samples"], f"{args.metric} at end":
                 curves[label][-1][args.metric], "fit from": fit.x_min, "points": fit.n, "exponent k": fit.exponent}
                for label, fit in fits.items()]
    print(write_table(fit_rows, out / "fit.md", title=f"{args.metric} ~ samples^k, fitted on the last part"))
    plot(curves, fits, args.metric, out / "curve.png", args.title)


if __name__ == "__main__":
    main()
