"""Learning curves of Sudoku MDM training recipes on this machine (issue 11, item 1; paper Sec. 4.6, Table 2).

Each recipe is ``anyorder train <preset> key=value ...`` run for a fixed number of optimizer steps (so that the
cosine learning-rate schedule really decays within the run), snapshotted ``--snapshots`` times; every snapshot is
decoded with ``anyorder solve`` (50 steps, argmax, top_prob_margin and top_prob) on the first ``--n-eval``
puzzles of the shipped test and hard splits. Outputs under ``--out``:

    runs/curve-<recipe>/     the training runs (resumable: rerun the script and finished runs are reused)
    curves.csv               recipe, step, samples, train_flops, wall_min, split, strategy, exact
    curves.md                the same as a table, one line per snapshot
    curves.png               exact accuracy against wall-clock minutes and against training FLOPs

Wall-clock minutes are those of the training process on this machine (2 cores here; note other load): the
trainer's own clock (``elapsed_s`` in metrics.jsonl, carried across ``--resume``, so time between sessions does
not count); runs without it fall back to the time from the run start to the moment each snapshot was written.
Everything goes through the CLI, so the script measures exactly what a user runs. Example (the CPU study of docs/training.md):

    python benchmarks/sudoku_curves.py --out ~/.cache/anyorder/curves --steps 3000 --snapshots 6
    python benchmarks/sudoku_curves.py --out /tmp/c --steps 8 --snapshots 2 --n-eval 4 --recipes elbo  # smoke
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from anyorder.experiments.report import write_csv
from anyorder.train.learning_curve import read_metrics

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ROOT / "anyorder" / "assets" / "sudoku"
STRATEGIES = ("top_prob_margin", "top_prob")

# recipe -> (preset, overrides). Base: sudoku-mdm-cpu (4 x 128, row/col/box positions, batch 64).
# Every recipe pins what the study held fixed, so later changes of the preset do not change the recipes: the
# schedule decays to 0 over --steps (no wall-clock budget), eager mode unless the recipe says otherwise.
_FIXED = ("max_seconds=0", "compile=false")
_DECAY = ("optim.min_lr_ratio=0.0",) + _FIXED
RECIPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "elbo": ("sudoku-mdm-cpu", ("mdm.sampling=continuous",) + _DECAY),  # 1/t ELBO, linear schedule (Sec. 2.4)
    "subset": ("sudoku-mdm-cpu", ("mdm.sampling=subset",) + _DECAY),  # uniform |M| form (Prop. 2.1)
    "ye": ("sudoku-mdm-cpu", ("mdm.sampling=discrete", "mdm.time_weight=linear", "mdm.token_weight=focal",
                              "mdm.normalize=token") + _DECAY),  # Ye et al. codebase reweighting
    "elbo-const-lr": ("sudoku-mdm-cpu", ("mdm.sampling=continuous", "optim.min_lr_ratio=1.0") + _FIXED),
    "elbo-2x64": ("sudoku-mdm-cpu", ("model.n_layers=2", "model.d_model=64") + _DECAY),
    "elbo-6x256": ("sudoku-mdm-cpu", ("model.n_layers=6", "model.d_model=256", "model.n_heads=8") + _DECAY),
    "elbo-compile": ("sudoku-mdm-cpu", ("mdm.sampling=continuous",) + _DECAY + ("compile=true",)),
    # progressive, planner-aligned masking (PUMA idea; anyorder/train/progressive.py), margin planner
    "puma": ("sudoku-mdm-cpu", ("objective=puma", "puma.steps=20", "puma.random_fraction=0.2") + _DECAY),
    "puma-pure": ("sudoku-mdm-cpu", ("objective=puma", "puma.steps=20", "puma.random_fraction=0.0") + _DECAY),
}


def _anyorder(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "anyorder", *args], env=env, cwd=ROOT, **kw)


def default_sigint() -> None:
    """In the trainer's process before it starts: SIGINT back to its default. A job started in the background by a
    shell (``nohup ... &``) inherits SIGINT ignored, and Python then never installs its KeyboardInterrupt handler,
    so a ``--time-limit`` SIGINT that arrived before the trainer's own handler was lost and the run went on to
    ``max_steps``; with the default, such an early SIGINT stops the trainer before it has trained anything."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def train(recipe: str, out: Path, steps: int, snapshots: int, train_path: str, time_limit: float | None) -> Path:
    """Run (or resume) one recipe; returns its run directory. Start time goes to run_dir/curve_start.json."""
    preset, overrides = RECIPES[recipe]
    name, runs = f"curve-{recipe}", out / "runs"
    run_dir = runs / name
    every = max(steps // snapshots, 1)
    args = [preset, *overrides, f"task_options.train_path={train_path}", f"max_steps={steps}",
            f"ckpt_every={every}", f"log_every={max(1, min(50, every))}", f"keep_checkpoints={snapshots + 1}", f"eval_every={10 * steps}",
            "task_options.n_eval=1", f"name={name}", "--out-dir", str(runs), "--no-progress"]
    stamp, latest = run_dir / "curve_start.json", run_dir / "checkpoints" / "latest"
    resume = latest.is_file()
    if resume and not stamp.is_file():
        raise SystemExit(f"{run_dir} has checkpoints but no curve_start.json (not made by this script?); move it away")
    if resume and json.loads(stamp.read_text()).get("done"):
        return run_dir
    # wall time already spent = up to the last checkpoint (work after it is redone), so an abrupt kill is exact too
    start = time.time() - (latest.stat().st_mtime - json.loads(stamp.read_text())["start"] if resume else 0.0)
    run_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"start": start, "done": False}))
    log = open(out / f"{name}.log", "a")
    proc = subprocess.Popen([sys.executable, "-m", "anyorder", "train", *args] + (["--resume"] if resume else []),
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=log, stderr=log,
                            preexec_fn=default_sigint)
    try:
        proc.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        proc.send_signal(2)  # SIGINT: the trainer saves a checkpoint and exits; rerun to continue
        proc.wait()
    stamp.write_text(json.dumps({"start": start, "done": proc.returncode == 0}))
    return run_dir


