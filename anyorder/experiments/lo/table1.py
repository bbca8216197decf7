"""Table 1: L&O-NAE-SAT, accuracy on observation tokens of unconditional samples, vanilla vs adaptive.

Protocol (docs/theory.md): for each (N, P) (optionally scaled to a shorter length L with the same N : P
proportions, ``length``; the CPU preset uses L = 120) train an MDM (library trainer, task "lo", fresh samples), generate
``n_samples`` sequences from all-[MASK] (pad positions fixed), one token per step by default (L steps), values
sampled from the model; vanilla = uniformly random order, adaptive = top_prob_margin (for binary tokens
margin 2p-1 ranks positions exactly as top_prob). Score = fraction of generated observation tokens equal to
NAE of the generated latents at their triple. Naive guessing ("always 1") scores 75%.
Training resumes from the newest checkpoint in ``runs_dir`` and is skipped where it is complete, so an interrupted
``anyorder reproduce lo-table1`` continues when rerun with the same arguments.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from anyorder.configs import LO_MODEL_CONFIGS, LO_TIME_WEIGHTS, lo_train_config
from anyorder.decode import Plan, decode
from anyorder.experiments.report import figure, read_table, write_table
from anyorder.io import atomic_write
from anyorder.objectives.schedule import SCHEDULES
from anyorder.tasks.lo import LODistribution, distribution_from_task, make_evaluator
from anyorder.theory.lo_oracle import local_oracle_accuracy
from anyorder.train.checkpoint import load, step_dirs, step_of
from anyorder.train.trainer import fit

PAPER_TABLE1 = {(25, 275): (78.06, 93.76), (30, 270): (75.70, 93.54), (40, 260): (74.60, 92.21),
                (50, 250): (67.94, 90.01), (100, 200): (62.84, 88.91)}
INFERENCE = {"vanilla": "vanilla", "adaptive": "top_prob_margin"}


@dataclass(frozen=True)
class Table1Config:
    config: str = "cpu"                                   # model/optimiser preset (configs.LO_MODEL_CONFIGS)
    pairs: tuple[tuple[int, int], ...] = tuple(PAPER_TABLE1)  # (N, P) distributions
    steps_train: int = 100                                # optimizer steps per distribution
    batch_size: int | None = None                         # training batch (None: preset default)
    n_samples: int = 256                                  # generated sequences per inference method
    decode_steps: int | None = None                       # None: one token per step (L steps)
    decode_batch: int = 256                               # sequences decoded per call
    seed: int = 0                                         # training / sampling seed
    runs_dir: str = "runs/lo-table1"                      # where the trained models go
    device: str = "auto"                                  # "auto" | "cpu" | "cuda"
    length: int | None = None                             # scale each (N, P) to N + P = length (None: as given)
    kind: str = "nae_sat"                                 # L&O kind (tasks.lo.KIND_DEFAULTS)
    eta: float = 0.0                                      # observation noise (sparse parity)
    ckpt_every: int = 250                                 # checkpoint period (resumable)
    smoke: bool = False                                   # title the report as a smoke run
    curve: bool = False                                   # keep every checkpoint and score each (learning curve)
    curve_every: int = 0                                  # score the checkpoints at multiples of this (0: all)
    time_weight: str = "elbo"                             # MDM loss weight (MDMConfig.time_weight): elbo | none
    schedule: str = "linear"                              # masking schedule (MDMConfig.schedule)


def scale_pairs(pairs, length: int | None) -> tuple[tuple[int, int], ...]:
    """(N, P) -> (round(N * length / (N + P)), rest): same proportions at a shorter length (None: unchanged)."""
    if length is None:
        return tuple(pairs)
    out = []
    for n, p in pairs:
        n2 = max(1, round(n * length / (n + p)))
        out.append((n2, length - n2))
    return tuple(out)


def resolve_device(device: str) -> str:
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def inference_plan(score: str, n_maskable: int, steps: int | None) -> Plan:
    """One token per step (budget fixed, k=1, L steps) unless ``steps`` is given (linear schedule)."""
    if steps is None:
        return Plan(steps=n_maskable, budget="fixed", k=1, score=score, value="sample")
    return Plan(steps=steps, budget="schedule", score=score, value="sample")


@torch.no_grad()
def sample_accuracy(model, dist: LODistribution, plan: Plan, n_samples: int, batch: int, seed: int,
                    device: str) -> float:
    """Generate n_samples sequences from all-[MASK] and return the mean observation consistency."""
    fixed_row = torch.from_numpy(dist.is_fixed().copy())
    correct, total = 0.0, 0
    for start in range(0, n_samples, batch):
        b = min(batch, n_samples - start)
        x = torch.where(fixed_row, dist.pad_id, dist.mask_id).expand(b, -1).clone().to(device)
        seeds = torch.arange(start, start + b, dtype=torch.int64, device=device) + 1_000_003 * seed
        out = decode(model, x, fixed_row.expand(b, -1).to(device), plan, dist.mask_id, seeds=seeds)
        ok = dist.check(out.tokens.cpu())
        correct += float(ok.sum())
        total += ok.size
    return correct / total


def train_one(n: int, p: int, cfg: Table1Config) -> Path:
    """Train (or resume, or skip if complete) the model of one distribution; returns its run directory."""
    tc = lo_train_config(n, p, cfg.config, max_steps=cfg.steps_train, batch_size=cfg.batch_size, seed=cfg.seed,
                         out_dir=cfg.runs_dir, mixed_precision="bf16" if resolve_device(cfg.device) == "cuda"
                         and cfg.config == "paper" else "no", ckpt_every=cfg.ckpt_every, kind=cfg.kind, eta=cfg.eta,
                         time_weight=cfg.time_weight, schedule=cfg.schedule)
    tc = replace(tc, eval_every=cfg.ckpt_every)
    if cfg.curve and cfg.ckpt_every:  # keep every checkpoint of the run for the learning curve
        tc = replace(tc, keep_checkpoints=max(tc.keep_checkpoints, cfg.steps_train // cfg.ckpt_every + 1))
    ckpts = tc.run_dir / "checkpoints"
    done = [step_of(d) for d in step_dirs(ckpts)]
    if done and max(done) >= cfg.steps_train:  # complete (possibly trained longer): evaluate as it is
        return tc.run_dir
    return fit(tc, resume=ckpts.exists() and any(ckpts.iterdir()), progress=False)


def train_seconds(run_dir: Path, upto: int | None = None) -> float:
    """Training wall-clock seconds summed from metrics.jsonl (log_every * batch / samples_per_s per record),
    over the records up to step ``upto`` (None: all)."""
    cfg = json.loads((run_dir / "config.json").read_text())
    total, last = 0.0, 0
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if upto is not None and rec.get("step", 0) > upto:
            break
        if rec.get("samples_per_s"):
            total += (rec["step"] - last) * cfg["batch_size"] / rec["samples_per_s"]
            last = rec["step"]
    return total


EVAL_CACHE = "table1_eval.json"  # measured accuracies per (weights, protocol) in the run directory


def _measure(loaded, dist: LODistribution, cfg: Table1Config, device: str) -> dict:
    """Vanilla / adaptive sample accuracy (%) and the two probes of one loaded model (the expensive part)."""
    row = {}
    for name, score in INFERENCE.items():
        plan = inference_plan(score, dist.n_latents + dist.n_obs, cfg.decode_steps)
        row[f"{name}_%"] = round(100 * sample_accuracy(loaded.model, dist, plan, cfg.n_samples, cfg.decode_batch,
                                                       cfg.seed, device), 2)
    probe = make_evaluator(dist, 512, cfg.seed + 1)(loaded.model, loaded.step)  # what the model has learned
    row.update({"obs_tuple_visible_acc": round(probe["obs_tuple_visible_acc"], 3),
                "latent_given_obs_acc": round(probe["latent_given_obs_acc"], 3)})
    return row


def _cached_measure(loaded, dist: LODistribution, cfg: Table1Config, device: str, run_root: Path | None) -> dict:
    """``_measure``, stored in RUN/table1_eval.json under the weights' sha256 and the protocol (samples, steps,
    seed), so rerunning the report (e.g. to merge rows trained by separate processes) does not decode again."""
    key = json.dumps({"weights": loaded.config.get("files", {}).get("model.safetensors"), "n": cfg.n_samples,
                      "T": cfg.decode_steps, "seed": cfg.seed}, sort_keys=True)
    file = run_root / EVAL_CACHE if run_root is not None else None
    cache = {}
    if file is not None and file.is_file():
        try:
            cache = json.loads(file.read_text())
        except ValueError:  # a damaged cache is only a lost speed-up
            cache = {}
    if key not in cache:
        cache[key] = _measure(loaded, dist, cfg, device)
        if file is not None:
            atomic_write(file, json.dumps(cache, indent=1))
    return cache[key]


def evaluate_run(run_dir: Path, cfg: Table1Config) -> dict:
    device = resolve_device(cfg.device)
    loaded = load(run_dir, device=device)
    dist = distribution_from_task(loaded.task)
    row = {"N": dist.n_latents, "P": dist.n_obs, "kind": dist.kind + (f" eta={dist.eta:g}" if dist.eta else "")}
    run_root = next((d for d in (run_dir, *run_dir.parents) if (d / "metrics.jsonl").exists()), None)
    row.update(_cached_measure(loaded, dist, cfg, device, run_root))  # vanilla_%, adaptive_%, the two probes
    if dist.kind == "nae_sat" and dist.eta == 0 and cfg.length is not None:
        paper_pair = next((pp for pp in cfg.pairs if scale_pairs([pp], cfg.length)[0] == (dist.n_latents, dist.n_obs)),
                          None)
    else:
        paper_pair = (dist.n_latents, dist.n_obs) if dist.kind == "nae_sat" and dist.eta == 0 else None
    paper = PAPER_TABLE1.get(paper_pair, (None, None))
    batch = int(loaded.config["train"]["batch_size"])
    row.update({"paper_(N,P)": f"({paper_pair[0]},{paper_pair[1]})" if paper_pair else "-",
                "paper_vanilla_%": paper[0], "paper_adaptive_%": paper[1], "train_steps": loaded.step,
                "train_samples": loaded.step * batch,
                "train_min": round(train_seconds(run_root, loaded.step) / 60, 1) if run_root else None})
    return row


CURVE_KEYS = ("N", "P", "train_steps", "train_samples", "train_min", "vanilla_%", "adaptive_%", "gap_pts",
              "obs_tuple_visible_acc", "latent_given_obs_acc")


def curve_rows(run_dir: Path, cfg: Table1Config) -> list[dict]:
    """Vanilla and adaptive accuracy (and the probes) at every kept checkpoint of one run: the learning curve."""
    rows = []
    for ckpt in step_dirs(run_dir / "checkpoints"):
        if cfg.curve_every and step_of(ckpt) % cfg.curve_every:
            continue
        row = evaluate_run(ckpt, cfg)
        row["gap_pts"] = round(row["adaptive_%"] - row["vanilla_%"], 2)
        rows.append({k: row[k] for k in CURVE_KEYS})
    return rows


def plot_curve(rows: list[dict], path: Path, naive: float = 0.75) -> None:
    """One panel per (N, P): vanilla and adaptive accuracy against training steps, and always-1 guessing
    (``naive``, a fraction: ``LODistribution.always_one_accuracy``)."""
    pairs = list(dict.fromkeys((r["N"], r["P"]) for r in rows))
    with figure(path, figsize=(3.0 * len(pairs), 3.0), ncols=len(pairs), squeeze=False, sharey=True) as (_, axes):
        for ax, (n, p) in zip(axes[0], pairs):
            sub = [r for r in rows if (r["N"], r["P"]) == (n, p)]
            steps = [r["train_steps"] for r in sub]
            ax.plot(steps, [r["vanilla_%"] for r in sub], "o-", ms=3, label="vanilla")
            ax.plot(steps, [r["adaptive_%"] for r in sub], "s-", ms=3, label="adaptive")
            ax.axhline(100 * naive, color="k", ls=":", lw=1, label=f"always 1 ({100 * naive:.1f}%)")
            ax.set_title(f"(N, P) = ({n}, {p})", fontsize=9)
            ax.set_xlabel("training steps")
        axes[0][0].set_ylabel("observation accuracy (%)")
        axes[0][0].legend(fontsize=7)


def plot(rows: list[dict], path: Path) -> None:
    labels = [f"({r['N']},{r['P']})" + (f"\npaper {r['paper_(N,P)']}" if r.get("paper_(N,P)", "-") != "-" else "")
              for r in rows]
    xs = range(len(rows))
    with figure(path, figsize=(6.5, 3.6)) as (_, ax):
        series = [("vanilla_%", "ours vanilla", -0.3), ("adaptive_%", "ours adaptive", -0.1),
                  ("paper_vanilla_%", "paper vanilla", 0.1), ("paper_adaptive_%", "paper adaptive", 0.3)]
        for key, label, off in series:
            ax.bar([x + off for x in xs], [r.get(key) or 0 for r in rows], width=0.2, label=label)
        ax.axhline(75, color="k", ls=":", label="naive guessing (75%)")
        ax.set_xticks(list(xs), labels)
        ax.set_ylim(40, 100)
        ax.set_ylabel("observation accuracy (%)")
        ax.legend(fontsize=7, ncol=3)


def reproduce(cfg: Table1Config, out: str | Path) -> list[dict]:
    """Train one MDM per (N, P), score vanilla/adaptive samples, write table.md, rows.csv, figure.png."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    curve: list[dict] = []
    for n, p in scale_pairs(cfg.pairs, cfg.length):  # the tables are rewritten after each distribution
        run_dir = train_one(n, p, cfg)
        rows.append(evaluate_run(run_dir, cfg))
        print(rows[-1], flush=True)
        _write(rows, cfg, out)
        if cfg.curve:
            curve += curve_rows(run_dir, cfg)
            _write_curve(curve, cfg, out)
    plot(rows, out / "figure.png")
    if cfg.curve:
        plot_curve(curve, out / "curve.png", _dist_for_note(cfg).always_one_accuracy())
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    return rows


