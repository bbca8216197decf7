"""``anyorder serve``'s app (``experiments.visual.app``) through Starlette's test client: the stream, the limits
and the error answers; the server keeps serving after each."""
import json

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

from anyorder.experiments.visual.app import Limits, create_app  # noqa: E402
from anyorder.experiments.visual.replay import palette, step_bin  # noqa: E402
from tests.experiments.visual.visual_fakes import PUZZLE, SOLUTION, shown  # noqa: E402


def events(text: str) -> list[tuple[str, dict]]:
    out = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


@pytest.fixture
def client():
    return TestClient(create_app(shown(), Limits(max_concurrent=2, max_steps=100)))


def decode(client, **body):
    body = {"problem": PUZZLE, **body}
    return client.post("/api/decode", json=body)


def test_page_and_info(client):
    assert "anyorder" in client.get("/").text
    info = client.get("/api/info").json()
    assert info["layout"] == {"rows": 9, "cols": 9, "box": [3, 3]}
    assert info["checkpoint"] == "oracle"  # the name only, never the path
    assert info["palette"] == palette() and info["limits"]["max_steps"] == 100
    from anyorder.tasks.sudoku.dataset import shipped

    assert info["examples"]["shipped hard #2"] == "".join(map(str, shipped("hard", 2).puzzles[1]))
    assert "top_prob_margin" in info["scores"] and info["difficulties"] == ["easy", "medium", "hard"]


def test_decode_streams_steps_then_the_solution(client):
    lanes = [{"score": "vanilla", "budget": "binomial", "steps": 20}, {"score": "top_prob", "steps": 51}]
    res = decode(client, lanes=lanes, seed=3)
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
    ev = events(res.text)
    assert ev[0][0] == "start" and ev[-1][0] == "end"
    start = ev[0][1]
    assert [lane["steps"] for lane in start["lanes"]] == [20, 51]
    assert start["given"] == [c != "0" for c in PUZZLE]
    assert sorted(v for v in start["reference"] if v >= 0) == list(range(PUZZLE.count("0")))
    for k in (0, 1):
        steps = [d for kind, d in ev if kind == "step" and d["lane"] == k]
        done = [d["replay"] for kind, d in ev if kind == "done" and d["lane"] == k][0]
        assert "".join(done["labels"]) == SOLUTION and done["valid"]
        revealed = sorted(c for s in steps for c in s["cells"])
        assert revealed == [i for i, c in enumerate(PUZZLE) if c == "0"]  # each blank streamed exactly once
        for s in steps:  # the streamed step is the reveal step of the final replay
            assert all(done["order"][c] == s["step"] for c in s["cells"])
    top = [d["replay"] for kind, d in ev if kind == "done" and d["lane"] == 1][0]
    blanks = [i for i, c in enumerate(PUZZLE) if c == "0"]
    assert [top["order"][i] for i in blanks] == list(range(51))  # top_prob: one cell per step, row-major
    assert top["top2"][blanks[0]][0][0] == SOLUTION[blanks[0]] and top["scores"][blanks[0]] > 0.99
    assert top["nfe"] == 51


@pytest.mark.parametrize("body, status, message", [
    ({"problem": "12345"}, 400, "expected 81"),
    ({"problem": "1" * 81}, 400, "conflict"),
    ({"problem": PUZZLE, "lanes": [{"score": "nope"}]}, 400, "unknown score"),
    ({"problem": PUZZLE, "lanes": [{"path": "/etc/passwd"}]}, 400, "unknown field"),
    ({"problem": PUZZLE, "lanes": [{"steps": 101}]}, 400, "1..100"),
    ({"problem": PUZZLE, "lanes": [{}] * 4}, 400, "at most 3 lanes"),
    ({"problem": PUZZLE, "lanes": [{"mode": "beam"}]}, 400, "mode must be"),
    ({"problem": PUZZLE, "seed": -1}, 400, "seed"),
    ({"problem": PUZZLE, "checkpoint": "/tmp"}, 400, "unknown field"),
    ({"problem": "1" * 5000}, 413, "too long"),
    ({}, 400, "give the problem"),
])
def test_bad_requests_get_4xx_with_a_message(client, body, status, message):
    res = client.post("/api/decode", json=body)
    assert res.status_code == status and message in res.json()["error"]
    assert decode(client, lanes=[{"steps": 5}]).status_code == 200  # still serving


def test_malformed_json_too_large_body_unknown_route(client):
    res = client.post("/api/decode", content=b"{not json", headers={"content-type": "application/json"})
    assert res.status_code == 400 and "not valid JSON" in res.json()["error"]
    res = client.post("/api/decode", content=b"x" * 20000)
    assert res.status_code == 413 and "too large" in res.json()["error"]
    assert client.get("/api/decode").status_code == 405
    assert client.get("/etc/passwd").status_code == 404
    assert client.get("/../anyorder/errors.py").status_code == 404


def test_busy_server_answers_503_then_recovers(client):
    slots = client.app.state.slots
    assert slots.try_acquire() and slots.try_acquire()  # both decode slots taken
    res = decode(client)
    assert res.status_code == 503 and res.headers["retry-after"] == "1" and "busy" in res.json()["error"]
    assert client.post("/api/generate", json={"difficulty": "easy"}).status_code == 503
    slots.release()
    slots.release()
    assert decode(client, lanes=[{"steps": 5}]).status_code == 200
    assert slots.used == 0  # the stream released its slot


def test_time_limit_stops_a_decode_with_an_error_event():
    client = TestClient(create_app(shown(delay=0.05), Limits(time_limit_s=0.12)))
    ev = events(decode(client, lanes=[{"steps": 50}]).text)
    errors = [d for kind, d in ev if kind == "error"]
    assert errors and "time limit" in errors[0]["error"] and ev[-1][0] == "end"
    assert client.app.state.slots.used == 0


def test_generate_rejects_unknown_difficulty(client):
    res = client.post("/api/generate", json={"difficulty": "impossible"})
    assert res.status_code == 400 and "easy" in res.json()["error"]


@pytest.mark.slow
def test_generate_easy_puzzle(client):
    from anyorder.tasks.sudoku.techniques import rate

    res = client.post("/api/generate", json={"difficulty": "easy", "seed": 5})
    assert res.status_code == 200
    puzzle = [int(c) for c in res.json()["problem"]]
    r = rate([puzzle])
    assert r["solvable"][0] and r["hardest"][0] <= 3


def test_palette_bins():
    assert step_bin(0, 50) == 0 and step_bin(49, 50) == len(palette()) - 1
    assert palette()[0] == "#440154"  # viridis starts dark purple
