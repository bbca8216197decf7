"""End-to-end: the real ``anyorder serve`` app with the shipped checkpoint, driven by headless Chromium
(Playwright; Debian's ``chromium`` package, since browsers cannot be downloaded here).

Skipped when Playwright or Chromium is missing, unless ``ANYORDER_REQUIRE_BROWSER=1`` (set by ``.ci/run``):
then they fail. Chromium is found at ``$ANYORDER_CHROMIUM`` or as ``chromium`` / ``chromium-browser`` on PATH.
"""
import os
import shutil

import pytest

from anyorder.decode import Plan
from anyorder.experiments.visual.replay import decode_replay, load_displayed, palette, step_bin
from anyorder.tasks.sudoku.dataset import shipped

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _missing(what: str):
    if os.environ.get("ANYORDER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} (ANYORDER_REQUIRE_BROWSER=1: browser tests must run)")
    pytest.skip(what)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    exe = os.environ.get("ANYORDER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        _missing("no Chromium executable (apt-get install chromium, or set ANYORDER_CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shown():
    return load_displayed()


@pytest.fixture(scope="module")
def server(shown):
    pytest.importorskip("uvicorn")
    from anyorder.experiments.visual.app import create_app, running

    with running(create_app(shown)) as url:
        yield url


def _rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def test_solve_shipped_puzzle_live(chromium, server, shown, tmp_path):
    data = shipped("test", 1)
    puzzle = "".join(map(str, data.puzzles[0]))
    page = chromium.new_page(viewport={"width": 1300, "height": 900})
    page.goto(server)
    page.wait_for_selector("body[data-state=ready]")
    page.select_option("#example", "shipped test #1")  # pick the shipped puzzle
    assert page.input_value("#problem") == puzzle
    page.click("#solve")
    page.wait_for_selector("#lane1 .cell")  # the stream started: grids drawn before the decode ends
    page.wait_for_selector("body[data-state=done]", timeout=120_000)
    page.screenshot(path=str(tmp_path / "serve.png"), full_page=True)
    assert (tmp_path / "serve.png").stat().st_size > 10_000
    assert page.inner_text("#error") == ""
    # the page's default lanes: vanilla (Algorithm 1) and top_prob_margin, 50 steps, seed 0
    plans = [Plan(score="vanilla", budget="binomial"), Plan(score="top_prob_margin")]
    pal = palette()
    for k, plan in enumerate(plans):
        expected = decode_replay(shown.model, shown.display, data.puzzles[0], plan, shown.mask_id, seed=0)
        cells = page.query_selector_all(f"#lane{k} .cell")
        assert [c.query_selector(".v").inner_text() for c in cells] == expected.labels
        steps = [int(c.get_attribute("data-step")) for c in cells]
        assert steps == expected.order
        colours = [c.evaluate("e => getComputedStyle(e).backgroundColor") for c in cells]
        for i, step in enumerate(steps):
            if step >= 0:
                assert colours[i] == _rgb(pal[step_bin(step, plan.steps)])
    lane = page.query_selector_all("#lane1 .cell")
    assert "".join(c.query_selector(".v").inner_text() for c in lane) == "".join(map(str, data.solutions[0]))
    assert "valid solution" in page.inner_text("#lane1 .meta") and "NFE 50" in page.inner_text("#lane1 .meta")
    print(f"screenshot: {tmp_path / 'serve.png'}")
    page.close()


def test_malformed_puzzle_shows_the_error(chromium, server):
    page = chromium.new_page()
    page.goto(server)
    page.wait_for_selector("body[data-state=ready]")
    page.fill("#problem", "12345")
    page.click("#solve")
    page.wait_for_selector("body[data-state=error]")
    assert "expected 81" in page.inner_text("#error")
    page.fill("#problem", "11" + "0" * 79)
    page.click("#solve")
    page.wait_for_function("document.getElementById('error').textContent.includes('conflict')")
    page.close()


def test_html_replay_slider(chromium, tmp_path):
    from anyorder.experiments.visual.html import replay_html, write_html
    from tests.experiments.visual.visual_fakes import PUZZLE, SOLUTION, digits
    from tests.experiments.visual.visual_fakes import shown as oracle

    s = oracle()
    rep = decode_replay(s.model, s.display, digits(PUZZLE), Plan(steps=51, score="top_prob"), s.mask_id)
    path = write_html(replay_html([("top_prob", rep.to_dict())], s.display.layout), tmp_path / "order.html")
    page = chromium.new_page()
    page.goto(path.as_uri())
    cells = page.query_selector_all("#lane0 .cell")
    assert "".join(c.inner_text() for c in cells) == SOLUTION  # the slider starts at the last step
    page.eval_on_selector("#step", "e => { e.value = 10; e.dispatchEvent(new Event('input')); }")
    texts = [c.inner_text() for c in cells]
    blanks = [i for i, c in enumerate(PUZZLE) if c == "0"]
    assert [texts[i] for i in blanks[:10]] == [SOLUTION[i] for i in blanks[:10]]
    assert all(texts[i] == "" for i in blanks[10:])
    assert cells[blanks[0]].evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(palette()[0])
    page.close()


def test_missing_browser_fails_when_required(monkeypatch):
    monkeypatch.setenv("ANYORDER_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="must run"):
        _missing("no Chromium")
    monkeypatch.delenv("ANYORDER_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception):
        _missing("no Chromium")
