"""arm162: a cell token, then its (cell, value) token, per placement (tasks.sudoku.encode, experiments.sudoku.arm)."""
import types

import numpy as np
import pytest
import torch

from anyorder.cli import main
from anyorder.errors import InputError
from anyorder.experiments.sudoku.arm import arm162_prompt, cell_value_constraint, solve_sudoku_arm, triples_to_grid
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tasks.registry import build_task
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.board import is_complete_valid
from anyorder.train.checkpoint import save_checkpoint

from sudoku_fakes import PATTERN_SOLUTION as SOLUTION
from sudoku_fakes import blanked

CELL0, BOS, PAD, V = encode.ARM162_CELL0, encode.ARM162_BOS, encode.ARM162_PAD, encode.ARM162_TOKENIZER.vocab_size


@pytest.mark.parametrize("mode", ["fixed", "solver"])
def test_encode_round_trip_interleaves_cells_and_pairs(mode):
    p = blanked(3, 20, 0)
    s = np.tile(SOLUTION, (3, 1))
    order = np.argsort(-np.arange(81))[None].repeat(3, 0)
    cells = encode.cell_sequence(p, order, mode)
    tokens, loss_mask = encode.encode_arm162(p, s, cells)
    assert tokens.shape == loss_mask.shape == (3, 163) and (tokens[:, 0] == BOS).all()
    assert np.array_equal(tokens[:, 1::2] - CELL0, cells) and np.array_equal(tokens[:, 2::2] // 9, cells)
    assert np.array_equal(encode.decode_arm81(encode.arm162_to_arm81(tokens)), s)
    k = (p > 0).sum(1)
    assert np.array_equal(loss_mask.sum(1), 2 * (81 - k)) and not loss_mask[np.arange(3), 2 * k].any()
    inp, is_fixed = encode.arm162_input(p)
    assert np.array_equal(is_fixed.sum(1), 2 * k + 1) and (inp[~is_fixed] == PAD).all()
    assert np.array_equal(encode.decode_arm81(encode.arm162_to_arm81(inp)), p)


def test_task_format_arm162_batches_are_valid_and_factored():
    b = build_task("sudoku-arm", {"train_path": "anyorder/assets/sudoku/test.npz", "format": "arm162",
                                  "cell_embedding": "factored"}, seed=0)
    assert b.model_fields["max_len"] == 163 and b.model_fields["vocab_size"] == V == 812
    row, col, box, digit = b.model_fields["token_tables"]
    r5c7 = CELL0 + 4 * 9 + 6
    assert (row[r5c7], col[r5c7], box[r5c7], digit[r5c7]) == (4, 6, 5, -1)  # a cell token has no digit
    x = b.source.batch(0, 0, 8)
    assert x["tokens"].shape == (8, 163) and not x["loss_mask"][:, :35].any()  # >= 17 givens: 2 * 17 + [BOS]
    assert is_complete_valid(encode.decode_arm81(encode.arm162_to_arm81(x["tokens"].numpy()))).all()


def test_constraint_allows_empty_cells_then_only_the_named_cells_values():
    p = blanked(2, 20, 1)
    tokens, n_prompt = arm162_prompt(p)
    t = int(n_prompt[0])
    assert t % 2 == 1 and (tokens[0, t:] == PAD).all()
    allowed = cell_value_constraint(tokens[:1, :t], t)
    assert allowed[0, CELL0:CELL0 + 81].tolist() == (p[0] == 0).tolist() and allowed.sum() == (p[0] == 0).sum()
    blank = int(np.flatnonzero(p[0] == 0)[0])
    prefix = torch.cat([tokens[:1, :t], torch.tensor([[CELL0 + blank]])], 1)
    allowed = cell_value_constraint(prefix, t + 1)
    assert torch.nonzero(allowed[0]).flatten().tolist() == list(range(9 * blank, 9 * blank + 9))


class Preference:
    """Causal fake: at a cell slot prefers filled cells (invalid) then empty cells in descending order; at a
    value slot prefers the SOLUTION value of the cell just named, then a close wrong one."""

    cfg = types.SimpleNamespace(max_len=163)

    def __call__(self, prefix):
        n, t = prefix.shape
        logits = torch.full((n, t, V), -5.0)
        if t % 2:  # predicting a cell token
            cells = torch.arange(81).float() / 10
            filled = ~cell_value_constraint(prefix, t)[:, CELL0:CELL0 + 81]
            logits[:, -1, CELL0:CELL0 + 81] = cells + 100.0 * filled
        else:
            cell = prefix[:, -1] - CELL0
            truth = torch.from_numpy(SOLUTION)[cell] - 1
            logits[torch.arange(n), -1, 9 * cell + truth] = 1.0
            logits[torch.arange(n), -1, 9 * cell + (truth + 1) % 9] = 0.5
        return logits


@pytest.mark.parametrize("beam", [1, 3])
def test_decode_solves_in_the_preferred_order(beam):
    p = blanked(3, 20, 2)
    res = solve_sudoku_arm(Preference(), p, np.tile(SOLUTION, (3, 1)), beam_width=beam)
    assert res.metrics["exact"] == 1.0 and (res.n_filled_cell == 0).all() and (res.n_out_of_range == 0).all()
    k = (p > 0).sum(1)
    cells = res.tokens[0, 2 * k[0] + 1::2] - CELL0
    if beam == 1:
        assert np.array_equal(cells, np.sort(np.flatnonzero(p[0] == 0))[::-1])
    assert np.array_equal(res.n_invalid_argmax, 81 - k)  # each cell slot's unconstrained argmax was filled


def test_grid_counts_a_non_pair_in_a_value_slot_as_out_of_range():
    tokens = torch.full((1, 163), PAD)
    tokens[0, :5] = torch.tensor([BOS, CELL0, 0, CELL0 + 80, CELL0 + 80])  # r1c1=1, then a cell token as value
    g = triples_to_grid(tokens)
    assert g.grid[0, 0] == 1 and g.grid[0, 80] == 0 and g.n_out_of_range.item() == 80
    with pytest.raises(InputError, match="163"):
        encode.arm162_to_arm81(np.zeros((1, 10), np.int64))


def test_solve_cli_on_an_arm162_checkpoint(tmp_path, capsys):
    fields = build_task("sudoku-arm", {"train_path": "anyorder/assets/sudoku/test.npz", "format": "arm162",
                                       "cell_embedding": "factored"}).model_fields
    cfg = ModelConfig(**{**fields, "n_layers": 1, "d_model": 16, "n_heads": 2})
    torch.manual_seed(0)
    meta = {"model": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
            "tokenizer": encode.ARM162_TOKENIZER.to_dict(),
            "task": {"name": "sudoku-arm", "options": {"format": "arm162"}, "metadata": {"format": "arm162"}},
            "objective": "ar", "train": None}
    save_checkpoint(tmp_path / "ckpt", 1, meta, Transformer(cfg).state_dict())
    p = blanked(2, 20, 3)
    (tmp_path / "p.txt").write_text("".join("".join(map(str, r)) + "\n" for r in p))
    rc = main(["solve", "--file", str(tmp_path / "p.txt"), "--output", str(tmp_path / "o.txt"),
               "--checkpoint", str(tmp_path / "ckpt")])
    assert rc in (0, 1), capsys.readouterr().err
    out = np.array([[int(c) for c in line] for line in (tmp_path / "o.txt").read_text().split()])
    assert out.shape == (2, 81) and (out > 0).all() and (out[p > 0] == p[p > 0]).all()