# `--config cpu`: 8,000 x 64 = 512k samples per row, the paper's 2,000 x 256, at L = 120 (at L = 60 the rows with
# 5-6 latents learn exact latent inference and vanilla catches up: reports/lo-table1, docs/LOG.md 2026-11-30)
CPU_DEFAULTS = {"length": 120, "steps_train": 8000, "batch_size": 64}
PAPER_DEFAULTS = {"length": None, "steps_train": 2000, "batch_size": 256}  # `--config paper` (Sec. 4.4, GPU)


def _write(rows: list[dict], cfg: Table1Config, out: Path) -> None:
    from anyorder.configs import lo_model
    from anyorder.models.transformer import count_parameters

    model = lo_model(cfg.config)
    batch = rows[0]["train_samples"] // max(1, rows[0]["train_steps"]) if rows else cfg.batch_size
    size = (f"{model.n_layers} x {model.d_model} transformer, {model.positions} positions, {model.init} init, "
            f"~{count_parameters(replace(model, max_len=max(r['N'] + r['P'] for r in rows) if rows else 1)) / 1e3:.0f}k"
            " parameters")
    scaled = (f"(N, P) scaled to L = {cfg.length} with the paper's proportions (paper: L = 300 padded to 512); "
              if cfg.length else "")
    local = {o: local_oracle_accuracy(_dist_for_note(cfg), o) for o in ("vanilla", "adaptive")}
    chance = ("A model exact on the easy subproblems only (theory.lo_oracle.LocalOracle, which never infers latents) "
              + ", ".join(f"{o} {100 * v:.1f}%" if v is not None else f"{o} n/a (score ties)" for o, v in local.items())
              + " (closed form).")
    loss = ("the MDM NELBO (1/t weight)" if cfg.time_weight == "elbo" else "the mean cross-entropy over masked "
            "tokens (time weight none)") + (f", {cfg.schedule} masking schedule" if cfg.schedule != "linear" else "")
    notes = [f"Ours: {scaled}model preset `{cfg.config}` ({size}), loss {loss}, {cfg.steps_train} training steps x "
             f"batch {batch} per distribution (fresh samples; train_samples column), trained on a shared 2-core CPU "
             f"(train_min = wall-clock minutes). Paper: 19M RoPE MDM, 2,000 iterations (batch not given), L = 300.",
             f"{cfg.n_samples} unconditional samples per method, "
             f"{'one token per step' if cfg.decode_steps is None else f'{cfg.decode_steps} steps'}, "
             "values sampled from the model.",
             "vanilla = random order; adaptive = top_prob_margin (identical ranking to top_prob for binary tokens).",
             "Score: fraction of generated observation tokens equal to the predicate of the generated latents at "
             "their tuple (noiseless value for noisy kinds); naive guessing ('always 1') scores 75% for NAE.",
             chance,
             "Probes of the trained model (tasks.lo.make_evaluator, 512 samples, argmax): obs_tuple_visible_acc = "
             "observations whose tuple is visible, half the positions masked (easy; ~0.75 before learning); "
             "latent_given_obs_acc = latents 1..N-1 given all observations and latent 0 (the inference that "
             "adaptive decoding relies on; 0.5 = chance)."]
    title = "Table 1: L&O observation accuracy, vanilla vs adaptive"
    title += f" ({cfg.kind}{f', eta={cfg.eta:g}' if cfg.eta else ''})" if cfg.kind != "nae_sat" or cfg.eta else \
        " (L&O-NAE-SAT)"
    if cfg.length:
        title += f", CPU scale L = {cfg.length}"
    if cfg.smoke:
        title = "SMOKE RUN, not a result: " + title
    write_table(rows, out / "table.md", out / "rows.csv", title, notes)


