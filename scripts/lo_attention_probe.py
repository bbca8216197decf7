"""Print where an L&O checkpoint's observation positions attend (issue 12; anyorder.experiments.lo.attention).

    python scripts/lo_attention_probe.py RUN_OR_CHECKPOINT [RUN_OR_CHECKPOINT ...] [--n 256] [--seed 0]

One line per layer and head: mean attention mass on the observation's own tuple (uniform: k / L), that mass as a
share of the mass on all latents (uniform: k / N), and how often the k most-attended positions are the tuple.
"""
from __future__ import annotations

import argparse

from anyorder.experiments.lo.attention import tuple_attention
from anyorder.tasks.lo import distribution_from_task
from anyorder.train.checkpoint import load


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="L&O run directories or checkpoint directories")
    p.add_argument("--n", type=int, default=256, help="samples (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    for path in a.paths:
        ckpt = load(path, device="cpu")
        dist = distribution_from_task(ckpt.task)
        k, length = dist.subsets.shape[1], dist.length
        print(f"{path}: step {ckpt.step}, (N, P) = ({dist.n_latents}, {dist.n_obs}); uniform: mass {k / length:.3f}, "
              f"share {k / dist.n_latents:.3f}")
        for r in tuple_attention(ckpt.model, dist, a.n, a.seed):
            print(f"  layer {r['layer']} head {r['head']}: tuple mass {r['tuple_mass']:.3f}, "
                  f"share {r['tuple_share']:.3f}, top-{k} exact {r['top_k_exact']:.3f}")


if __name__ == "__main__":
    main()
