"""``anyorder serve``: a local web app that shows MDM decoding orders live (Starlette ASGI app, run by uvicorn).

Routes (JSON in, JSON out, errors as ``{"error": message}`` with a 4xx / 503 status):
- ``GET /``: the page (``anyorder/assets/web/index.html``, read once at start);
- ``GET /api/info``: task, checkpoint name, display layout, examples, difficulties, registries, defaults, limits,
  palette;
- ``POST /api/generate`` ``{"difficulty", "seed"}`` -> ``{"problem"}`` (the task's generator);
- ``POST /api/decode`` ``{"problem", "lanes": [{plan fields}], "seed"}`` -> a ``text/event-stream``: ``start``
  (given cells, reference order), per lane ``step`` events as the decode runs (``replay.decode_replay``), then
  ``done`` (the ``Replay``: reveal steps, scores, top-2, NFE, time, validity) or ``error``; finally ``end``.
Limits (``Limits``): request body size, problem size (``Display.max_chars``), lanes and steps per request, a time
limit per lane, and at most ``max_concurrent`` decodes / generations at once (more: 503 + Retry-After, never a
queue). The app reads no path given by a request; the page and the checkpoint are fixed at start.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from anyorder.decode import Plan
from anyorder.decode.budget import BUDGETS
from anyorder.decode.noise import NOISES
from anyorder.decode.score import SCORES
from anyorder.errors import AnyorderError, ConfigError
from anyorder.experiments.visual.replay import Displayed, decode_replay, palette

PAGE = Path(__file__).resolve().parents[2] / "assets" / "web" / "index.html"
LANE_FIELDS = ("score", "steps", "noise", "noise_scale", "noise_anneal", "budget", "mode", "value", "temperature",
               "k", "threshold", "factor")  # Plan fields a lane may set
MODES = ("unmask", "remask")  # MDM decoders (greedy / beam need a causal model)
KEEP_ALIVE_S = 30  # uvicorn's default 5 s races with clients reusing a connection on a loaded machine
DEFAULT_LANES = ({"score": "vanilla", "budget": "binomial"}, {"score": "top_prob_margin"})


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; chosen so a 2-core laptop stays responsive (docs/serve.md)."""

    max_body_bytes: int = 16_384  # request body (a 9x9 puzzle with 3 lanes is < 1 KB)
    max_lanes: int = 3  # strategies side by side
    max_steps: int = 256  # Plan.steps per lane
    time_limit_s: float = 30.0  # per lane; the decode stops at the next model call after it
    max_concurrent: int = 4  # decode / generate requests running at once; more get 503
    max_seed: int = 2**31 - 1

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ConfigError(f"serve limit {f.name} must be > 0, got {getattr(self, f.name)}")


class RequestError(AnyorderError):
    """A bad request: answered with ``status`` and the message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_lanes(raw: Any, limits: Limits) -> list[Plan]:
    """The request's lanes -> Plans (unknown keys, names or values: RequestError naming them)."""
    if raw is None:
        raw = list(DEFAULT_LANES)
    if not isinstance(raw, list) or not raw:
        raise RequestError("lanes must be a non-empty list of strategies")
    if len(raw) > limits.max_lanes:
        raise RequestError(f"at most {limits.max_lanes} lanes per request, got {len(raw)}")
    plans = []
    for k, lane in enumerate(raw, 1):
        if not isinstance(lane, dict):
            raise RequestError(f"lane {k}: must be an object of plan fields")
        unknown = sorted(set(lane) - set(LANE_FIELDS))
        if unknown:
            raise RequestError(f"lane {k}: unknown field(s) {unknown}; valid: {list(LANE_FIELDS)}")
        if lane.get("mode", "unmask") not in MODES:
            raise RequestError(f"lane {k}: mode must be one of {list(MODES)}")
        steps = lane.get("steps", Plan().steps)
        if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= limits.max_steps:
            raise RequestError(f"lane {k}: steps must be an integer in 1..{limits.max_steps}, got {steps!r}")
        try:
            plans.append(Plan(**lane))
        except (AnyorderError, TypeError, ValueError) as e:
            raise RequestError(f"lane {k}: {e}") from e
    return plans