def snapshots(run_dir: Path) -> list[tuple[int, Path, float]]:
    """(step, checkpoint dir, wall minutes since the run started) of every kept checkpoint."""
    start = json.loads((run_dir / "curve_start.json").read_text())["start"]
    out = []
    for d in sorted((run_dir / "checkpoints").glob("step_*")):
        out.append((int(d.name.split("_")[1]), d, ((d / "config.json").stat().st_mtime - start) / 60.0))
    return out


def metrics_at(run_dir: Path, step: int) -> tuple[int, float, float | None]:
    """(samples, cumulative training FLOPs, training seconds or None) at the last metrics line at or before
    ``step``. The seconds are the trainer's ``elapsed_s``, which a checkpoint carries across ``--resume``."""
    best: tuple[int, float, float | None] = (0, 0.0, None)
    for m in read_metrics(run_dir / "metrics.jsonl"):
        if m["step"] <= step:
            best = (int(m["samples"]), float(m.get("flops", 0.0)), m.get("elapsed_s"))
    return best


def exact(ckpt: Path, split: str, strategy: str, n: int, tmp: Path) -> float:
    """Fraction of the first n puzzles of a shipped split that ``anyorder solve`` completes exactly."""
    data = np.load(SPLITS / f"{split}.npz")
    puzzles, solutions = data["puzzles"][:n], data["solutions"][:n]
    src, dst = tmp / f"{split}-{n}.txt", tmp / "solved.txt"
    src.write_text("".join("".join(map(str, p)) + "\n" for p in puzzles))
    r = _anyorder("solve", "--file", str(src), "--output", str(dst), "--checkpoint", str(ckpt),
                  "--strategy", strategy, "--steps", "50", capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"anyorder solve failed on {ckpt}: {r.stderr.strip()[-500:]}")
    pred = np.array([[int(c) for c in line.strip()] for line in dst.read_text().splitlines()])
    return float((pred == solutions).all(1).mean())


