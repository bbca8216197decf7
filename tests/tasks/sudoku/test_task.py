import numpy as np
import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.evaluation.tasks import evaluate_task
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tasks.registry import build_task
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.techniques import rate

TEST = "anyorder/assets/sudoku/test.npz"


@pytest.mark.parametrize("layout", ["board81", "prompt164"])
def test_mdm_batches_are_pure_and_shaped(layout):
    b = build_task("sudoku", {"train_path": TEST, "layout": layout}, seed=1)
    L = 81 if layout == "board81" else 164
    x = b.source.batch(3, 0, 16)
    assert x["x0"].shape == (16, L) and x["x0"].dtype == torch.int64 and x["is_fixed"].dtype == torch.bool
    assert torch.equal(x["x0"], b.source.batch(3, 0, 16)["x0"])
    assert not torch.equal(x["x0"], b.source.batch(4, 0, 16)["x0"])
    assert not torch.equal(x["x0"], b.source.batch(3, 1, 16)["x0"])
    assert b.model_fields["vocab_size"] == b.tokenizer.vocab_size and b.model_fields["max_len"] == L
    assert all(len(t) == L for t in b.model_fields["position_tables"])
    assert (x["x0"][~x["is_fixed"]] != b.tokenizer.mask_id).all()  # targets are never [MASK]
    board = encode.decode_tokens(x["x0"].numpy(), layout)
    from anyorder.tasks.sudoku.board import is_complete_valid
    assert is_complete_valid(board).all()


def test_options_are_checked():
    with pytest.raises(ConfigError, match="unknown keys ..layot.*valid: .*'layout'"):
        build_task("sudoku", {"train_path": TEST, "layot": "board81"})
    with pytest.raises(ConfigError, match="valid"):
        build_task("sudoku", {"train_path": TEST, "layout": "board99"})
    with pytest.raises(ConfigError, match="valid"):
        build_task("sudoku-arm", {"train_path": TEST, "order": "spiral"})
    learned = build_task("sudoku", {"train_path": TEST, "position_ids": "learned"})
    assert "position_tables" not in learned.model_fields


def test_arm_solver_order_is_recomputed_after_augmentation():
    b = build_task("sudoku-arm", {"train_path": TEST, "order": "solver", "augment": True}, seed=2)
    x = b.source.batch(0, 0, 12)
    tokens, loss_mask = x["tokens"].numpy(), x["loss_mask"].numpy()
    trip = tokens.reshape(12, 81, 3)
    cells = 9 * trip[..., 0] + trip[..., 1]
    k = 81 - loss_mask.sum(1) // 3
    puzzles = np.zeros((12, 81), np.int64)
    for i in range(12):
        puzzles[i, cells[i, : k[i]]] = trip[i, : k[i], 2]
    r = rate(puzzles)
    for i in np.flatnonzero(r["solvable"]):
        assert cells[i, k[i]:].tolist() == r["order"][i, : 81 - k[i]].tolist()
    assert r["solvable"].mean() > 0.5


def _mdm_oracle(solutions, mask_id):
    sol = torch.as_tensor(solutions, dtype=torch.int64)

    def model(tokens):
        match = ((tokens[:, None, :] == sol[None]) | (tokens[:, None, :] == mask_id)).all(-1)
        target = sol[match.float().argmax(1)]
        logits = torch.full(tokens.shape + (10,), -5.0)
        return logits.scatter(2, target[..., None], 5.0)

    return model


def _arm_oracle(puzzles, solutions):
    cells = encode.cell_sequence(puzzles, None, "fixed")
    target = torch.as_tensor(encode.encode_arm(puzzles, solutions, cells)[0])

    def model(x):
        t = x.shape[1]
        idx = (x[:, None, :] == target[None, :, :t]).all(-1).float().argmax(1)
        logits = torch.full((x.shape[0], t, 11), -5.0)
        nxt = target[idx, t] if t < 243 else torch.zeros_like(idx)
        logits[torch.arange(x.shape[0]), -1, nxt] = 5.0
        return logits

    return model


def test_mdm_evaluate_with_oracle():
    b = build_task("sudoku", {"train_path": TEST, "n_eval": 8}, seed=0)
    data = shipped("test").subset(slice(0, 8))
    m = evaluate_task(_mdm_oracle(data.solutions, b.tokenizer.mask_id), b, 0)
    assert m["sudoku_test/exact"] == 1.0 and m["sudoku_test/valid"] == 1.0


def test_arm_evaluate_with_oracle():
    b = build_task("sudoku-arm", {"train_path": TEST, "n_eval": 4}, seed=0)
    data = shipped("test").subset(slice(0, 4))
    m = evaluate_task(_arm_oracle(data.puzzles, data.solutions), b, 0)
    assert m["sudoku_test/exact"] == 1.0 and m["sudoku_test/cell"] == 1.0


def test_generate_train_path_excludes_shipped():
    b = build_task("sudoku", {"train_path": "generate", "n_generate": 60}, seed=0)
    assert 20 < b.metadata["n_train"] <= 60


def test_arm81_factored_embedding_shares_rows_columns_boxes_and_digits():
    with pytest.raises(ConfigError, match="needs format=arm81"):
        build_task("sudoku-arm", {"train_path": TEST, "cell_embedding": "factored"})
    b = build_task("sudoku-arm", {"train_path": TEST, "format": "arm81", "cell_embedding": "factored"})
    row, col, box, digit = b.model_fields["token_tables"]
    r5c7_3 = 9 * (4 * 9 + 6) + 2  # token "r5c7=3"
    assert (row[r5c7_3], col[r5c7_3], box[r5c7_3], digit[r5c7_3]) == (4, 6, 5, 2)
    assert all(t[encode.ARM81_BOS] == t[encode.ARM81_PAD] == -1 for t in (row, col, box, digit))
    torch.manual_seed(0)
    model = Transformer(ModelConfig(**{"n_layers": 1, "d_model": 16, "n_heads": 2, **b.model_fields}))
    emb = model._embed_tokens(torch.tensor([[r5c7_3, 9 * (4 * 9 + 0) + 8, encode.ARM81_BOS]]))
    # the token's own row plus its row's, column's, box's and digit's rows
    want = (model.tok_emb.weight[r5c7_3] + model.table_embs[0].weight[4] + model.table_embs[1].weight[6]
            + model.table_embs[2].weight[5] + model.table_embs[3].weight[2])
    torch.testing.assert_close(emb[0, 0], want)
    torch.testing.assert_close(emb[0, 2], model.tok_emb.weight[encode.ARM81_BOS])
    x = b.source.batch(0, 0, 3)
    assert model(torch.as_tensor(x["tokens"])).shape == (3, 82, b.tokenizer.vocab_size)