def lane_label(plan: Plan) -> str:
    noise = f" + {plan.noise} {plan.noise_scale:g}" if plan.noise != "none" and plan.noise_scale else ""
    budget = "" if plan.budget == "schedule" else f", {plan.budget}"
    if plan.score_name == "vanilla" and plan.budget == "binomial" and plan.mode == "unmask":
        return f"vanilla (Algorithm 1){noise}, {plan.steps} steps"
    return f"{plan.score_name}{noise}{budget}, {plan.steps} steps" + ("" if plan.mode == "unmask" else ", remask")


class Slots:
    """At most ``n`` holders at once; ``try_acquire`` never waits (the caller answers 503 instead)."""

    def __init__(self, n: int):
        self.n, self.used, self.lock = n, 0, threading.Lock()

    def try_acquire(self) -> bool:
        with self.lock:
            if self.used >= self.n:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.used -= 1


def create_app(shown: Displayed, limits: Limits = Limits(), device: str = "cpu"):
    """The ASGI app for one checkpoint (``replay.load_displayed``)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    _ReleasingStream = _releasing_stream()
    page = PAGE.read_text(encoding="utf-8")
    disp = shown.display
    slots = Slots(limits.max_concurrent)
    examples = {name: disp.format(problem) for name, problem in disp.examples().items()}

    def error(message: str, status: int = 400, **headers) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers or None)

    async def read_json(request: Request) -> dict:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limits.max_body_bytes):
            raise RequestError(f"request body too large (at most {limits.max_body_bytes} bytes)", 413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limits.max_body_bytes:
                raise RequestError(f"request body too large (at most {limits.max_body_bytes} bytes)", 413)
        try:
            data = json.loads(body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise RequestError(f"request body is not valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise RequestError("request body must be a JSON object")
        return data

    def seed_of(data: dict) -> int:
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= limits.max_seed:
            raise RequestError(f"seed must be an integer in 0..{limits.max_seed}, got {seed!r}")
        return seed

    def problem_of(data: dict):
        text = data.get("problem")
        if not isinstance(text, str) or not text.strip():
            raise RequestError("give the problem (a puzzle) as a non-empty string")
        if len(text) > disp.max_chars:
            raise RequestError(f"problem too long: {len(text)} characters (at most {disp.max_chars})", 413)
        try:
            return disp.parse(text)
        except AnyorderError as e:
            raise RequestError(f"bad puzzle: {e}") from e

    async def index(request: Request):
        return HTMLResponse(page)

    async def info(request: Request):
        return JSONResponse({
            "task": shown.task, "checkpoint": Path(shown.path).name, "kind": disp.kind, "layout": disp.layout,
            "difficulties": list(disp.difficulties), "examples": examples, "scores": sorted(SCORES),
            "noises": sorted(NOISES), "budgets": sorted(BUDGETS), "modes": list(MODES), "lane_fields": list(LANE_FIELDS),
            "default_lanes": list(DEFAULT_LANES), "plan_defaults": {k: getattr(Plan(), k) for k in LANE_FIELDS},
            "limits": asdict(limits), "palette": palette()})

    async def generate(request: Request):
        try:
            data = await read_json(request)
            difficulty, seed = data.get("difficulty"), seed_of(data)
            if difficulty not in disp.difficulties:
                raise RequestError(f"unknown difficulty {difficulty!r}; valid: {list(disp.difficulties)}")
        except RequestError as e:
            return error(str(e), e.status)
        if not slots.try_acquire():
            return error("server busy: too many decodes running; try again in a moment", 503, **{"Retry-After": "1"})
        try:
            problem = await asyncio.to_thread(disp.generate, difficulty, seed)
        except AnyorderError as e:
            return error(str(e), 422)
        finally:
            slots.release()
        return JSONResponse({"problem": disp.format(problem), "difficulty": difficulty, "seed": seed})

    async def decode_stream(request: Request):
        if slots.used >= slots.n:  # busy: refuse before reading or parsing anything
            return error("server busy: too many decodes running; try again in a moment", 503, **{"Retry-After": "1"})
        try:
            data = await read_json(request)
            unknown = sorted(set(data) - {"problem", "lanes", "seed"})
            if unknown:
                raise RequestError(f"unknown field(s) {unknown}; valid: ['lanes', 'problem', 'seed']")
            problem, plans, seed = problem_of(data), parse_lanes(data.get("lanes"), limits), seed_of(data)
        except RequestError as e:
            return error(str(e), e.status)
        if not slots.try_acquire():
            return error("server busy: too many decodes running; try again in a moment", 503, **{"Retry-After": "1"})
        release = _once(slots.release)
        return _ReleasingStream(release, events(problem, plans, seed, release), media_type="text/event-stream",
                                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def events(problem, plans: list[Plan], seed: int, release):
        """SSE frames of one decode request; the slot is released when the stream ends or the client leaves."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()

        def run(k: int, plan: Plan) -> None:
            def put(kind: str, payload: dict) -> None:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, {"lane": k, **payload}))
            try:
                rep = decode_replay(shown.model, disp, problem, plan, shown.mask_id, seed,
                                    on_step=lambda e: put("step", e), time_limit=limits.time_limit_s,
                                    device=device, stop=stop)
                put("done", {"replay": rep.to_dict()})
            except AnyorderError as e:
                put("error", {"error": str(e)})
            except Exception as e:  # a model failure must not kill the server; the page shows it
                put("error", {"error": f"decode failed: {type(e).__name__}: {e}"})

        try:
            tokens, is_fixed = disp.encode([problem])
            given = [bool(g) for g in disp.cells(is_fixed)[0]]
            ref = await asyncio.to_thread(disp.reference_order, problem)
            yield _sse("start", {"labels": disp.labels(tokens)[0], "given": given,
                                 "reference": None if ref is None else [int(v) for v in ref],
                                 "lanes": [{"label": lane_label(p), "steps": p.steps} for p in plans]})
            tasks = [loop.run_in_executor(None, run, k, p) for k, p in enumerate(plans)]
            finished = 0
            while finished < len(plans):
                kind, payload = await queue.get()
                finished += kind in ("done", "error")
                yield _sse(kind, payload)
            await asyncio.gather(*tasks)
            yield _sse("end", {})
        finally:
            stop.set()
            release()

    async def not_allowed(request: Request, exc):
        return error(f"{request.method} {request.url.path}: {exc.detail}", exc.status_code)

    routes = [Route("/", index), Route("/api/info", info), Route("/api/generate", generate, methods=["POST"]),
              Route("/api/decode", decode_stream, methods=["POST"])]
    from starlette.exceptions import HTTPException

    app = Starlette(routes=routes, exception_handlers={HTTPException: not_allowed})
    app.state.slots = slots
    return app


def _once(fn):
    """``fn`` callable any number of times, run once (the decode slot is released by whichever comes first)."""
    done = threading.Event()

    def call() -> None:
        if not done.is_set():
            done.set()
            fn()
    return call


def _releasing_stream():
    from starlette.responses import StreamingResponse

    class ReleasingStream(StreamingResponse):
        """A StreamingResponse that releases its decode slot even when the body was never iterated."""

        def __init__(self, release, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release = release

        async def __call__(self, scope, receive, send):
            try:
                await super().__call__(scope, receive, send)
            finally:
                self.release()
    return ReleasingStream


def _sse(kind: str, payload: dict) -> str:
    return f"event: {kind}\ndata: {json.dumps(payload)}\n\n"


@contextmanager
def running(app, host: str = "127.0.0.1", port: int = 0):
    """Serve ``app`` with uvicorn in a background thread (tests, screenshots, the load test); yields the base
    URL and stops the server on exit. ``port=0`` picks a free port."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           timeout_keep_alive=KEEP_ALIVE_S))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError("uvicorn did not start")
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
