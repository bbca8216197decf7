import numpy as np
import pytest

from anyorder.errors import ConfigError
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.techniques import rate


@pytest.fixture(scope="module")
def sample():
    p, s = generate(8, seed=4)
    return p, s, rate(p)["order"]


def test_board81_round_trip(sample):
    p, s, _ = sample
    x0, fixed = encode.encode_board(p, s)
    assert x0.shape == (8, 81) and np.array_equal(fixed, p > 0)
    assert np.array_equal(encode.decode_tokens(x0, "board81"), s)
    tokens, fixed_in = encode.board_input(p)
    assert (tokens[~fixed_in] == encode.BOARD_TOKENIZER.mask_id).all()
    assert encode.BOARD_TOKENIZER.encode(list("123")) == [1, 2, 3]
    assert len(encode.board_tables()) == 3 and all(len(t) == 81 for t in encode.board_tables())


def test_prompt164_layout(sample):
    p, s, _ = sample
    x0, fixed = encode.encode_prompt(p, s)
    assert x0.shape == (8, 164)
    assert np.array_equal(x0[:, :81], p) and (x0[:, 81] == encode.SEP).all() and (x0[:, 163] == encode.EOS).all()
    assert fixed[:, :82].all() and fixed[:, 163].all() and not fixed[:, 82:163].any()
    assert np.array_equal(encode.decode_tokens(x0, "prompt164"), s)
    tokens, _ = encode.prompt_input(p)
    assert (tokens[:, 82:163] == encode.PROMPT_TOKENIZER.mask_id).all()
    assert all(len(t) == 164 for t in encode.prompt_tables())
    # structured position ids are unique per position
    assert len(set(zip(*encode.prompt_tables()))) == 164


@pytest.mark.parametrize("mode", ["solver", "fixed", "random"])
def test_arm243_round_trip(sample, mode):
    p, s, order = sample
    cells = encode.cell_sequence(p, order, mode, np.random.default_rng(0))
    tokens, loss_mask = encode.encode_arm(p, s, cells)
    assert tokens.shape == (8, 243) and tokens.max() <= 9
    assert np.array_equal(encode.decode_arm(tokens), s)
    k = (p > 0).sum(1)
    assert (loss_mask.sum(1) == 3 * (81 - k)).all() and not loss_mask[:, 0].any()
    for i in range(8):  # givens first, row-major
        assert cells[i, : k[i]].tolist() == np.flatnonzero(p[i]).tolist()
    if mode == "solver":
        n = 81 - k[0]
        assert cells[0, k[0]:].tolist() == order[0, :n].tolist()
    if mode == "fixed":
        assert cells[0, k[0]:].tolist() == np.flatnonzero(p[0] == 0).tolist()


def test_unknown_order_and_layout():
    with pytest.raises(ConfigError, match="valid"):
        encode.cell_sequence(np.zeros((1, 81)), None, "spiral")
    with pytest.raises(ConfigError, match="valid"):
        encode.decode_tokens(np.zeros((1, 81)), "board100")
