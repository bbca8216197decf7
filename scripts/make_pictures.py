"""Regenerate the README's pictures (docs/images/) from the shipped Sudoku MDM and test split.

    python scripts/make_pictures.py                 # all: order.png, heatmap.png, scores.png, serve.png
    python scripts/make_pictures.py --no-browser    # skip the app screenshot (needs Playwright + Chromium)

order.png: test puzzle 1 decoded by vanilla (Algorithm 1), top_prob and top_prob_margin (50 steps, no noise, seed
0) beside the step solver's order. heatmap.png: mean reveal rank of every cell over the first --n test puzzles,
vanilla vs top_prob_margin. scores.png: the chosen score of every revealed cell of puzzle 1 per step.
serve.png: ``anyorder serve`` in headless Chromium after solving puzzle 1 with three strategies, solver overlay on.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from anyorder.decode import Plan
from anyorder.experiments.sudoku.evaluate import decode_puzzles, load_sudoku_model
from anyorder.experiments.visual import static
from anyorder.experiments.visual.replay import load_displayed
from anyorder.experiments.visual.sudoku import order_pictures, paper_plans, replays, strategy_label
from anyorder.tasks.sudoku.dataset import shipped

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def heatmaps(sm, n: int, path: Path) -> None:
    data = shipped("test", n)
    plans = [paper_plans()[0], paper_plans()[2]]
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.2))
    for ax, plan in zip(axes, plans):
        dec = decode_puzzles(sm, data.puzzles, plan, batch_size=256)
        mean, _ = static.mean_reveal_position(data.puzzles, dec.order)
        im = ax.imshow(mean.reshape(9, 9), cmap=static.CMAP, vmin=0, vmax=1)
        for k in (2.5, 5.5):
            ax.axhline(k, color="white", lw=1.5)
            ax.axvline(k, color="white", lw=1.5)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{strategy_label(plan)}: mean reveal rank\n({n} test puzzles, blanks only)", fontsize=9)
    fig.colorbar(im, ax=axes.tolist(), fraction=0.025, label="0 = revealed first, 1 = last")
    static.save(fig, path)


def screenshot(path: Path, puzzle: str) -> None:
    from playwright.sync_api import sync_playwright

    from anyorder.experiments.visual.app import create_app, running

    exe = os.environ.get("ANYORDER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    with running(create_app(load_displayed())) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1250, "height": 880})
        page.goto(url)
        page.wait_for_selector("body[data-state=ready]")
        page.fill("#problem", puzzle)
        page.check("#lane3")
        page.check("#showref")
        page.click("#solve")
        page.wait_for_selector("body[data-state=done]", timeout=300_000)
        page.screenshot(path=str(path), full_page=True)
        browser.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="test puzzles of the heat maps")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sm = load_sudoku_model()
    data = shipped("test", 1)
    puzzle, solution = data.puzzles[0], data.solutions[0]
    plans = paper_plans(Plan(steps=50))
    order_pictures(sm, puzzle, plans, png=out / "order.png", solution=solution)
    reps = replays(sm, puzzle, plans)
    static.save(static.plot_score_traces({strategy_label(p): (r.order, r.scores) for p, r in zip(plans, reps)},
                                         title="test puzzle 1: score of each revealed cell at its step"),
                out / "scores.png")
    heatmaps(sm, args.n, out / "heatmap.png")
    if not args.no_browser:
        screenshot(out / "serve.png", "".join(map(str, puzzle)))
    for name in sorted(p.name for p in out.glob("*.png")):
        print(out / name, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
