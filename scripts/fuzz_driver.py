"""Large-budget fuzz driver (issue 18, item 6): feeds byte buffers to the hypothesis tests of tests/fuzz through
hypothesis's external-fuzzer entry point, ``test.hypothesis.fuzz_one_input(buffer)``, in one process.

Why not ``pytest`` with a large ``max_examples``: hypothesis's own generate loop (example bookkeeping, the
growing tree of tried choices, the health checks) cost more than the targets, and pytest runs one target per
process start. Here each buffer is decoded by the same strategies the CI tests use (so every input is one the
tests could have drawn: the same near-valid puzzles, token lines, overrides and config edits), and the target
runs once, with no shrinking and no database.

Buffers: half are fresh random bytes (random length), half are mutations (byte flips, inserted / deleted /
duplicated runs, splices) of a corpus of earlier buffers; a buffer joins the corpus when it produced an outcome
not seen before (a new error type or a new error message pattern). A crash is any exception other than the
documented error types (AnyorderError), or an input that uses more than ``--timeout`` seconds of CPU time
(CPU, not wall time: the machine is shared); its buffer is
saved to ``--crash-dir`` with the traceback, and the driver exits 1 at the end. Reproduce a saved crash with
``python scripts/fuzz_driver.py --replay FILE``.

    python scripts/fuzz_driver.py --n 100000 --report out.json     # every target
    python scripts/fuzz_driver.py --n 2000 --targets sudoku_text decode_tokens --seed 3
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
sys.path.insert(0, str(ROOT))


class InputTimeout(Exception):
    """One input used more than --timeout seconds of CPU time."""


def _alarm(signum, frame):
    raise InputTimeout("input used more CPU time than the --timeout limit")


def mutate(rng: random.Random, corpus: list[bytes], max_len: int) -> bytes:
    """A random mutation of a corpus entry (libFuzzer-style byte edits)."""
    data = bytearray(rng.choice(corpus))
    for _ in range(1 + int(rng.expovariate(0.7))):
        op = rng.randrange(6)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:  # overwrite bytes
            for i in range(rng.randint(1, 8)):
                if pos + i < len(data):
                    data[pos + i] = rng.randrange(256)
        elif op == 1:  # insert random bytes
            data[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif op == 2 and data:  # delete a run
            del data[pos:pos + rng.randint(1, 16)]
        elif op == 3 and data:  # duplicate a run
            start = rng.randrange(len(data))
            data[pos:pos] = data[start:start + rng.randint(1, 32)]
        elif op == 4:  # splice with another entry
            other = rng.choice(corpus)
            cut = rng.randrange(len(other) + 1)
            data = data[:pos] + other[cut:]
        elif data:  # interesting byte values
            data[min(pos, len(data) - 1)] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0xFE))
    return bytes(data[:max_len])


def fresh(rng: random.Random, max_len: int) -> bytes:
    """Random bytes, mostly short (hypothesis reads a few bytes per choice), sometimes up to max_len."""
    n = min(max_len, int(rng.expovariate(1 / 300)) if rng.random() < 0.8 else rng.randrange(max_len + 1))
    return rng.randbytes(n)


def fuzz_target(name: str, n: int, seed: int, crash_dir: Path, timeout: float, max_len: int,
                max_saved: int = 5, progress: int = 10_000) -> dict:
    """Run ``name`` until it has received ``n`` inputs; returns the summary printed by main."""
    import test_fuzz as F

    import fuzz_targets as T

    run = getattr(F, f"test_{name}").hypothesis.fuzz_one_input
    rng = random.Random(f"{seed}-{name}")
    corpus: list[bytes] = [b""]
    seen: set = set()
    crashes: collections.Counter = collections.Counter()
    saved: collections.Counter = collections.Counter()
    buffers = 0
    start_calls = T.CALLS[name]
    wall, cpu = time.perf_counter(), time.process_time()
    while T.CALLS[name] - start_calls < n:
        data = fresh(rng, max_len) if rng.random() < 0.5 else mutate(rng, corpus, max_len)
        buffers += 1
        if buffers % progress == 0:
            print(f"  {name}: {T.CALLS[name] - start_calls} inputs, {time.process_time() - cpu:.0f} s CPU, "
                  f"{sum(crashes.values())} crashes", flush=True)
        before = sum(T.ERRORS[name].values()), sum(len(m) for (t, _), m in T.MESSAGES.items() if t == name)
        signal.setitimer(signal.ITIMER_PROF, timeout)
        try:
            run(data)
        except BaseException as error:  # noqa: BLE001 - everything that is not a documented error is a crash
            signal.setitimer(signal.ITIMER_PROF, 0)
            if isinstance(error, KeyboardInterrupt):
                raise
            frame = traceback.extract_tb(error.__traceback__)[-1]
            kind = f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            crashes[kind] += 1
            if saved[kind] < max_saved:
                saved[kind] += 1
                crash_dir.mkdir(parents=True, exist_ok=True)
                stem = crash_dir / f"{name}-{hashlib.sha256(data).hexdigest()[:16]}"
                stem.with_suffix(".bin").write_bytes(data)
                stem.with_suffix(".txt").write_text(
                    f"target {name}\nreplay: python scripts/fuzz_driver.py --replay {stem}.bin\n\n"
                    + "".join(traceback.format_exception(error)))
            continue
        signal.setitimer(signal.ITIMER_PROF, 0)
        after = sum(T.ERRORS[name].values()), sum(len(m) for (t, _), m in T.MESSAGES.items() if t == name)
        outcome = (after[0] > before[0], tuple(sorted(T.ERRORS[name])), after[1])
        if outcome not in seen:
            seen.add(outcome)
            corpus.append(data)
    messages = {kind: len(T.MESSAGES[name, kind]) for kind in T.ERRORS[name]}
    return {"target": name, "inputs": T.CALLS[name] - start_calls, "buffers": buffers,
            "errors": dict(T.ERRORS[name]), "distinct_messages": messages, "crashes": dict(crashes),
            "corpus": len(corpus), "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(time.process_time() - cpu, 1)}


def _distinct(n: int) -> str:
    return f">= {n}" if n >= 1000 else str(n)  # fuzz_targets keeps at most 1,000 messages per error type


def replay(path: Path) -> int:
    import test_fuzz as F

    name = path.name.rsplit("-", 1)[0]
    getattr(F, f"test_{name}").hypothesis.fuzz_one_input(path.read_bytes())
    print(f"{path}: no crash ({name})")
    return 0


def main(argv: list[str] | None = None) -> int:
    import fuzz_targets as T

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="inputs per target (default 100,000)")
    parser.add_argument("--targets", nargs="*", default=list(T.TARGETS), choices=T.TARGETS, metavar="TARGET")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--timeout", type=float, default=20.0, help="CPU seconds one input may take (default 20)")
    parser.add_argument("--max-len", type=int, default=4096, help="longest buffer in bytes (default 4096)")
    parser.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"), help="where crashing inputs go")
    parser.add_argument("--report", type=Path, help="write the per-target summaries here (JSON)")
    parser.add_argument("--replay", type=Path, help="run one saved crash input and exit")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 32)
    signal.signal(signal.SIGPROF, _alarm)
    print(f"seed {seed}, {args.n} inputs per target, crashes to {args.crash_dir}", flush=True)
    results = []
    for name in args.targets:
        r = fuzz_target(name, args.n, seed, args.crash_dir, args.timeout, args.max_len)
        results.append(r)
        errors = ", ".join(f"{k} {v} ({_distinct(r['distinct_messages'][k])} distinct messages)"
                           for k, v in sorted(r["errors"].items()))
        crashes = ", ".join(f"{k} x{v}" for k, v in sorted(r["crashes"].items())) or "none"
        print(f"{name}: {r['inputs']} inputs ({r['buffers']} buffers), {r['wall_s']} s wall, {r['cpu_s']} s CPU; "
              f"documented errors: {errors or 'none'}; crashes: {crashes}", flush=True)
        if args.report:
            args.report.write_text(json.dumps({"seed": seed, "n": args.n, "results": results}, indent=1))
    total = sum(sum(r["crashes"].values()) for r in results)
    print(f"total: {sum(r['inputs'] for r in results)} inputs, {total} crashes", flush=True)
    return 1 if total else 0


if __name__ == "__main__":
    os.environ.setdefault("ANYORDER_FUZZ_TMP", "/dev/shm" if os.path.isdir("/dev/shm") else "")
    if not os.environ["ANYORDER_FUZZ_TMP"]:
        del os.environ["ANYORDER_FUZZ_TMP"]
    sys.exit(main())
