"""``anyorder reproduce beyond``: planners that correct themselves or use a verifier, against the paper's 50-step
planners, at measured NFE (issue 17). Not a paper table: the paper has no such decoders.

Decodes the first ``--n`` puzzles of the shipped test and hard splits with every configuration of ``CONFIGS``
(the paper's unmask-and-keep top_prob / top_prob_margin at 50 steps as the baseline; ``selfcorrect``,
``bestofn``, ``restart``, ``backtrack``, ``orderbeam``, ``beamback`` at several NFE caps; backtrack with the rules'
forced / implied fills, and the same search with a know-nothing model, ``MODEL_FREE``) and writes into ``--out``:

- ``frontier.md/.csv``: per split and configuration, exact accuracy, mean and max NFE per puzzle and every
  failure classified: *wrong reveal* (the decode finished, a wrong digit stayed), *dead end* (a contradiction
  with nothing left to undo) or *budget exhausted* (the NFE cap came with work left: masks filled at once,
  checks / samples / back-ups pending); the plain decoders cannot tell, so all their failures are wrong reveals;
- ``at_budget.md/.csv``: per method, the best exact accuracy among its configurations with mean NFE <= 50 / 100
  / 200;
- ``frontier.png``: exact accuracy against mean NFE, one panel per split;
- ``givens.md/.csv``: exact accuracy by number of givens (``--splits`` may name a dataset file, e.g. one built
  by ``anyorder data sudoku few.npz --from collection.txt``; it is reported under its file name);
- ``raw/<split>__<config>.json``: one file per finished run, reused by later calls with the same ``--n``, seed,
  checkpoint, Plan and decoding code (``code_digest``: a changed decoder reruns; ``--reuse-stale`` keeps such
  runs and the report marks them), so a long run can be stopped and resumed; ``config.json``: the arguments.

NFE counts sequence evaluations per puzzle (a model call on k rows of one puzzle counts k; ``orderbeam`` with
width W pays about W per step). ``--checkpoint``: any board81 / prompt164 Sudoku MDM (default: the shipped one).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from anyorder.decode import Plan
from anyorder.decode.result import BUDGET_EXHAUSTED, DEAD_END
from anyorder.errors import InputError
from anyorder.experiments.report import figure, write_table
from anyorder.experiments.sudoku import evaluate as ev
from anyorder.tasks.sudoku.dataset import rated_arrays, save_npz, shipped
from anyorder.tasks.sudoku.formats import load_any

DEFAULT_N = 200
SPLITS = ("test", "hard")
BASELINE = "paper planner, 50 steps"

# name -> (method, Plan): the paper's planners at 50 steps, then each correcting decoder at several NFE caps.
# The correcting decoders reveal with a threshold on the margin (forced moves in one call), at least one per call.
_TH = dict(budget="threshold", threshold=0.9)
# In run order (most informative first), so that a stopped run has the key rows.
CONFIGS: dict[str, tuple[str, Plan]] = {
    "margin-50": (BASELINE, Plan(steps=50)),
    "backtrack-100": ("backtrack", Plan(mode="backtrack", max_nfe=100, max_revisions=256, **_TH)),
    "selfcorrect-100": ("selfcorrect", Plan(mode="selfcorrect", max_nfe=100, max_revisions=32)),
    "bestofn-200": ("bestofn", Plan(mode="bestofn", samples=4, retry_noise=0.3)),
    "backtrack-200": ("backtrack", Plan(mode="backtrack", max_nfe=200, max_revisions=256, **_TH)),
    "backtrack-50": ("backtrack", Plan(mode="backtrack", max_nfe=50, max_revisions=256, **_TH)),
    "restart-100": ("restart", Plan(mode="restart", samples=32, retry_noise=0.3, steps=25, max_nfe=100)),
    "beamback-100": ("beamback", Plan(mode="beamback", beam_width=2, max_nfe=100, max_revisions=256, **_TH)),
    "beamback-200": ("beamback", Plan(mode="beamback", beam_width=2, max_nfe=200, max_revisions=512, **_TH)),
    "orderbeam-2": ("orderbeam", Plan(mode="orderbeam", beam_width=2, max_nfe=200, threshold=0.99)),
    "orderbeam-4": ("orderbeam", Plan(mode="orderbeam", beam_width=4, expand=3, max_nfe=200, threshold=0.99)),
    "top_prob-50": (BASELINE, Plan(steps=50, score="top_prob")),
    "bestofn-100": ("bestofn", Plan(mode="bestofn", samples=2, retry_noise=0.3)),
    "selfcorrect-75-r0.9": ("selfcorrect", Plan(mode="selfcorrect", max_nfe=75, revise_below=0.9, max_revisions=16)),
    # the rules' own deductions fill forced cells without a model call (Plan.propagate) ...
    "backtrack-100-forced": ("backtrack + forced fills", Plan(mode="backtrack", max_nfe=100, max_revisions=256,
                                                              propagate="forced", **_TH)),
    "backtrack-100-implied": ("backtrack + implied fills", Plan(mode="backtrack", max_nfe=100, max_revisions=256,
                                                                propagate="implied", **_TH)),
    # ... and the controls that say how much of it is the rules: the same search with a model that knows nothing
    "rules-100": ("rules only", Plan(mode="backtrack", max_nfe=100, max_revisions=256, **_TH)),
    "rules-100-forced": ("rules only + forced fills", Plan(mode="backtrack", max_nfe=100, max_revisions=256,
                                                           propagate="forced", **_TH)),
    "rules-100-implied": ("rules only + implied fills", Plan(mode="backtrack", max_nfe=100, max_revisions=256,
                                                             propagate="implied", **_TH)),
}
# configurations decoded with uniform logits instead of the checkpoint (model-free controls)
MODEL_FREE = frozenset({"rules-100", "rules-100-forced", "rules-100-implied"})


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, help=f"MDM checkpoint (default: {ev.DEFAULT_CHECKPOINT})")
    p.add_argument("--n", type=int, default=DEFAULT_N, help="puzzles per split (default: %(default)s)")
    p.add_argument("--splits", default=",".join(SPLITS),
                   help="comma-separated shipped splits or dataset files (default: %(default)s)")
    p.add_argument("--configs", default="", help=f"comma-separated subset of: {', '.join(CONFIGS)} (default: all)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report-only", action="store_true", help="only rebuild the tables and plot from raw/")
    p.add_argument("--reuse-stale", action="store_true",
                   help="reuse stored runs decoded by older decoding code (default: rerun them; the report "
                        "marks reused stale rows)")
    p.add_argument("--few-givens", type=int, default=0, metavar="K",
                   help="also decode OUT/fewgivens.npz: up to K generated puzzles per number of givens, fewest "
                        "first (built once from --few-pool puzzles of generator stream 17; default: off)")
    p.add_argument("--few-pool", type=int, default=6000, help="puzzles generated for --few-givens")


# Sources whose behaviour a stored result depends on besides its Plan: the decoders and the Sudoku rules hooks.
_CODE = ("anyorder/decode/*.py", "anyorder/tasks/sudoku/rules.py", "anyorder/experiments/sudoku/evaluate.py")


def code_digest() -> str:
    """sha256 (first 16 hex) of the decoding code behind a run (``_CODE``, sorted): each file's name and syntax
    tree (``ast.dump``), so that comments and formatting do not count, docstrings and code do."""
    root = Path(__file__).resolve().parents[3]
    h = hashlib.sha256()
    for path in sorted(p for pattern in _CODE for p in root.glob(pattern)):
        tree = ast.dump(ast.parse(path.read_text(encoding="utf-8")))
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + tree.encode() + b"\0")
    return h.hexdigest()[:16]


# the digest of the code this process imported (files edited while it runs must not relabel its results)
RUN_DIGEST = code_digest()


def run_key(name: str, n: int, seed: int, checkpoint: str) -> dict:
    """What a stored run must match to be reused: puzzles, seed, checkpoint, the Plan and the decoding code."""
    plan = {k: v for k, v in asdict(CONFIGS[name][1]).items() if v != getattr(Plan(), k)}
    return dict(n=n, seed=seed, checkpoint=checkpoint, plan=plan, code=RUN_DIGEST)


def _reusable(path: Path, key: dict, reuse_stale: bool) -> bool:
    """True if ``path`` holds a run for ``key``; with ``reuse_stale`` the code digest may differ (said on stdout)."""
    if not path.exists():
        return False
    stored = json.loads(path.read_text()).get("key") or {}
    if stored == key:
        return True
    same_run = {k: v for k, v in stored.items() if k != "code"} == {k: v for k, v in key.items() if k != "code"}
    if same_run and reuse_stale:
        print(f"reusing {path.name}: decoded by older code ({stored.get('code')}, now {key['code']})", flush=True)
        return True
    why = ("it predates recorded plans and code digests" if "code" not in stored else
           "the decoding code changed" if same_run else "its puzzles, seed, checkpoint or plan differ")
    print(f"rerunning {path.name}: {why}", flush=True)
    return False


def _code_state(key: dict) -> str:
    """'current', the stored older digest, or 'unrecorded' (runs stored before digests were kept)."""
    code = key.get("code")
    return "unrecorded" if code is None else "current" if code == RUN_DIGEST else f"older {code}"


def classify(exact: np.ndarray, status: np.ndarray | None) -> dict[str, int]:
    """Failure counts: wrong reveal / dead end / budget exhausted (``DecodeResult.status``)."""
    fail = ~exact
    if status is None:
        return {"wrong_reveal": int(fail.sum()), "dead_end": 0, "budget_exhausted": 0}
    return {"wrong_reveal": int((fail & (status != DEAD_END) & (status != BUDGET_EXHAUSTED)).sum()),
            "dead_end": int((fail & (status == DEAD_END)).sum()),
            "budget_exhausted": int((fail & (status == BUDGET_EXHAUSTED)).sum())}


def uniform_model(sm: "ev.SudokuModel") -> "ev.SudokuModel":
    """The same codec and checkpoint record with all-zero logits: every allowed value equally likely, so a
    search decodes on the rules alone (its certainty score then prefers cells with the fewest allowed values)."""
    vocab = ev.sudoku_rules(sm).vocab_size
    return dataclasses.replace(sm, model=lambda tokens: torch.zeros(*tokens.shape, vocab, device=tokens.device))


def run_one(sm, data, name: str, args) -> dict:
    """Decode one split with one configuration -> a JSON-able row."""
    method, plan = CONFIGS[name]
    if name in MODEL_FREE:
        sm = uniform_model(sm)
    statuses: list = []
    dec = ev.decode_puzzles(sm, data.puzzles, plan, args.batch_size, args.device, args.seed,
                            checker=ev.sudoku_rules(sm), status=statuses)
    status = None if statuses[0] is None else np.concatenate(statuses)
    exact = (dec.grids == np.asarray(data.solutions)).all(axis=1)
    return dict(config=name, method=method, n=len(exact), exact_pct=100 * float(exact.mean()),
                mean_nfe=float(dec.nfe.mean()), max_nfe=int(dec.nfe.max()), **classify(exact, status),
                seconds=round(dec.seconds, 1), plan={k: v for k, v in asdict(plan).items() if v != getattr(Plan(), k)},
                per_puzzle=dict(exact=exact.astype(int).tolist(), nfe=dec.nfe.astype(int).tolist(),
                                givens=(np.asarray(data.puzzles) > 0).sum(axis=1).astype(int).tolist()))


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    sources = [s for s in args.splits.split(",") if s]
    if getattr(args, "few_givens", 0) > 0:
        few = out / "fewgivens.npz"
        if not few.exists():
            out.mkdir(parents=True, exist_ok=True)
            save_npz(few, few_givens_arrays(args.few_givens, args.few_pool, FEW_GIVENS_SEED))
        sources.append(str(few))
    splits = [s if s in SPLITS else Path(s).stem for s in sources]
    names = [c for c in args.configs.split(",") if c] or list(CONFIGS)
    bad = [c for c in names if c not in CONFIGS] + [s for s in sources if s not in SPLITS and not Path(s).exists()]
    if bad:
        raise InputError(f"unknown config/split {bad}; configs: {list(CONFIGS)}; splits: {list(SPLITS)} or a "
                         "Sudoku dataset file")
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    start = time.time()
    if not args.report_only:
        sm = ev.load_sudoku_model(args.checkpoint, args.device)
        (out / "config.json").write_text(json.dumps({**{k: v for k, v in vars(args).items() if k != "func"},
                                                     "checkpoint": sm.path}, indent=2))
        datas = {name: _load_split(src, args.n) for name, src in zip(splits, sources)}
        for name in names:  # configurations outside, splits inside: a stopped run has both splits of each
            for split, data in datas.items():
                path = raw / f"{split}__{name}.json"
                key = run_key(name, len(data), args.seed, sm.path)
                if _reusable(path, key, args.reuse_stale):
                    continue
                row = run_one(sm, data, name, args)
                path.write_text(json.dumps({"key": key, "split": split, **row}, indent=1))
                print(f"[{split}] {name}: exact {row['exact_pct']:.1f}%  mean nfe {row['mean_nfe']:.1f}  "
                      f"max {row['max_nfe']}  {row['seconds']:.0f}s", flush=True)
    write_report(out, splits)
    print(f"wrote {out} ({time.time() - start:.0f}s)")
    return 0


FEW_GIVENS_SEED = 17  # generator stream of the few-givens set (the shipped splits use other streams)


def few_givens_arrays(per_count: int, pool: int, seed: int) -> dict:
    """Our generator's puzzles stratified by number of givens: ``pool`` minimal puzzles of stream ``seed``, then
    up to ``per_count`` of each number of givens (first generated first), sorted by givens (fewest first).
    The generator makes 21-29 givens (22 or fewer in about 3% of puzzles); 17-20 need a published collection
    (``anyorder data sudoku --from``). Returns dataset arrays (``dataset.save_npz``)."""
    from anyorder.tasks.sudoku.generate import generate

    puzzles, solutions = generate(pool, seed)
    givens = (puzzles > 0).sum(axis=1)
    idx = np.concatenate([np.flatnonzero(givens == g)[:per_count] for g in np.unique(givens)])
    return rated_arrays(puzzles[idx], solutions[idx], idx)


def _load_split(source: str, n: int):
    """A shipped split, or the first ``n`` puzzles of any dataset file (``formats.load_any``)."""
    if source in SPLITS:
        return shipped(source, n)
    data = load_any(source)
    return data.subset(slice(0, n))


def load_rows(out: Path, splits) -> list[dict]:
    rows = []
    for split in splits:
        for name in CONFIGS:
            path = out / "raw" / f"{split}__{name}.json"
            if path.exists():
                rows.append(json.loads(path.read_text()))
    return rows


def write_report(out: Path, splits) -> None:
    rows = load_rows(out, splits)
    if not rows:
        return
    ns = sorted({r["n"] for r in rows})
    n_text = "/".join(map(str, ns))
    table = [dict(split=r["split"], config=r["config"], method=r["method"], n=r["n"], exact_pct=r["exact_pct"],
                  mean_nfe=r["mean_nfe"], max_nfe=r["max_nfe"], wrong_reveal=r["wrong_reveal"],
                  dead_end=r["dead_end"], budget_exhausted=r["budget_exhausted"],
                  plan=" ".join(f"{k}={v}" for k, v in r["plan"].items()), seconds=r["seconds"],
                  code=_code_state(r.get("key") or {})) for r in rows]
    notes = [
        "Command: `anyorder reproduce beyond --n N [--few-givens K]` (shipped MDM, first N puzzles of each shipped "
        "split, seed 0; split fewgivens: see givens.md); `--configs` runs a subset, finished runs are reused.",
        "NFE = sequence evaluations per puzzle; `max_nfe` is the largest any puzzle used (the cap is in `plan`).",
        "Failures: wrong_reveal = finished with a wrong digit; dead_end = contradiction with nothing left to undo; "
        "budget_exhausted = NFE cap reached with work left. The paper's planners cannot detect either, so all "
        "their failures count as wrong reveals.",
        "bestofn, restart, backtrack, orderbeam and beamback use the Sudoku rules (verify / allowed values) "
        "through the task's hooks; selfcorrect and the baseline use the model only.",
        "'+ forced fills' / '+ implied fills' (`propagate`): cells the rules leave one digit are filled without a "
        "model call, by peers alone / also by hidden singles and missing digits. 'rules only' rows run the same "
        "search with all-zero logits instead of the checkpoint: what the rules and the search do without a model.",
        "`seconds` is wall time on whatever machine ran it (here: 2 CPU cores shared with many other jobs), not a "
        "speed measurement. Configurations missing from the table were not run (CPU time).",
        "`code`: 'current' if the run was decoded by the decoding code of this report (`code_digest`), else the "
        "older digest, or 'unrecorded' for runs stored before digests were kept (2026-11-30); rerun without "
        "`--reuse-stale` to refresh them.",
    ]
    write_table(table, out / "frontier.md", out / "frontier.csv",
                title=f"Beyond the paper: exact accuracy vs NFE, shipped MDM, n = {n_text} per split", notes=notes,
                float_format="{:.1f}")
    at = []
    for split in splits:
        for method in dict.fromkeys(r["method"] for r in rows):
            mine = [r for r in rows if r["split"] == split and r["method"] == method]
            if not mine:
                continue
            row = dict(split=split, method=method, n=mine[0]["n"])
            for budget in (50, 100, 200):
                ok = [r for r in mine if r["mean_nfe"] <= budget + 1e-9]
                best = max(ok, key=lambda r: r["exact_pct"]) if ok else None
                row[f"exact_at_{budget}"] = "-" if best is None else f"{best['exact_pct']:.1f} ({best['config']})"
            at.append(row)
    write_table(at, out / "at_budget.md", out / "at_budget.csv",
                title=f"Best exact accuracy (%) at mean NFE <= 50 / 100 / 200, n = {n_text} per split",
                notes=["From frontier.csv: the best configuration of each method whose mean NFE fits ('-': none)."])
    plot(rows, splits, out / "frontier.png", n_text)
    by_givens(rows, out)


def by_givens(rows, out: Path) -> None:
    """``givens.md/.csv``: exact accuracy by number of givens, per split and configuration (runs that stored
    per-puzzle results)."""
    table = []
    rows = [r for r in rows if r.get("per_puzzle")]
    counts = sorted({int(g) for r in rows for g in r["per_puzzle"]["givens"]})
    for r in rows:
        pp = r["per_puzzle"]
        exact, givens = np.asarray(pp["exact"]), np.asarray(pp["givens"])
        row = dict(split=r["split"], config=r["config"], n=r["n"])
        for g in counts:  # every column in every row, fewest givens first ('-': no such puzzle)
            sel = givens == g
            row[f"g{g}"] = f"{100 * exact[sel].mean():.0f}% ({int(sel.sum())})" if sel.any() else "-"
        table.append(row)
    if table:
        write_table(table, out / "givens.md", out / "givens.csv",
                    title="Exact accuracy by number of givens (puzzles in brackets)",
                    notes=["Columns gK: puzzles with K givens; from the raw/ runs that stored per-puzzle results.",
                           "Split fewgivens: `--few-givens K`, up to K puzzles per number of givens from "
                           f"generator stream {FEW_GIVENS_SEED}, pool --few-pool (our generator makes minimal puzzles "
                           "with 21-29 givens; 17-20 need a published collection, `anyorder data sudoku --from`)."])


def plot(rows, splits, path: Path, n_text: str) -> None:
    with figure(path, nrows=1, ncols=len(splits), figsize=(5.5 * len(splits), 4.2), squeeze=False) as (_, axes):
        methods = list(dict.fromkeys(r["method"] for r in rows))
        markers = dict(zip(methods, "*osD^v<>pPhXd8H"))
        palette = [f"C{i}" for i in range(10)] + ["black", "olive", "navy", "maroon", "teal"]
        colors = dict(zip(methods, palette))  # by method, so that a panel without some method keeps the colours
        for ax, split in zip(axes[0], splits):
            for method in methods:
                mine = sorted((r for r in rows if r["split"] == split and r["method"] == method),
                              key=lambda r: r["mean_nfe"])
                if not mine:
                    continue
                style = "none" if method == BASELINE else ":" if method.startswith("rules only") else "-"
                ax.plot([r["mean_nfe"] for r in mine], [r["exact_pct"] for r in mine], marker=markers[method],
                        linestyle=style, label=method, markersize=9, color=colors[method])
            split_n = "/".join(str(n) for n in sorted({r["n"] for r in rows if r["split"] == split})) or n_text
            ax.set_title(f"{split} split (n = {split_n})")
            ax.set_xlabel("mean NFE per puzzle")
            ax.set_ylabel("exact accuracy (%)")
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=8)
