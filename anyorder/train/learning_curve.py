"""Learning curves from run logs: read ``metrics.jsonl``, chain a run with its fine-tunes, fit a power law.

A fine-tune (``init_from=``) starts its own ``samples`` count at zero; ``chain`` puts its records after the run it
continues, so one curve spans both. ``power_law_fit`` fits ``y = a * x**k`` by least squares in log-log space,
the usual form of a loss-vs-compute curve, and ``PowerLaw.x_for`` inverts it (the extrapolation the training
issue asks for when a target is out of reach).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from anyorder.errors import ConfigError


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The training records of a ``metrics.jsonl`` (lines with ``samples``), in file order."""
    records = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{number}: not a JSON line ({e.msg})") from None
        if "samples" in record:
            records.append(record)
    if not records:
        raise ConfigError(f"{path}: no training records (lines with 'samples')")
    return records


def chain(segments: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Records of consecutive runs as one curve: each segment's ``samples`` (and ``flops`` where logged) are offset
    by the last values of the segments before it; a ``segment`` index (0, 1, ...) is added to every record."""
    out: list[dict[str, Any]] = []
    offset = {"samples": 0.0, "flops": 0.0}
    for index, records in enumerate(segments):
        for record in records:
            row = dict(record, segment=index)
            for key, base in offset.items():
                if key in record:
                    row[key] = base + record[key]
            out.append(row)
        if records:
            for key in offset:
                if key in records[-1]:
                    offset[key] += records[-1][key]
    return out


@dataclass(frozen=True)
class PowerLaw:
    """``y = scale * x ** exponent`` fitted on ``x_min <= x <= x_max`` (``n`` points)."""
    scale: float
    exponent: float
    x_min: float
    x_max: float
    n: int

    def __call__(self, x: float) -> float:
        return self.scale * x ** self.exponent

    def x_for(self, y: float) -> float:
        """The x at which the fitted curve reaches ``y`` > 0 (inf for a flat curve)."""
        if y <= 0:
            raise ConfigError(f"a power law reaches only positive values, not {y}")
        return math.inf if self.exponent == 0 else (y / self.scale) ** (1.0 / self.exponent)


def power_law_fit(x: Sequence[float], y: Sequence[float], x_min: float = 0.0) -> PowerLaw:
    """Least-squares fit of ``log y = log a + k log x`` on the points with ``x >= x_min`` (x, y > 0)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (xs >= x_min) & (xs > 0) & (ys > 0)
    if keep.sum() < 2:
        raise ConfigError(f"a power-law fit needs >= 2 positive points with x >= {x_min}; got {int(keep.sum())}")
    exponent, log_scale = np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)
    return PowerLaw(float(math.exp(log_scale)), float(exponent), float(xs[keep].min()), float(xs[keep].max()),
                    int(keep.sum()))
