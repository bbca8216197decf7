"""Bounded load test of ``anyorder serve`` on 127.0.0.1: N decode requests, C at a time (issue 16).

Starts the app (shipped checkpoint unless --checkpoint) with uvicorn in this process, then C client threads send
N POST /api/decode requests (shipped test puzzles, --lanes strategies of --steps steps) and read each SSE stream
to its ``end`` event. A 503 (server busy) is retried after its Retry-After; "latency" counts from the first try,
"served latency" times the accepted try alone. Anything else (another status, a stream without ``end``, a lane
``error`` event, a connection failure) is an error. Prints and (with --out) writes JSON: latency percentiles, status counts, 503 retries, errors, and whether
the server still answers afterwards.

    python benchmarks/serve_load.py --requests 200 --concurrency 8 --out /tmp/serve_load.json
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import numpy as np
from _output import write_json

from anyorder.experiments.visual.app import Limits, create_app, running
from anyorder.experiments.visual.replay import load_displayed
from anyorder.tasks.sudoku.dataset import shipped

LANES = [{"score": "vanilla", "budget": "binomial"}, {"score": "top_prob_margin"}, {"score": "top_prob"}]


def one_request(client, url: str, body: dict, stats: dict, lock: threading.Lock) -> float | None:
    """Send one decode until it is not refused; returns its latency (s) or None on error. The accepted try's own
    time goes to ``stats["served"]``."""
    start = time.perf_counter()
    while True:
        attempt = time.perf_counter()
        try:
            with client.stream("POST", f"{url}/api/decode", json=body, timeout=120) as res:
                text = "".join(res.iter_text())
                status = res.status_code
                retry = float(res.headers.get("retry-after", "1"))
        except Exception as e:  # a crash or a dropped connection is an error
            with lock:
                stats["errors"].append(f"{type(e).__name__}: {e}")
            return None
        with lock:
            stats["status"][status] = stats["status"].get(status, 0) + 1
        if status == 503:
            time.sleep(retry)  # as the server asks
            continue
        ok = status == 200 and "event: end" in text and "event: error" not in text
        if not ok:
            where = text.find("event: error")
            with lock:
                stats["errors"].append(f"status {status}: {text[where:where + 200] if where >= 0 else text[:200]}")
            return None
        with lock:
            stats["served"].append(time.perf_counter() - attempt)
        return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--lanes", type=int, default=2, help="strategies per request (1-3)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--max-concurrent", type=int, default=Limits().max_concurrent, help="server decode slots")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default=None, help="write the JSON result here")
    args = ap.parse_args(argv)
    import httpx
    import torch

    torch.set_num_threads(1)
    shown = load_displayed(args.checkpoint)
    puzzles = shipped("test", args.requests).puzzles
    limits = Limits(max_concurrent=args.max_concurrent)
    stats: dict = {"status": {}, "errors": [], "served": []}
    lock = threading.Lock()
    latencies: list[float] = []
    jobs = iter(range(args.requests))
    with running(create_app(shown, limits)) as url:
        def worker():
            with httpx.Client() as client:
                while True:
                    with lock:
                        i = next(jobs, None)
                    if i is None:
                        return
                    body = {"problem": "".join(map(str, puzzles[i % len(puzzles)])), "seed": i,
                            "lanes": [dict(lane, steps=args.steps) for lane in LANES[:args.lanes]]}
                    t = one_request(client, url, body, stats, lock)
                    if t is not None:
                        with lock:
                            latencies.append(t)
        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        alive = httpx.get(f"{url}/api/info", timeout=10).status_code == 200
    lat = np.array(latencies)
    result = {
        "command": "python benchmarks/serve_load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "requests": args.requests, "concurrency": args.concurrency, "lanes": args.lanes, "steps": args.steps,
        "server_max_concurrent": args.max_concurrent, "completed": int(len(lat)), "errors": len(stats["errors"]),
        "error_samples": stats["errors"][:5], "status_counts": {str(k): v for k, v in sorted(stats["status"].items())},
        "wall_s": round(wall, 2), "requests_per_s": round(len(lat) / wall, 3),
        "latency_s": {f"p{q}": round(float(np.percentile(lat, q)), 3) for q in (50, 90, 95, 99)} if len(lat) else {},
        "latency_max_s": round(float(lat.max()), 3) if len(lat) else None,
        "served_latency_s": {f"p{q}": round(float(np.percentile(stats["served"], q)), 3) for q in (50, 90, 95, 99)}
        if stats["served"] else {}, "server_alive_after": alive,
        "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=1))
    write_json(args.out, result)
    return 0 if not stats["errors"] and alive and len(lat) == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
