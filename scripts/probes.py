"""Rerun the issue-18 hardening probes against a checkout and print a markdown table.

    python scripts/probes.py [--root CHECKOUT] [--work DIR] [--only NAME ...]

Each probe runs ``python -m anyorder ...`` in a subprocess with ``PYTHONPATH=CHECKOUT`` and records the exit
status, the first line of stderr, and whether a Python traceback was printed. Expected: exit 2 with one line
(or the documented behaviour in the "expect" column). The fixtures (random bytes, damaged checkpoints, a tiny
toy run) are built in --work. The tests in tests/cli/test_hardening.py pin the same cases in-process.
Probes that would allocate gigabytes or decode ~1,000 puzzles on the old code can be skipped with --safe.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
ONE_CLUE = "1" + "0" * 80
SHIPPED = Path(__file__).resolve().parents[1] / "anyorder" / "assets" / "checkpoints" / "sudoku-mdm"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def two_solution_puzzle() -> str:
    """PUZZLE's solution with a 'deadly pattern' of four cells blanked (rows 1/2 x two columns in one box
    band that swap): search the solution for a rectangle a-b / b-a and blank it plus nothing else."""
    sol = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
    g = [int(c) for c in sol]
    for r1 in range(9):
        for r2 in range(r1 + 1, 9):
            if r1 // 3 != r2 // 3:
                continue
            for c1 in range(9):
                for c2 in range(c1 + 1, 9):
                    a, b = g[9 * r1 + c1], g[9 * r1 + c2]
                    if g[9 * r2 + c1] == b and g[9 * r2 + c2] == a:
                        h = list(g)
                        for r, c in ((r1, c1), (r1, c2), (r2, c1), (r2, c2)):
                            h[9 * r + c] = 0
                        return "".join(map(str, h))
    raise RuntimeError("no rectangle")


def make_fixtures(work: Path, root: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(0)
    (work / "random.bin").write_bytes(bytes(rnd.randrange(256) for _ in range(300)))
    (work / "bom.txt").write_bytes(b"\xef\xbb\xbf" + PUZZLE.encode() + b"\n")
    (work / "p.txt").write_text(PUZZLE + "\n")
    (work / "adir").mkdir(exist_ok=True)
    (work / "afile").write_text("x")
    tokens = lambda cells: " ".join("[MASK]" if c == "0" else c for c in cells) + "\n"  # noqa: E731
    (work / "tokens.txt").write_text(tokens(PUZZLE))  # decode input: the Sudoku tokenizer's symbols
    (work / "short.txt").write_text(tokens(PUZZLE[:80]) + tokens(PUZZLE[:5]))
    fx = {}

    def ckpt(name: str, edit_config=None, edit_weights=None) -> str:
        d = work / name
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(SHIPPED, d)
        if edit_weights:
            edit_weights(d / "model.safetensors")
        cfg = json.loads((d / "config.json").read_text())
        cfg["files"]["model.safetensors"] = sha(d / "model.safetensors")
        if edit_config:
            edit_config(cfg)
        (d / "config.json").write_text(json.dumps(cfg))
        return str(d)

    fx["huge"] = ckpt("ck-huge", lambda c: c["model"].update(d_model=32768, d_mlp=None))
    fx["smalltok"] = ckpt("ck-smalltok", lambda c: c["tokenizer"].update(symbols=c["tokenizer"]["symbols"][:-1]))
    fx["escape"] = ckpt("ck-escape", lambda c: c["files"].update(
        {"../../../../../../etc/hostname": sha(Path("/etc/hostname"))}))

    def nan(path: Path) -> None:
        import torch
        from safetensors.torch import load_file, save_file
        state = load_file(str(path))
        save_file({k: torch.full_like(v, float("nan")) for k, v in state.items()}, str(path))

    fx["nan"] = ckpt("ck-nan", edit_weights=nan)
    # a tiny toy run with two checkpoints (steps 2 and 4) for the resume probes
    run_root = work / "runs"
    shutil.rmtree(run_root, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "anyorder", "train", "toy-mdm", "max_steps=4", "ckpt_every=2",
                    "eval_every=100", "log_every=1", "keep_checkpoints=3", "batch_size=8", f"out_dir={run_root}",
                    "--no-progress"], env=env, check=True, capture_output=True)
    base = run_root / "toy-mdm"
    for name, damage in (("torn-ckpt", "ckpt"), ("empty-latest", "latest"), ("torn-metrics", "metrics")):
        d = run_root / name
        shutil.copytree(base, d)
        cfg = json.loads((d / "config.json").read_text())
        cfg["name"] = name
        (d / "config.json").write_text(json.dumps(cfg))
        if damage == "ckpt":
            f = d / "checkpoints" / "step_00000004" / "model.safetensors"
            f.write_bytes(f.read_bytes()[:100])
        elif damage == "latest":
            (d / "checkpoints" / "latest").write_text("")
        else:
            with open(d / "metrics.jsonl", "a") as f:
                f.write('{"step": 4, "loss": 1.')
    fx["run_root"] = str(run_root)
    fx["two"] = two_solution_puzzle()
    return fx


def probes(w: Path, fx: dict) -> list[tuple[str, list[str], str, bool]]:
    """(name, argv after `anyorder`, expected behaviour, safe to run on old code)."""
    rr = fx["run_root"]
    train = lambda name: ["train", f"{rr}/{name}/config.json", "max_steps=6", "--no-progress", "--resume"]  # noqa
    return [
        ("solve non-UTF-8 file", ["solve", "--file", f"{w}/random.bin"], "exit 2", True),
        ("solve BOM file", ["solve", "--file", f"{w}/bom.txt", "--steps", "5"], "accepted (exit 0/1)", True),
        ("decode non-UTF-8 input", ["decode", str(SHIPPED), "--input", f"{w}/random.bin"], "exit 2", True),
        ("solve --output missing dir", ["solve", "--file", f"{w}/p.txt", "--output", f"{w}/nodir/o.txt",
                                        "--steps", "5"], "exit 2 before decoding", True),
        ("solve --output a directory", ["solve", "--file", f"{w}/p.txt", "--output", f"{w}/adir",
                                        "--steps", "5"], "exit 2 before decoding", True),
        ("solve --output /proc", ["solve", "--file", f"{w}/p.txt", "--output", "/proc/o.txt", "--steps", "5"],
         "exit 2 before decoding", True),
        ("solve --output = --file", ["solve", "--file", f"{w}/p.txt", "--output", f"{w}/p.txt", "--steps", "5"],
         "exit 2, input kept", True),
        ("solve --output locked by another writer", ["solve", "--file", f"{w}/p.txt", "--output",
                                                     f"{w}/locked.txt", "--steps", "5"], "exit 2 (lock held)", True),
        ("checkpoint d_model=32768", ["decode", fx["huge"], "--input", f"{w}/tokens.txt"], "exit 2, no allocation",
         False),
        ("tokenizer smaller than vocab", ["decode", fx["smalltok"], "--input", f"{w}/tokens.txt"], "exit 2", True),
        ("files entry outside checkpoint", ["decode", fx["escape"], "--input", f"{w}/tokens.txt"], "exit 2", True),
        ("all-NaN weights", ["decode", fx["nan"], "--input", f"{w}/tokens.txt"], "exit 2", True),
        ("demo --n -3", ["demo", "--n", "-3"], "exit 2", False),
        ("demo --n 0", ["demo", "--n", "0"], "exit 2", True),
        ("demo --batch-size 0", ["demo", "--n", "1", "--batch-size", "0", "--steps", "2"], "exit 2", True),
        ("decode --batch-size 0", ["decode", str(SHIPPED), "--input", f"{w}/tokens.txt", "--batch-size", "0"],
         "exit 2", True),
        ("data sudoku --n -5", ["data", "sudoku", f"{w}/ds-neg", "--split", "test", "--n", "-5", "--no-progress"],
         "exit 2", True),
        ("data sudoku <existing file>", ["data", "sudoku", f"{w}/afile", "--split", "test", "--n", "3",
                                         "--no-progress"], "exit 2", True),
        ("export to a path under a file", ["export", str(SHIPPED), f"{w}/afile/sub"], "exit 2", True),
        ("resume: truncated latest checkpoint", train("torn-ckpt"),
         "falls back to step 2 (says so), exit 0", True),
        ("resume: empty latest file", train("empty-latest"), "falls back / clear, exit 0", True),
        ("resume: torn metrics.jsonl line", train("torn-metrics"), "tolerated, exit 0", True),
        ("train optim.lr=nan", ["train", "toy-mdm", "optim.lr=nan", f"out_dir={rr}", "max_steps=1"], "exit 2",
         True),
        ("decode 80- and 5-token lines", ["decode", str(SHIPPED), "--input", f"{w}/short.txt"], "exit 2", True),
        ("solve 2-solution puzzle", ["solve", fx["two"], "--steps", "5"], "says 'more than one solution'", True),
        ("solve 1-clue puzzle", ["solve", ONE_CLUE, "--steps", "5"], "says why (ambiguous / invalid)", True),
        ("solve no-solution puzzle", ["solve", "12345678" + "0" * 9 + "9" + "0" * 63], "exit 2", True),
        ("--device cuda (CPU torch)", ["solve", PUZZLE, "--device", "cuda"], "exit 2", True),
        ("--device bogus", ["solve", PUZZLE, "--device", "bogus"], "exit 2", True),
        ("--version", ["--version"], "exit 0, prints version", True),
    ]


def run_probe(root: Path, argv: list[str], cwd: Path, lock: Path | None) -> tuple[int, str, bool, float]:
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1", "ANYORDER_TRACEBACK_DIR": str(cwd)}
    held = None
    if lock is not None:
        from filelock import FileLock
        sys.path.insert(0, str(root))
        try:
            from anyorder.io import lock_path
        except ImportError:  # code before issue 18: no locks at all
            def lock_path(p):
                return p.with_name(p.name + ".lock")
        held = FileLock(str(lock_path(lock)))
        held.acquire()
    t = time.time()
    try:
        p = subprocess.run([sys.executable, "-m", "anyorder", *argv], env=env, cwd=cwd, capture_output=True,
                           text=True, errors="replace", timeout=600)
    finally:
        if held is not None:
            held.release()
    err = [ln for ln in p.stderr.splitlines() if ln.strip()]
    tb = "Traceback (most recent call last)" in p.stderr
    first = err[-1] if tb else next((ln for ln in err if ln.startswith("anyorder") or "error" in ln.lower() or "warning" in ln.lower()
                  or "note" in ln.lower()), err[-1] if err else (p.stdout.strip().splitlines() or [""])[0])
    return p.returncode, first[:150], tb, time.time() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--work", default="/tmp/anyorder-probes")
    ap.add_argument("--safe", action="store_true", help="skip probes that are expensive on unfixed code")
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    root, work = Path(a.root), Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    fx = make_fixtures(work, root)
    print("| probe | expected | exit | traceback | first line of stderr |\n|---|---|---|---|---|")
    for name, argv, expect, safe in probes(work, fx):
        if a.only and not any(o in name for o in a.only):
            continue
        if a.safe and not safe:
            print(f"| {name} | {expect} | skipped | | (not run: expensive on this code) |", flush=True)
            continue
        lock = work / "locked.txt" if "locked" in name else None
        rc, first, tb, secs = run_probe(root, argv, work, lock)
        print(f"| {name} | {expect} | {rc} | {'yes' if tb else 'no'} | {first.replace('|', '/')} |", flush=True)
        if name == "solve --output = --file":
            if (work / "p.txt").read_text() != PUZZLE + "\n":
                print("| (the input p.txt was overwritten by that probe; restored) | | | | |")
                (work / "p.txt").write_text(PUZZLE + "\n")


if __name__ == "__main__":
    main()