def evaluate(out: Path, recipes: list[str], n_eval: int) -> list[dict]:
    """Rows of curves.csv; snapshots already in it are not decoded again."""
    path = out / "curves.csv"
    rows = list(csv.DictReader(path.open())) if path.is_file() else []
    seen = {(r["recipe"], int(r["step"]), r["split"], r["strategy"]) for r in rows}
    for recipe in recipes:
        run_dir = out / "runs" / f"curve-{recipe}"
        for step, ckpt, wall in snapshots(run_dir):
            samples, flops, seconds = metrics_at(run_dir, step)
            if seconds is not None:  # the trainer's clock: exact across resumes and gaps between sessions
                wall = seconds / 60.0
            for row in rows:  # rows written before (e.g. with the stamp's minutes) get the same minutes
                if row["recipe"] == recipe and int(row["step"]) == step:
                    row["wall_min"] = round(wall, 2)
            for split in ("test", "hard"):
                for strategy in STRATEGIES:
                    if (recipe, step, split, strategy) in seen:
                        continue
                    rows.append({"recipe": recipe, "step": step, "samples": samples, "train_flops": flops,
                                 "wall_min": round(wall, 2), "split": split, "strategy": strategy,
                                 "exact": exact(ckpt, split, strategy, n_eval, out)})
                    write_csv(rows, path)
    if rows:
        write_csv(rows, path)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown (experiments.report.markdown_table): one line per (recipe, snapshot), the four exact accuracies."""
    from anyorder.experiments.report import markdown_table

    lines = []
    for recipe, step in sorted({(r["recipe"], int(r["step"])) for r in rows}):
        at = {(r["split"], r["strategy"]): r for r in rows if r["recipe"] == recipe and int(r["step"]) == step}
        first = next(iter(at.values()))
        line = {"recipe": recipe, "step": f"{step:,}", "samples": f"{int(first['samples']):,}",
                "training FLOPs": f"{float(first['train_flops']):.2g}", "wall min": f"{float(first['wall_min']):.1f}"}
        for split in ("test", "hard"):
            for strategy in STRATEGIES:
                r = at.get((split, strategy))
                line[f"{split} {strategy}"] = f"{100 * float(r['exact']):.1f}%" if r else "-"
        lines.append(line)
    return markdown_table(lines)


def plot(rows: list[dict], path: Path) -> None:
    """Exact accuracy against wall minutes (left) and training FLOPs (right); test and hard split rows."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharey="row")
    recipes = sorted({r["recipe"] for r in rows})
    colors = dict(zip(recipes, plt.cm.tab10.colors))
    for i, split in enumerate(("test", "hard")):
        for j, x in enumerate(("wall_min", "train_flops")):
            ax = axes[i, j]
            for recipe in recipes:
                for strategy, style in zip(STRATEGIES, ("-", "--")):
                    pts = sorted((float(r[x]), float(r["exact"])) for r in rows
                                 if r["recipe"] == recipe and r["split"] == split and r["strategy"] == strategy)
                    if pts:
                        ax.plot(*zip(*pts), style, marker="o", color=colors[recipe],
                                label=f"{recipe} ({strategy})" if (i, j) == (0, 0) else None)
            ax.set_xscale("log" if x == "train_flops" else "linear")
            ax.set_xlabel("wall-clock minutes (this machine)" if x == "wall_min" else "training FLOPs")
            ax.set_ylabel(f"exact, {split} split")
            ax.grid(alpha=0.3)
    fig.legend(loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="output directory (runs, CSV, plot)")
    p.add_argument("--recipes", default=",".join(RECIPES), help=f"comma-separated subset of {list(RECIPES)}")
    p.add_argument("--steps", type=int, default=3000, help="optimizer steps per recipe (the schedule's length)")
    p.add_argument("--snapshots", type=int, default=6, help="checkpoints evaluated per recipe")
    p.add_argument("--n-eval", type=int, default=200, help="puzzles per shipped split for each evaluation")
    p.add_argument("--train-path", default="generate", help="training data (task_options.train_path)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per recipe before SIGINT (resumable)")
    p.add_argument("--plot-only", action="store_true", help="redraw curves.png from curves.csv")
    p.add_argument("--eval-only", action="store_true",
                   help="score the snapshots the runs already have, without training (e.g. a run stopped by the end "
                        "of a session); rerun without it to continue training")
    a = p.parse_args(argv)
    recipes = a.recipes.split(",")
    unknown = sorted(set(recipes) - set(RECIPES))
    if unknown:
        p.error(f"unknown recipe(s) {unknown}; valid: {list(RECIPES)}")
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.plot_only:
        if not a.eval_only:
            for recipe in recipes:
                train(recipe, a.out, a.steps, a.snapshots, a.train_path, a.time_limit)
        rows = evaluate(a.out, recipes, a.n_eval)
    else:
        rows = list(csv.DictReader((a.out / "curves.csv").open()))
    plot(rows, a.out / "curves.png")
    (a.out / "curves.md").write_text(table(rows))
    print(f"wrote {a.out / 'curves.csv'}, curves.md and curves.png")


if __name__ == "__main__":
    main()
