"""Figure 2 (bottom right): error imbalance of an MDM on L&O-NAE-SAT, latent vs observation positions.

A model trained briefly (``steps_short``) is compared with a proxy for the Bayes-optimal predictor: the same
run at ``steps_long`` steps (one run, its checkpoint at ``steps_short`` kept). For l in ``ls``, each of ``n_masks`` masks hides
l random latents and l*P/N random observations of a fresh sample x0; at each masked position i the error is
(log p_model(x0_i | x0[M]) - log p_proxy(x0_i | x0[M]))^2, averaged separately over latent and observation
positions (all masks pooled). See docs/theory.md.

``reference="exact"`` replaces the proxy by the exact Bayes posterior (``theory.lo_oracle.ExactOracle``, which the
paper's long-trained proxy stands in for), and ``model`` can name an already trained run or checkpoint (e.g. a
Table 1 model) instead of training one.
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from anyorder.configs import LO_MODEL_CONFIGS, LO_TIME_WEIGHTS, lo_loss_tag, lo_train_config
from anyorder.decode.logprobs import model_log_probs
from anyorder.errors import ConfigError
from anyorder.experiments.lo.table1 import resolve_device
from anyorder.experiments.report import figure, write_table
from anyorder.tasks.lo import LODistribution, distribution_from_task
from anyorder.theory.lo_oracle import ExactOracle
from anyorder.train.checkpoint import load, step_dir_name
from anyorder.train.trainer import fit

# `--config cpu`: the (30, 270) row of Table 1 at L = 120, which admits l = 11 and learns latent inference on CPU
# (latent / observation error 1.15-1.70 against its step-8,000 proxy: reports/lo-imbalance); `--config paper`: the
# paper's (20, 280), 2e3 iterations against the same run at 2e3 + 5e4.
CPU_DEFAULTS = {"n": 12, "p": 108, "steps_short": 2000, "steps_long": 8000}
PAPER_DEFAULTS = {"n": 20, "p": 280, "steps_short": 2000, "steps_long": 52000}


@dataclass(frozen=True)
class ImbalanceConfig:
    config: str = "cpu"                    # model preset (configs.LO_MODEL_CONFIGS)
    n: int = CPU_DEFAULTS["n"]                            # latents N
    p: int = CPU_DEFAULTS["p"]                            # observations P
    steps_short: int = CPU_DEFAULTS["steps_short"]        # the "briefly trained" model (paper: 2e3)
    steps_long: int = CPU_DEFAULTS["steps_long"]          # the proxy: the same run later (paper: 2e3 + 5e4)
    batch_size: int | None = None          # training batch (None: preset default)
    ls: tuple[int, ...] = (1, 3, 5, 7, 9, 11, 13, 15, 17, 19)  # latents hidden per mask
    highlight: int = 11                    # the l shown in the paper's figure
    smoke: bool = False                    # title the report as a smoke run
    n_masks: int = 1000                    # masks per l
    eval_batch: int = 250                  # masks per forward pass
    seed: int = 0
    runs_dir: str = "runs/lo-imbalance"
    device: str = "auto"
    model: str | None = None               # run dir / checkpoint to measure (None: train steps_short)
    reference: str = "proxy"               # "proxy" (the run continued to steps_long) | "exact" (ExactOracle)
    proxy: str | None = None               # with ``model``: a run dir / checkpoint to use as the proxy
    time_weight: str = "elbo"              # MDM loss weight (MDMConfig.time_weight): elbo | none

    @property
    def run_name(self) -> str:
        return f"lo-imbalance-{self.config}-N{self.n}-P{self.p}{lo_loss_tag(self.time_weight)}"


def random_masks(dist: LODistribution, n_masks: int, l: int, rng: np.random.Generator) -> np.ndarray:
    """(n_masks, length) bool: l random latent positions and round(l*P/N) random observation positions."""
    n_obs = int(round(l * dist.n_obs / dist.n_latents))
    mask = np.zeros((n_masks, dist.length), dtype=bool)
    for positions, count in ((dist.latent_positions, l), (dist.obs_positions, n_obs)):
        pick = np.argsort(rng.random((n_masks, len(positions))), axis=1)[:, :count]
        mask[np.arange(n_masks)[:, None], positions[pick]] = True
    return mask


@torch.no_grad()
def squared_log_errors(model, proxy, dist: LODistribution, x0: np.ndarray, mask: np.ndarray,
                       device: str) -> np.ndarray:
    """(B, length) (log p_model(x0_i|x0[M]) - log p_proxy(x0_i|x0[M]))^2; NaN where not masked."""
    x = torch.from_numpy(x0).to(device)
    m = torch.from_numpy(mask).to(device)
    xt = torch.where(m, dist.mask_id, x)
    target = x.unsqueeze(-1)
    lp_model = model_log_probs(model, xt, dist.mask_id).gather(-1, target).squeeze(-1)
    lp_proxy = model_log_probs(proxy, xt, dist.mask_id).gather(-1, target).squeeze(-1)
    err = (lp_model - lp_proxy).square()
    return torch.where(m, err, torch.nan).cpu().double().numpy()


def measure(model, proxy, dist: LODistribution, l: int, cfg: ImbalanceConfig, device: str) -> dict:
    """Mean squared log-probability difference at masked latent / observation positions for one l."""
    rng = np.random.default_rng([cfg.seed, l, 0x1B])
    sums = {"latent": [0.0, 0], "observation": [0.0, 0]}
    chunk = cfg.eval_batch  # the exact posterior enumerates m^l completions per mask: smaller chunks
    if isinstance(proxy, ExactOracle):
        chunk = max(1, min(chunk, 2 ** 19 // dist.m ** l))
    for start in range(0, cfg.n_masks, chunk):
        b = min(chunk, cfg.n_masks - start)
        x0, mask = dist.sample(b, rng), random_masks(dist, b, l, rng)
        err = squared_log_errors(model, proxy, dist, x0, mask, device)
        for key, pos in (("latent", dist.latent_positions), ("observation", dist.obs_positions)):
            vals = err[:, pos]
            vals = vals[~np.isnan(vals)]
            sums[key][0] += float(vals.sum())
            sums[key][1] += vals.size
    lat, obs = sums["latent"][0] / sums["latent"][1], sums["observation"][0] / sums["observation"][1]
    return {"l": l, "masked_obs": int(round(l * dist.n_obs / dist.n_latents)), "latent_err": lat,
            "observation_err": obs, "ratio": lat / obs if obs > 0 else float("inf")}


def _train_short(cfg: ImbalanceConfig) -> Path:
    tc = lo_train_config(cfg.n, cfg.p, cfg.config, max_steps=cfg.steps_short, batch_size=cfg.batch_size,
                         seed=cfg.seed, out_dir=cfg.runs_dir, name=cfg.run_name, time_weight=cfg.time_weight)
    return fit(tc, progress=False)


def train_pair(cfg: ImbalanceConfig) -> tuple[Path, Path]:
    """One run to steps_long (its lr schedule spans all of it), keeping the checkpoint at steps_short; returns
    (short checkpoint, proxy run dir). Rerunning resumes an interrupted run."""
    if not 0 < cfg.steps_short < cfg.steps_long:
        raise ConfigError(f"need 0 < steps_short < steps_long, got {cfg.steps_short} and {cfg.steps_long}")
    device = resolve_device(cfg.device)
    every = math.gcd(cfg.steps_short, cfg.steps_long)  # a checkpoint lands on steps_short ...
    while every > 500 and every % 2 == 0:  # ... and one at least every ~500 steps (resumable)
        every //= 2
    tc = lo_train_config(cfg.n, cfg.p, cfg.config, max_steps=cfg.steps_long, batch_size=cfg.batch_size,
                         seed=cfg.seed, out_dir=cfg.runs_dir, name=cfg.run_name, time_weight=cfg.time_weight,
                         mixed_precision="bf16" if device == "cuda" and cfg.config == "paper" else "no",
                         ckpt_every=every)
    tc = replace(tc, keep_checkpoints=cfg.steps_long // every + 1)
    ckpts = tc.run_dir / "checkpoints"
    run_dir = fit(tc, resume=ckpts.is_dir() and any(ckpts.iterdir()), progress=False)
    return run_dir / "checkpoints" / step_dir_name(cfg.steps_short), run_dir


def plot(rows: list[dict], highlight: int, path: Path) -> None:
    grid = {"nrows": 1, "ncols": 2, "figsize": (8, 3.4), "gridspec_kw": {"width_ratios": [1, 2]}}
    with figure(path, **grid) as (_, (ax1, ax2)):
        hi = next((r for r in rows if r["l"] == highlight), rows[0])
        ax1.bar(["latent", "observation"], [hi["latent_err"], hi["observation_err"]], color=["C3", "C0"])
        ax1.set_yscale("log")
        ax1.set_title(f"l = {hi['l']}", fontsize=9)
        ax1.set_ylabel("mean squared log-prob. error")
        ls = [r["l"] for r in rows]
        ax2.semilogy(ls, [r["latent_err"] for r in rows], "o-", color="C3", label="latent positions")
        ax2.semilogy(ls, [r["observation_err"] for r in rows], "s-", color="C0", label="observation positions")
        ax2.set_xlabel("l (latents masked; l*P/N observations masked)")
        ax2.legend(fontsize=8)


def reproduce(cfg: ImbalanceConfig, out: str | Path) -> list[dict]:
    """Train the pair, measure every l, write table.md, rows.csv, figure.png, config.json."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(cfg.device)
    if cfg.model is not None:
        model = load(cfg.model, device=device)
    else:
        short_ckpt, proxy_dir = train_pair(cfg) if cfg.reference == "proxy" else (_train_short(cfg), None)
        model = load(short_ckpt, device=device)
    dist = distribution_from_task(model.task)
    if cfg.reference == "exact":
        proxy_model, reference = ExactOracle(dist), "the exact posterior (theory.lo_oracle.ExactOracle)"
    else:
        if cfg.model is not None and cfg.proxy is None:
            raise ConfigError("--model with reference='proxy' needs --proxy (or use --reference exact)")
        proxy = load(cfg.proxy if cfg.model is not None else proxy_dir, device=device)
        if distribution_from_task(proxy.task).to_metadata() != dist.to_metadata():
            raise ConfigError("the model and the proxy were trained on different L&O distributions")
        proxy_model, reference = proxy.model, f"a proxy trained for {proxy.step} steps ({proxy.path})"
    rows = [measure(model.model, proxy_model, dist, l, cfg, device) for l in cfg.ls if l <= dist.n_latents]
    hi = next((r for r in rows if r["l"] == cfg.highlight), None)
    cfg_model = model.config.get("model", {})
    notes = [f"(N, P) = ({dist.n_latents}, {dist.n_obs}) (paper: (20, 280)); model = {cfg_model.get('n_layers')} x "
             f"{cfg_model.get('d_model')} transformer ({cfg_model.get('positions')} positions) after {model.step} "
             f"steps x batch {model.config.get('train', {}).get('batch_size')}, loss time weight "
             f"{model.config.get('train', {}).get('mdm', {}).get('time_weight', '?')} ({model.path}); "
             f"reference = {reference}; "
             f"{cfg.n_masks} masks per l, fresh x0 per mask. Paper: 19M MDM after 2e3 iterations vs the same "
             "continued for 5e4 more.",
             "Error at a masked position i: (log p_model(x0_i | x0[M]) - log p_proxy(x0_i | x0[M]))^2, averaged "
             "over all masked latent (resp. observation) positions of all masks; ratio = latent / observation.",
             f"l = {cfg.highlight}: ratio = {hi['ratio']:.3g}" if hi else "highlighted l not in the sweep"]
    title = f"Figure 2 (bottom right): L&O-NAE-SAT error imbalance, CPU scale (N, P) = ({dist.n_latents}, {dist.n_obs})"
    write_table(rows, out / "table.md", out / "rows.csv", ("SMOKE RUN, not a result: " if cfg.smoke else "") + title,
                notes)
    plot(rows, cfg.highlight, out / "figure.png")
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", choices=LO_MODEL_CONFIGS, default="cpu", help="model preset (default: %(default)s)")
    parser.add_argument("--steps-short", type=int, default=None,
                        help=f"steps of the briefly trained model (cpu: {CPU_DEFAULTS['steps_short']}, "
                             f"paper: {PAPER_DEFAULTS['steps_short']})")
    parser.add_argument("--steps-long", type=int, default=None,
                        help=f"steps of the proxy, the same run (cpu: {CPU_DEFAULTS['steps_long']}, "
                             f"paper: {PAPER_DEFAULTS['steps_long']})")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--n-masks", type=int, default=1000, help="masks per l")
    parser.add_argument("--ls", default="1,3,5,7,9,11,13,15,17,19", help="comma list of l")
    parser.add_argument("--runs-dir", default="runs/lo-imbalance")
    parser.add_argument("--model", default=None, help="measure this trained run/checkpoint instead of training one")
    parser.add_argument("--reference", choices=("proxy", "exact"), default="proxy",
                        help="proxy: the run trained to --steps-long; exact: the exact posterior (<= 16 hidden latents)")
    parser.add_argument("--proxy", default=None, help="with --model and --reference proxy: the proxy run/checkpoint")
    parser.add_argument("--n", type=int, default=None, help=f"latents N (cpu: {CPU_DEFAULTS['n']}, paper: {PAPER_DEFAULTS['n']})")
    parser.add_argument("--p", type=int, default=None,
                        help=f"observations P (cpu: {CPU_DEFAULTS['p']}, paper: {PAPER_DEFAULTS['p']})")
    parser.add_argument("--time-weight", default="elbo", choices=LO_TIME_WEIGHTS,
                        help="MDM loss weight of the trained runs: elbo (1/t, the paper's NELBO) | none (mean CE)")
    parser.add_argument("--smoke", action="store_true", help="title the report as a smoke run")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    defaults = PAPER_DEFAULTS if args.config == "paper" else CPU_DEFAULTS
    given = {"n": args.n, "p": args.p, "steps_short": args.steps_short, "steps_long": args.steps_long}
    sizes = {k: defaults[k] if v is None else v for k, v in given.items()}
    cfg = ImbalanceConfig(config=args.config, **sizes, batch_size=args.batch_size, n_masks=args.n_masks,
                          ls=tuple(int(v) for v in args.ls.split(",")), runs_dir=args.runs_dir,
                          device=args.device, seed=args.seed, model=args.model, reference=args.reference, proxy=args.proxy,
                          smoke=args.smoke, time_weight=args.time_weight)
    for row in reproduce(cfg, args.out):
        print(row)
    print(f"wrote {args.out}/table.md, rows.csv, figure.png")
    return 0
