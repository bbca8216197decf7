"""Helpers for scripts/mutation.sh (mutmut 3): configure a throw-away copy, sample mutants, summarise results.

    python scripts/mutation_tool.py configure MODULE TESTS...   # rewrite [tool.mutmut] of ./pyproject.toml
    python scripts/mutation_tool.py sample MODULE N SEED        # N mutant names drawn uniformly (0: all)
    python scripts/mutation_tool.py summary MODULE [NAMES_FILE] # counts, score, 95% interval, survivors

Run from the root of the copy. Mutant names and statuses are mutmut's own (its generator and its .meta files);
nothing here writes mutations.
"""
from __future__ import annotations

import io
import json
import math
import random
import re
import sys
import warnings
from pathlib import Path

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "type check", None: "not checked",
          -9: "segfault", -11: "segfault", 2: "interrupted"}


def _files(module: str) -> list[Path]:
    p = Path(module)
    return [p] if p.suffix == ".py" else sorted(p.rglob("*.py"))


def configure(module: str, tests: list[str]) -> None:
    """Point [tool.mutmut] at one package (or file) and its tests; everything else in the section is kept."""
    path = Path("pyproject.toml")
    text = path.read_text()
    pattern = module.rstrip("/") if module.endswith(".py") else module.rstrip("/") + "/*"
    text, n1 = re.subn(r"(?m)^only_mutate = .*$", f'only_mutate = ["{pattern}"]', text)
    sel = ", ".join(f'"{t}"' for t in tests)
    text, n2 = re.subn(r"(?m)^pytest_add_cli_args_test_selection = .*$",
                       f"pytest_add_cli_args_test_selection = [{sel}]", text)
    if n1 != 1 or n2 != 1:
        sys.exit("pyproject.toml: [tool.mutmut] needs one only_mutate and one pytest_add_cli_args_test_selection line")
    path.write_text(text)


def all_names(module: str) -> list[str]:
    """Every mutant mutmut generates for MODULE, by its own generator (same names as `mutmut run`)."""
    warnings.simplefilter("ignore")
    from mutmut.__main__ import write_all_mutants_to_file
    from mutmut.configuration import config
    from mutmut.utils.format_utils import get_mutant_name

    names = []
    for f in _files(module):
        if not config().should_mutate(f):  # do_not_mutate in [tool.mutmut]
            continue
        mutated = write_all_mutants_to_file(out=io.StringIO(), source=f.read_text(), filename=f)
        names += [get_mutant_name(f, n) for n in mutated.mutant_names]
    return names


def sample(module: str, n: int, seed: int) -> list[str]:
    names = all_names(module)
    if n <= 0 or n >= len(names):
        return names
    return sorted(random.Random(seed).sample(names, n))


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k / n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def summary(module: str, names_file: str | None) -> dict:
    wanted = set(Path(names_file).read_text().split()) if names_file else None
    results: dict[str, str] = {}
    durations = 0.0
    population = 0
    for f in _files(module):
        meta = Path("mutants") / (str(f) + ".meta")
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        population += len(data["exit_code_by_key"])  # every mutant mutmut generated for the file
        for key, code in data["exit_code_by_key"].items():
            if wanted is None or key in wanted:
                results[key] = STATUS.get(code, f"exit {code}")
                durations += data.get("durations_by_key", {}).get(key) or 0.0
    counts: dict[str, int] = {}
    for s in results.values():
        counts[s] = counts.get(s, 0) + 1
    checked = sum(v for s, v in counts.items() if s != "not checked")
    killed = counts.get("killed", 0) + counts.get("timeout", 0) + counts.get("segfault", 0)
    lo, hi = wilson(killed, checked)
    out = {"module": module, "population": population, "checked": checked, "counts": counts,
           "score": killed / checked if checked else None, "wilson95": [lo, hi],
           "survivors": sorted(k for k, s in results.items() if s in ("survived", "no tests")),
           "mutant_seconds": round(durations, 1)}
    return out


def main(argv: list[str]) -> None:
    cmd, module, *rest = argv
    if cmd == "configure":
        configure(module, rest)
    elif cmd == "sample":
        print("\n".join(sample(module, int(rest[0]), int(rest[1]))))
    elif cmd == "summary":
        print(json.dumps(summary(module, rest[0] if rest else None), indent=1))
    else:
        sys.exit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