def _write_curve(rows: list[dict], cfg: Table1Config, out: Path) -> None:
    title = "Table 1 learning curve: vanilla vs adaptive accuracy at every checkpoint"
    if cfg.smoke:
        title = "SMOKE RUN, not a result: " + title
    notes = [f"Same models, samples and scoring as table.md ({cfg.n_samples} samples per method per checkpoint, "
             f"checkpoint every {cfg.ckpt_every} steps); gap_pts = adaptive - vanilla; train_min = wall-clock "
             "training minutes up to that step on a shared 2-core CPU.",
             "Paper (19M MDM, L = 300, 2,000 iterations): vanilla 62.8-78.1%, adaptive 88.9-93.8%."]
    write_table(rows, out / "curve.md", out / "curve.csv", title, notes)


def _dist_for_note(cfg: Table1Config):
    from anyorder.tasks.lo import make_distribution

    n, p = scale_pairs(cfg.pairs[:1], cfg.length)[0]
    return make_distribution({"kind": cfg.kind, "N": n, "P": p, "eta": cfg.eta})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", choices=LO_MODEL_CONFIGS, default="cpu", help="model preset (default: %(default)s)")
    parser.add_argument("--steps-train", type=int, default=None,
                        help=f"training steps per distribution (cpu: {CPU_DEFAULTS['steps_train']}, "
                             f"paper: {PAPER_DEFAULTS['steps_train']})")
    parser.add_argument("--batch-size", type=int, default=None,
                        help=f"training batch (cpu: {CPU_DEFAULTS['batch_size']}, paper: {PAPER_DEFAULTS['batch_size']})")
    parser.add_argument("--length", type=int, default=None,
                        help="scale each (N, P) to this length, same proportions (cpu: 120; paper: unscaled; 0: unscaled)")
    parser.add_argument("--kind", default="nae_sat", help="L&O kind: nae_sat | sparse_parity | sparse_predicate")
    parser.add_argument("--eta", type=float, default=0.0, help="observation noise (sparse parity)")
    parser.add_argument("--time-weight", default="elbo", choices=LO_TIME_WEIGHTS,
                        help="MDM loss weight: elbo (1/t, the paper's NELBO) | none (mean CE over masked tokens; "
                             "learns the L&O observation function faster, docs/LOG.md 2026-11-30 ninth session)")
    parser.add_argument("--schedule", default="linear", choices=sorted(SCHEDULES), help="masking schedule (alpha_t)")
    parser.add_argument("--n-samples", type=int, default=300, help="samples per inference method (default: %(default)s)")
    parser.add_argument("--decode-steps", type=int, default=None, help="reverse steps (default: L, one per step)")
    parser.add_argument("--pairs", default=None, help="comma list of N:P (default: the paper's five)")
    parser.add_argument("--runs-dir", default="runs/lo-table1")
    parser.add_argument("--ckpt-every", type=int, default=500,
                        help="checkpoint period (rerun the command to resume; default: %(default)s)")
    parser.add_argument("--smoke", action="store_true", help="title the report as a smoke run")
    parser.add_argument("--curve", action="store_true",
                        help="keep every checkpoint and score each: curve.md/csv/png (learning curve)")
    parser.add_argument("--curve-every", type=int, default=0,
                        help="score only the checkpoints at multiples of this many steps (default: all)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--replot", action="store_true",
                        help="only redraw figure.png (and curve.png) from OUT/rows.csv (curve.csv): no model is loaded")


