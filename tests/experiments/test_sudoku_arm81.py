"""arm81: one (cell, value) token per placed cell (tasks.sudoku.encode, experiments.sudoku.arm, solve CLI)."""
import types

import numpy as np
import pytest
import torch

from anyorder.cli import main
from anyorder.experiments.sudoku.arm import arm81_prompt, arm81_to_grid, cell_constraint, solve_sudoku_arm
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tasks.registry import build_task
from anyorder.tasks.sudoku import encode
from anyorder.train.checkpoint import save_checkpoint

from sudoku_fakes import PATTERN_SOLUTION as SOLUTION
from sudoku_fakes import blanked

BOS, PAD, V = encode.ARM81_BOS, encode.ARM81_PAD, encode.ARM81_TOKENIZER.vocab_size


def puzzles(n=3, blanks=20, seed=0):
    return blanked(n, blanks, seed)


@pytest.mark.parametrize("mode", ["fixed", "random", "solver"])
def test_encode_decode_round_trip_and_loss_mask(mode):
    p = puzzles()
    s = np.tile(SOLUTION, (len(p), 1))
    order = np.argsort(-np.arange(81))[None].repeat(len(p), 0)  # a "solver" order: cells 80, 79, ...
    cells = encode.cell_sequence(p, order, mode, np.random.default_rng(0))
    tokens, loss_mask = encode.encode_arm81(p, s, cells)
    assert tokens.shape == loss_mask.shape == (3, 82) and (tokens[:, 0] == BOS).all() and (tokens[:, 1:] < BOS).all()
    assert np.array_equal(encode.decode_arm81(tokens), s)
    k = (p > 0).sum(1)
    assert np.array_equal(loss_mask.sum(1), 81 - k) and not loss_mask[np.arange(3), k].any()
    assert loss_mask[np.arange(3), k + 1].all()
    assert np.array_equal(encode.decode_arm81(np.where(loss_mask, PAD, tokens)), p)  # prompt = BOS + givens
    if mode == "solver":  # blanks follow the given order
        blank_cells = tokens[0, k[0] + 1:] // 9
        assert (np.diff(blank_cells) < 0).all()


def test_task_option_format_arm81():
    b = build_task("sudoku-arm", {"train_path": "anyorder/assets/sudoku/test.npz", "format": "arm81"}, seed=0)
    assert b.model_fields["max_len"] == 82 and b.model_fields["vocab_size"] == V == 731
    x = b.source.batch(0, 0, 8)
    assert x["tokens"].shape == (8, 82) and not x["loss_mask"][:, :18].any()  # >= 17 givens + [BOS]
    from anyorder.tasks.sudoku.board import is_complete_valid
    assert is_complete_valid(encode.decode_arm81(x["tokens"].numpy())).all()


class Preference:
    """Causal fake with fixed next-token logits: filled-in cells first (so the unconstrained argmax is always
    invalid), then the empty cells in descending cell order, each with its SOLUTION value."""

    cfg = types.SimpleNamespace(max_len=82)

    def __call__(self, prefix):
        w = torch.full((V,), -5.0)
        cells = torch.arange(81)
        w[9 * cells + torch.from_numpy(SOLUTION) - 1] = cells.float() / 10  # later cells preferred
        w[9 * cells + (torch.from_numpy(SOLUTION) % 9)] = cells.float() / 10 - 0.05  # a close wrong value
        filled = ~cell_constraint(prefix, prefix.shape[1])[:, :BOS].view(-1, 81, 9)[:, :, 0]
        logits = w.expand(prefix.shape[0], prefix.shape[1], V).clone()
        logits[:, -1, :BOS] += 100.0 * filled.repeat_interleave(9, dim=1)
        return logits


@pytest.mark.parametrize("beam", [1, 3])
def test_decode_pins_the_order_and_never_fills_a_filled_cell(beam):
    p = puzzles()
    res = solve_sudoku_arm(Preference(), p, np.tile(SOLUTION, (3, 1)), beam_width=beam)
    assert res.metrics["exact"] == 1.0 and (res.n_filled_cell == 0).all() and (res.n_out_of_range == 0).all()
    k = (p > 0).sum(1)
    for b in range(3):
        cells = res.tokens[b, k[b] + 1:] // 9
        blanks = np.sort(np.flatnonzero(p[b] == 0))[::-1]
        if beam == 1:  # greedy: descending, as preferred
            assert np.array_equal(cells, blanks)
        else:  # the beam may reorder (the normalizer depends on which cells are filled), never repeat
            assert np.array_equal(np.sort(cells)[::-1], blanks)
    assert np.array_equal(res.n_invalid_argmax, 81 - k)  # the unconstrained argmax named a filled cell each step


def test_unconstrained_decode_counts_filled_cells():
    res = solve_sudoku_arm(Preference(), puzzles(1), SOLUTION[None], constrain="none")
    assert res.n_filled_cell[0] == 81 - (puzzles(1) > 0).sum() and res.metrics["exact"] == 0.0
    g = arm81_to_grid(torch.tensor([[BOS, 0, 0, BOS, 9 * 80 + 8]]))
    assert g.grid[0, 0] == 1 and g.grid[0, 80] == 9 and g.n_filled_cell.item() == 1 and g.n_out_of_range.item() == 1


def test_prompt_and_constraint():
    p = puzzles(2)
    tokens, n_prompt = arm81_prompt(p)
    assert n_prompt.tolist() == [int((r > 0).sum()) + 1 for r in p] and (tokens[0, n_prompt[0]:] == PAD).all()
    allowed = cell_constraint(tokens[:1, :int(n_prompt[0])], 0)
    assert not allowed[:, BOS:].any()
    assert allowed[0, :BOS].view(81, 9).all(1).tolist() == (p[0] == 0).tolist()  # only empty cells, all values


def test_solve_cli_on_an_arm81_checkpoint(tmp_path, capsys):
    cfg = ModelConfig(vocab_size=V, max_len=82, n_layers=1, d_model=16, n_heads=2, causal=True)
    torch.manual_seed(0)
    model = Transformer(cfg)
    meta = {"model": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
            "tokenizer": encode.ARM81_TOKENIZER.to_dict(),
            "task": {"name": "sudoku-arm", "options": {"format": "arm81"}, "metadata": {"format": "arm81"}},
            "objective": "ar", "train": None}
    save_checkpoint(tmp_path / "ckpt", 1, meta, model.state_dict())
    p = puzzles(2)
    (tmp_path / "p.txt").write_text("".join("".join(map(str, r)) + "\n" for r in p))
    for extra in ([], ["mode=beam", "beam_width=2"]):
        rc = main(["solve", "--file", str(tmp_path / "p.txt"), "--output", str(tmp_path / "o.txt"),
                   "--checkpoint", str(tmp_path / "ckpt")] + extra)
        assert rc in (0, 1), capsys.readouterr().err  # a random model rarely solves; decoding must work
        out = np.array([[int(c) for c in line] for line in (tmp_path / "o.txt").read_text().split()])
        assert out.shape == (2, 81) and (out > 0).all() and (out[p > 0] == p[p > 0]).all()  # givens kept
