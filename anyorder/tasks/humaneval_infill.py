"""HumanEval-Infilling problems (Bavarian et al. 2022; paper Table 4 "HumanEval-Single / Multi / Split").

The four files ship in ``anyorder/assets/human_eval_infilling`` (MIT licence and source in its README). A problem
is code with one gap: ``prompt`` + gap + ``suffix``; a completion passes when ``program(problem, completion)``
(the filled code, the problem's ``test`` and ``check(entry_point)``) runs to its end without error. Execution is
done elsewhere, in a sandbox (``evaluation.sandbox``); this module never runs code.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from anyorder.errors import ConfigError, InputError

DATA_DIR = Path(__file__).resolve().parent.parent / "assets" / "human_eval_infilling"
CATEGORIES = {
    "single": "HumanEval-SingleLineInfilling.jsonl.gz",  # paper: HumanEval-Single
    "multi": "HumanEval-MultiLineInfilling.jsonl.gz",  # paper: HumanEval-Multi
    "split": "HumanEval-RandomSpanInfilling.jsonl.gz",  # paper: HumanEval-Split (inferred)
    "split-light": "HumanEval-RandomSpanInfillingLight.jsonl.gz",  # one random span per HumanEval problem
}
TABLE4 = ("single", "multi", "split")
FIELDS = ("task_id", "prompt", "suffix", "canonical_solution", "test", "entry_point")


@dataclass(frozen=True)
class InfillProblem:
    task_id: str
    prompt: str  # code before the gap
    suffix: str  # code after the gap
    canonical_solution: str  # the reference text of the gap
    test: str  # defines check(candidate)
    entry_point: str  # the function check() is called with


def load_problems(category: str, limit: int | None = None, directory: str | Path | None = None) -> list[InfillProblem]:
    """The first ``limit`` problems (file order) of ``category`` (a ``CATEGORIES`` name)."""
    if category not in CATEGORIES:
        raise ConfigError(f"unknown HumanEval-Infilling category {category!r}; valid: {sorted(CATEGORIES)}")
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")
    file = Path(directory or DATA_DIR) / CATEGORIES[category]
    if not file.is_file():
        raise InputError(f"{file}: missing HumanEval-Infilling data file")
    problems = []
    with gzip.open(file, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if limit is not None and len(problems) >= limit:
                break
            try:
                row = json.loads(line)
                problems.append(InfillProblem(**{k: row[k] for k in FIELDS}))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise InputError(f"{file}:{number}: invalid problem ({e})") from e
    return problems


def program(problem: InfillProblem, completion: str) -> str:
    """The code that decides pass/fail: the filled function, its tests, the call of ``check``."""
    return f"{problem.prompt}{completion}{problem.suffix}\n\n{problem.test}\n\ncheck({problem.entry_point})\n"