def config_from_args(args: argparse.Namespace) -> Table1Config:
    defaults = PAPER_DEFAULTS if args.config == "paper" else CPU_DEFAULTS
    length = defaults["length"] if args.length is None else (args.length or None)
    cfg = Table1Config(config=args.config, steps_train=args.steps_train or defaults["steps_train"],
                       batch_size=args.batch_size or defaults["batch_size"], n_samples=args.n_samples,
                       decode_steps=args.decode_steps, runs_dir=args.runs_dir, device=args.device, seed=args.seed,
                       length=length, kind=args.kind, eta=args.eta, ckpt_every=args.ckpt_every, smoke=args.smoke,
                       curve=args.curve, curve_every=args.curve_every, time_weight=args.time_weight,
                       schedule=args.schedule)
    if args.pairs:
        cfg = replace(cfg, pairs=tuple(tuple(int(v) for v in pair.split(":")) for pair in args.pairs.split(",")))
    return cfg


def replot(cfg: Table1Config, out: str | Path) -> list[str]:
    """Redraw the figures of an existing report folder from its CSV tables; returns the files drawn."""
    out = Path(out)
    plot(read_table(out / "rows.csv"), out / "figure.png")
    drawn = ["figure.png"]
    if (out / "curve.csv").is_file():
        plot_curve(read_table(out / "curve.csv"), out / "curve.png", _dist_for_note(cfg).always_one_accuracy())
        drawn.append("curve.png")
    return drawn


def run(args: argparse.Namespace) -> int:
    if args.replot:
        print(f"redrew {', '.join(replot(config_from_args(args), args.out))} in {args.out}")
        return 0
    reproduce(config_from_args(args), args.out)
    print(f"wrote {args.out}/table.md, rows.csv, figure.png")
    return 0
