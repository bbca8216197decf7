"""Static pictures and HTML pages of decoding orders (``experiments.visual.static`` / ``html`` / ``replay``)."""
import json
import re

import numpy as np
import pytest
import torch

from anyorder.decode import Plan
from anyorder.errors import InputError
from anyorder.experiments.visual import html as vhtml
from anyorder.experiments.visual import static
from anyorder.experiments.visual.replay import decode_replay, palette, step_bin
from tests.experiments.visual.visual_fakes import PUZZLE, SOLUTION, Oracle, digits, shown


@pytest.fixture(scope="module")
def replay():
    s = shown()
    return decode_replay(s.model, s.display, digits(PUZZLE), Plan(steps=51, score="top_prob"), s.mask_id)


def test_replay_records_order_scores_top2(replay):
    blanks = [i for i, c in enumerate(PUZZLE) if c == "0"]
    assert "".join(replay.labels) == SOLUTION and replay.valid and replay.nfe == 51
    assert [replay.order[i] for i in blanks] == list(range(51))  # the oracle is most confident row-major
    assert all(replay.order[i] == -1 and replay.scores[i] is None for i in range(81) if i not in blanks)
    probs = torch.softmax(Oracle()(torch.zeros(1, 81, dtype=torch.long))[0, :, 1:], -1).max(-1).values
    assert replay.scores[blanks[0]] == pytest.approx(probs[blanks[0]].item(), abs=1e-3)
    assert replay.top2[blanks[0]][0] == [SOLUTION[blanks[0]], pytest.approx(probs[blanks[0]].item(), abs=1e-3)]
    assert [e["cells"] for e in replay.steps] == [[i] for i in blanks]


def test_plot_orders_colours_cells_by_step(tmp_path, replay):
    panel = ("top_prob", [int(x) for x in replay.labels], replay.order, 51)
    solver = np.where(digits(PUZZLE) > 0, -1, np.cumsum(digits(PUZZLE) == 0) - 1)
    fig = static.plot_orders(digits(PUZZLE), [panel], solver, solution=digits(SOLUTION))
    ax = fig.axes[0]
    patches = ax.patches  # one rectangle per cell, row-major
    first_blank = PUZZLE.index("0")
    assert np.allclose(patches[first_blank].get_facecolor()[:3], _rgb(palette()[0]), atol=0.02)
    last_blank = PUZZLE.rindex("0")
    assert np.allclose(patches[last_blank].get_facecolor()[:3], _rgb(palette()[-1]), atol=0.02)
    assert [t.get_text() for t in ax.texts[:3]] == ["5", "3", "4"]
    assert len(fig.axes) == 3  # strategy, solver, colour bar
    path = static.save(fig, tmp_path / "order.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputError, match=r"\.png"):
        static.save(static.plot_orders(digits(PUZZLE), [panel]), tmp_path / "order.txt")


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_mean_reveal_position_and_heatmap(tmp_path):
    puzzles = np.zeros((2, 81), int)
    puzzles[:, 0] = 1  # cell 0 given everywhere
    orders = np.tile(np.arange(81), (2, 1))
    orders[1] = orders[1][::-1]  # second puzzle in reverse
    mean, count = static.mean_reveal_position(puzzles, orders)
    assert np.isnan(mean[0]) and count[0] == 0 and count[1] == 2
    assert mean[1:] == pytest.approx(0.5)  # first in one puzzle, last in the other
    one, _ = static.mean_reveal_position(puzzles[:1], orders[:1])
    assert one[1] == 0 and one[80] == 1
    static.save(static.plot_order_heatmap(puzzles, orders), tmp_path / "heat.png")


def test_score_traces(tmp_path, replay):
    fig = static.plot_score_traces({"top_prob": (replay.order, replay.scores)})
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == list(range(1, 52))
    static.save(fig, tmp_path / "scores.svg")


def test_text_html_shades_tokens_by_step():
    page = vhtml.text_html(["The", " cat", " sat", "<b>"], [-1, 0, 9, 5], scores=[None, 0.9, 0.5, 0.7], n_steps=10)
    assert page.count('class="tok"') == 4 and "&lt;b&gt;" in page and "<b>" not in page.split("<body>")[1]
    assert f"background:{palette()[0]}" in page and f"background:{palette()[-1]}" in page
    assert 'title="step 10, score 0.500"' in page


def test_replay_html_is_self_contained(replay):
    page = vhtml.replay_html([("top_prob", replay.to_dict())], {"rows": 9, "cols": 9, "box": [3, 3]}, solver=None)
    assert "src=" not in page and "href=" not in page and "type='range'" in page
    data = json.loads(re.search(r"id='data'>(.*?)</script>", page, re.S).group(1))
    assert data["lanes"][0]["replay"]["order"] == replay.order and data["palette"] == palette()
    assert page.count('class="cell') == 81


def test_step_bin_spans_the_palette():
    assert [step_bin(s, 3, 5) for s in range(3)] == [0, 2, 4]
    assert step_bin(0, 1) == 0
