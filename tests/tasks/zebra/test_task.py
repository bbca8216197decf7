"""Zebra task: encodings, relabelling symmetry, sources, evaluation metrics and verifier, registry."""
import numpy as np
import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.registry import build_task
from anyorder.tasks.zebra import encode as E
from anyorder.tasks.zebra.dataset import pack_items, parse_sizes
from anyorder.tasks.zebra.formats import arm_line, write_jsonl
from anyorder.tasks.zebra.generate import generate
from anyorder.tasks.zebra.metrics import summarize, verify
from anyorder.tasks.zebra.puzzle import Clue, Puzzle
from anyorder.tasks.zebra.task import add_direct_clues, relabel

SMALL = ((3, 3), (3, 4), (4, 3), (4, 4))


@pytest.fixture(scope="module")
def items():
    return [(p, r.fills) for p, r in generate(24, seed=7, sizes=SMALL)]


@pytest.fixture(scope="module")
def path(tmp_path_factory, items):
    f = tmp_path_factory.mktemp("z") / "p.jsonl"
    write_jsonl(f, [(p, None) for p, _ in items])
    return str(f)


def _unpack(arr, i):
    n, m = (int(x) for x in arr["size"][i])
    clues = []
    for t, *ops in arr["clues"][i].tolist():
        if t < 0:
            break
        es = [("n", 0, e) if e < E.S else ("c", (e - E.S) // E.S, (e - E.S) % E.S) for e in ops if e >= 0]
        clues.append(Clue(E.CLUE_TYPES[t], tuple(es[:1]), tuple(es[1:])))
    return Puzzle(n, m, clues, np.concatenate([np.arange(n)[None], arr["answer"][i][:m, :n]]))


def test_mdm_encoding_round_trip(items):
    arr = pack_items(items, 24, 4, 4).arrays
    x0, fixed = E.encode_mdm(arr)
    assert x0.shape == (24, 4 * 24 + 16)
    assert (E.decode_mdm(x0, 24, 4, 4) == arr["answer"]).all()
    tok, fixed2 = E.mdm_input(arr)
    assert (fixed == fixed2).all() and (tok[~fixed] == E.MDM_TOKENIZER.mask_id).all()
    assert (~fixed).sum(1).tolist() == [p.n * p.m for p, _ in items]  # only in-size answer cells are maskable
    assert len(E.mdm_tables(24, 4, 4)[0]) == x0.shape[1]


def test_arm_encoding(items):
    arr = pack_items(items, 24, 4, 4).arrays
    cells = E.cell_ranks(arr, "solver")
    tok, loss = E.encode_arm(arr, cells, 300)
    for i, (p, f) in enumerate(items):
        text = E.ARM_TOKENIZER.decode(tok[i][tok[i] != E.ARM_TOKENIZER.pad_id], sep=" ")
        assert text == arm_line(p, f)
        assert loss[i].sum() == 3 * p.n * p.m
    assert (E.decode_arm(tok, 4, 4) == arr["answer"]).all()
    with pytest.raises(Exception, match="max_len"):
        E.encode_arm(arr, cells, 40)


def test_relabel_keeps_puzzles_true(items):
    arr = pack_items(items, 24, 4, 4).arrays
    new = relabel(arr, np.random.default_rng(0))
    assert (new["answer"] != arr["answer"]).any()
    for i in range(len(items)):
        q = _unpack(new, i)
        assert q.satisfied_by(q.answer)
        assert (new["order"][i] >= 0).sum() == (arr["order"][i] >= 0).sum()


def test_sizes_and_options():
    assert parse_sizes("3-4x3-4") == SMALL
    assert parse_sizes("5x6") == ((5, 6),)
    for bad in ("7x3", "3-2x3", "abc"):
        with pytest.raises(ConfigError):
            parse_sizes(bad)
    with pytest.raises(ConfigError, match="valid"):
        build_task("zebra", {"nope": 1})


def test_mdm_task_source_and_evaluation(path):
    b = build_task("zebra", {"train_path": path, "sizes": "3-4x3-4", "max_clues": 24, "eval_path": path,
                             "n_eval": 10}, seed=3)
    x = b.source.batch(5, 0, 6)
    y = b.source.batch(5, 0, 6)
    assert torch.equal(x["x0"], y["x0"]) and x["x0"].shape == (6, b.model_fields["max_len"])
    assert len(b.model_fields["position_tables"]) == 4
    ev = b.evaluation
    pr = ev.problems()
    tokens, fixed = ev.encode(pr.inputs)
    x0, _ = E.encode_mdm(pr.inputs.arrays)
    perfect = ev.metrics(pr, ev.decode(torch.from_numpy(x0)))
    assert perfect["exact"] == perfect["cell"] == perfect["valid"] == 1.0
    blank = ev.metrics(pr, ev.decode(tokens))
    assert blank["exact"] == blank["cell"] == 0.0
    assert ev.verify(pr, ev.decode(torch.from_numpy(x0))).all()


def test_arm_task(path):
    b = build_task("zebra-arm", {"train_path": path, "sizes": "3-4x3-4", "max_len": 256, "eval_path": path,
                                 "n_eval": 5, "order": "fixed"})
    batch = b.source.batch(0, 0, 4)
    assert batch["tokens"].shape == (4, 256) and b.model_fields["causal"]
    ev = b.evaluation
    pr = ev.problems()
    tokens, prompt = ev.encode(pr.inputs)
    last = prompt.sum(1) - 1
    assert (tokens[torch.arange(len(tokens)), last] == E.ARM_ANSWER).all()


def test_metrics_by_size_and_verifier():
    target = np.array([[[0, 1, 2], [2, 1, 0]], [[1, 0, 2], [0, 2, 1]]])
    pred = target.copy()
    pred[1, 0, :2] = [0, 1]
    m = summarize(pred, target, np.array([[3, 2], [3, 2]]))
    assert m["exact"] == 0.5 and m["cell"] == pytest.approx((1 + 4 / 6) / 2) and m["count/size=3x2"] == 2
    p = Puzzle(3, 2, [Clue("=", (("c", 0, 0),), (("n", 0, 0),))])
    assert verify((p, p), np.array([[[0, 1, 2], [1, 2, 0]], [[1, 0, 2], [1, 2, 0]]])).tolist() == [True, False]


def test_factored_entity_embedding_links_operands_to_answer_slots(path):
    f = E.mdm_token_factors()
    tok = E.MDM_TOKENIZER
    attr, house = f["token_tables"][2], f["token_tables"][3]
    c = tok.symbols.index("c2=4")
    assert attr[c] == 2 and f["token_aliases"][c] == tok.symbols.index("v4") and house[c] == -1
    n = tok.symbols.index("n0=3")
    assert house[n] == 3 and attr[n] == -1 and f["token_aliases"][n] == -1
    assert all(t[tok.symbols.index("v1")] == -1 for t in f["token_tables"])  # answer values: no extra factors
    b = build_task("zebra", {"train_path": path, "sizes": "3-4x3-4", "max_clues": 24, "entity_embedding": "factored"})
    from anyorder.models.transformer import ModelConfig, Transformer

    cfg = ModelConfig(**{**b.model_fields, "n_layers": 1, "d_model": 16, "n_heads": 2})
    x = b.source.batch(0, 0, 2)["x0"]
    assert Transformer(cfg)(x).shape == (2, x.shape[1], tok.vocab_size)
    with pytest.raises(ConfigError, match="structured"):
        build_task("zebra", {"train_path": path, "entity_embedding": "factored", "position_ids": "learned"})


def test_direct_clues_fill_free_slots_with_true_clues_only(items):
    arr = pack_items(items, 24, 4, 4).arrays
    rng = np.random.default_rng(0)
    assert np.array_equal(add_direct_clues(arr, 0.0, rng)["clues"], arr["clues"])
    out = add_direct_clues(arr, 1.0, rng)
    old, new = arr["clues"], out["clues"]
    used = old[..., 0] >= 0
    assert np.array_equal(new[used], old[used])  # the puzzle's own clues are kept
    added = (~used) & (new[..., 0] >= 0)
    assert added.sum() > 20  # rate 1: every puzzle draws a fill probability, so many slots fill
    b, k = np.nonzero(added)
    t, lhs, h, rhs2 = new[b, k].T
    a, v = (lhs - E.S) // E.S, (lhs - E.S) % E.S
    assert (t == E.CLUE_TYPES.index("=")).all() and (rhs2 == -1).all() and (h < E.S).all()
    assert (a < arr["size"][b, 1]).all() and (v < arr["size"][b, 0]).all()  # in size
    assert (arr["answer"][b, a, h] == v).all()  # true: value V of attribute A is in house H
    for key in ("answer", "order", "size"):
        assert np.array_equal(out[key], arr[key])



def test_direct_clue_rate_option_reaches_the_training_batches(path):
    opts = {"train_path": path, "sizes": "3-4x3-4", "max_clues": 24}
    plain = build_task("zebra", opts, seed=0).source.batch(3, 0, 16)["x0"]
    extra = build_task("zebra", {**opts, "direct_clue_rate": 1.0}, seed=0).source.batch(3, 0, 16)["x0"]
    n_clues = (lambda x: (x[:, :4 * 24:4] != E.PAD).sum())  # clue-type slots in use
    assert n_clues(extra) > n_clues(plain)
    assert torch.equal(extra[:, 4 * 24:], plain[:, 4 * 24:])  # same puzzles and answers, only clues added
    decaying = build_task("zebra", {**opts, "direct_clue_rate": 1.0, "direct_clue_decay": 10}, seed=0).source
    assert torch.equal(decaying.batch(3, 0, 16)["x0"][:, 4 * 24:], plain[:, 4 * 24:])
    assert n_clues(decaying.batch(3, 0, 16)["x0"]) > n_clues(plain)  # step 3 of 10: rate 0.7
    assert torch.equal(decaying.batch(10, 0, 16)["x0"], build_task("zebra", opts, seed=0).source.batch(10, 0, 16)["x0"])
    with pytest.raises(ConfigError, match="direct_clue_rate"):
        build_task("zebra", {**opts, "direct_clue_rate": 1.5})
    with pytest.raises(ConfigError, match="direct_clue_decay"):
        build_task("zebra", {**opts, "direct_clue_decay": -1})


def test_clue_pooling_groups_each_clues_four_slots(path):
    b = build_task("zebra", {"train_path": path, "sizes": "3-4x3-4", "max_clues": 5, "clue_pooling": True})
    groups = b.model_fields["pool_groups"]
    assert groups == (0,) * 4 + (1,) * 4 + (2,) * 4 + (3,) * 4 + (4,) * 4 + (-1,) * 16  # answer slots: none
    assert len(groups) == b.model_fields["max_len"]
    assert "pool_groups" not in build_task("zebra", {"train_path": path, "sizes": "3-4x3-4",
                                                     "max_clues": 5}).model_fields


def test_mdm_and_arm_options_share_fields_checks_and_errors():
    from anyorder.options import field_help
    from anyorder.tasks.registry import task_options
    from anyorder.tasks.zebra.task import ZebraARMOptions, ZebraMDMOptions

    shared = {"train_path", "sizes", "n_generate", "n_eval", "eval_path"}
    for name, cls, own in (("zebra", ZebraMDMOptions, {"max_clues", "position_ids", "entity_embedding", "augment",
                                                             "answer_layout", "clue_pooling",
                                                             "direct_clue_rate", "direct_clue_decay"}),
                           ("zebra-arm", ZebraARMOptions, {"max_len", "order"})):
        help_ = {f: comment for f, _, _, comment in field_help(cls)}
        assert set(help_) == shared | own and all(help_.values())  # inherited fields keep their comments
        opts = task_options(name, {"sizes": "3x3", "n_eval": 5})
        assert (opts.sizes, opts.n_eval, opts.n_generate) == ("3x3", 5, 2000)
        with pytest.raises(ConfigError):
            task_options(name, {"sizes": "7x3"})  # the shared check
        with pytest.raises(ConfigError, match=f"task_options of '{name}': unknown keys"):
            task_options(name, {"nope": 1})
    with pytest.raises(ConfigError, match="position_ids"):
        task_options("zebra", {"position_ids": "x"})
    with pytest.raises(ConfigError, match="max_len must be at least 16"):
        task_options("zebra-arm", {"max_len": 8})
    with pytest.raises(ConfigError, match="unknown keys \\['max_len'\\]"):
        task_options("zebra", {"max_len": 600})  # an ARM-only field is not an MDM option


def test_draw_picks_the_batch_puzzles_from_seed_step_rank(items):
    from anyorder.tasks.zebra.task import draw

    data = pack_items(items, 48, 4, 4)
    arrays, rng = draw(data, 3, 5, 1, 6)
    ref = np.random.default_rng([3, 5, 1])
    idx = ref.integers(0, len(data), size=6)
    assert set(arrays) == set(data.arrays) and all((arrays[k] == v[idx]).all() for k, v in data.arrays.items())
    assert rng.random() == ref.random()  # the generator goes on from the draw (symmetries, answer orders)


def test_house_layout_round_trip_and_slot_meaning(items):
    arr = pack_items(items, 24, 4, 4).arrays
    x0, fixed = E.encode_mdm(arr, "house")
    assert (E.decode_mdm(x0, 24, 4, 4, "house") == arr["answer"]).all()
    assert (fixed == E.encode_mdm(arr, "table")[1]).all()  # the same slots are maskable in both layouts
    ans = x0[:, 4 * 24:].reshape(-1, 4, 4)
    for i, (p, _) in enumerate(items):  # slot (A, V) holds "n0=H" with answer[A, H] == V
        for a in range(p.m):
            for v in range(p.n):
                h = E.MDM_TOKENIZER.symbols[ans[i, a, v]]
                assert h.startswith("n0=") and arr["answer"][i, a, int(h[3:])] == v


def test_house_layout_decode_of_a_contested_house_is_not_a_permutation():
    sym = E.MDM_TOKENIZER.symbols
    tok = np.full((1, 4 * 2 + 4), E.PAD)
    tok[0, 8:] = [sym.index("n0=1"), sym.index("n0=1"), sym.index("n0=0"), sym.index("n0=1")]  # 2 x 2 grid
    out = E.decode_mdm(tok, 2, 2, 2, "house")
    assert out[0, 0].tolist() == [-1, 1] and out[0, 1].tolist() == [0, 1]  # attribute 0: house 0 never decoded


def test_house_layout_factors_name_the_answer_slot():
    f = E.mdm_token_factors("house")
    kind, clue, attr, fourth = E.mdm_tables(24, 4, 4)
    sym = E.MDM_TOKENIZER.symbols
    c = sym.index("c2=3")
    slot = next(i for i in range(len(kind)) if kind[i] == 4 and attr[i] == 2 and fourth[i] == 3)
    assert (f["token_tables"][2][c], f["token_tables"][3][c]) == (attr[slot], fourth[slot])
    assert all(a == -1 for a in f["token_aliases"])  # nothing aliased: the answer tokens are the house operands
