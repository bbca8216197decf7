import csv

import anyorder.experiments.sudoku.strategies as st
from anyorder.experiments.sudoku.tables import (
    COLUMNS,
    PAPER_TABLE2,
    PAPER_TABLE5,
    paper_value,
    protocol_differences,
    repredict_note,
    training_note,
    with_paper_numbers,
    write_table,
)


def _row(score, noise="gumbel0.5-annealed", mode="unmask", exact=50.0, budget="schedule"):
    return {"method": f"MDM {score}", "model": "mdm", "score": score, "noise": noise, "mode": mode,
            "budget": budget, "steps": 50, "n": 10, "exact_pct": exact}


def test_paper_numbers_beside_matching_rows(tmp_path):
    rows = [_row("top_prob_margin"), _row("top_prob", noise="none"), _row("entropy")]
    out = with_paper_numbers(rows, "test")
    assert out[0]["paper_pct"] == 89.49
    assert out[1]["paper_pct"] is None and out[2]["paper_pct"] is None
    not_run = {r["method"]: r["paper_pct"] for r in out[3:]}
    assert not_run == {f"{k} [not run]": v for k, v in PAPER_TABLE2.items() if k != "MDM (Top prob. margin)"}
    md, csv_path = write_table(out, COLUMNS, tmp_path / "table2", "Table 2", ["a note"])
    with open(csv_path) as f:
        got = list(csv.DictReader(f))
    assert list(got[0]) == COLUMNS and len(got) == len(out)
    assert got[0]["paper_pct"] == "89.49" and got[1]["paper_pct"] == ""
    text = md.read_text()
    assert "| method |" in text and "89.49" in text and "- a note" in text and "ARM (with ordering) [not run]" in text


def test_hard_table_and_arm_rows():
    rows = [{"method": "ARM solver", "model": "arm", "order": "solver"}, _row("vanilla", "none", budget="binomial")]
    out = with_paper_numbers(rows, "hard")
    assert out[0]["paper_pct"] == PAPER_TABLE5["ARM (with ordering)"] and out[1]["paper_pct"] == 3.62
    assert len(out) == 2 + 2  # top prob and margin not run; no w/o-ordering ARM in Table 5


def test_protocol_differences_read_the_checkpoint():
    cfg = {"model": {"n_layers": 2, "d_model": 64, "n_heads": 2, "max_len": 81}, "step": 7,
           "train": {"max_steps": 7, "batch_size": 4, "mdm": {"sampling": "subset"}}}
    notes = protocol_differences(cfg, {"test": 5, "hard": 3}, "gen", False, 12.0)
    text = "\n".join(notes)
    assert "2 layers, width 64" in text and "step 7 at batch 4 (28 samples" in text and "sampling=subset" in text
    assert "scheduled for 7 steps" in text
    assert "ARM rows were not run" in text and "5 (test) and 3 (hard)" in text


def test_training_note_names_time_budgets_and_lineage():
    timed = {"step": 250, "train": {"max_steps": 4218750, "max_seconds": 7200.0, "budget_clock": "cpu",
                                    "batch_size": 128}}
    note = training_note(timed)
    assert "step 250 at batch 128 (32,000 samples" in note and "7200 s of cpu-clock time" in note
    assert "4218750" not in note and "lineage" not in note
    wall = dict(timed, train=dict(timed["train"], budget_clock=None), export_note="fine-tuned from X")
    assert "7200 s of wall-clock time" in training_note(wall) and "export_note records" in training_note(wall)
    assert "samples unknown" in training_note({"train": {}}) and "step ?" in training_note({})


def test_vanilla_paper_row_is_algorithm_1_not_fixed_k():
    vanilla = [s for s in st.table_strategies(50) if s.plan.score == "vanilla"]
    alg1 = [s.labels for s in vanilla if s.plan.budget == "binomial"][0]
    fixed_k = [s.labels for s in vanilla if s.plan.budget == "schedule" and s.noise == "gumbel0.5-annealed"][0]
    assert "Algorithm 1" in alg1["method"] and "random order, fixed K" in fixed_k["method"]
    assert paper_value(alg1, "test") == 6.88 and paper_value(alg1, "hard") == 3.62
    assert paper_value(fixed_k, "test") is None and paper_value(dict(fixed_k, noise="none"), "test") is None
    assert st.algorithm1(50).plan.noise == "none" and st.table_strategies(50)[0].plan.budget == "binomial"
    assert [s.plan.budget for s in st.paper_strategies(50)] == ["binomial", "schedule", "schedule"]


def test_paper_remask_row_is_the_literal_decoder():
    remask = {s.plan.remask_visible: s.labels for s in st.table_strategies(50)
              if s.plan.mode == "remask" and s.noise == "gumbel0.5-annealed"}
    literal, carry = remask["repredict"], remask["keep"]
    assert literal["mode"] == "remask-repredict" and "re-predict visible" in literal["method"]
    assert carry["mode"] == "remask-carry-over" and "carry-over (ours)" in carry["method"]
    assert paper_value(literal, "test") == 18.51 and paper_value(carry, "test") is None


def test_repredict_note_depends_on_the_model_setting():
    board = {"model": {"max_len": 81, "tie_embeddings": False}}
    paper = {"model": {"max_len": 164, "tie_embeddings": True}}
    assert "not meaningful" in repredict_note(board) and "trained only on masked positions" in repredict_note(board)
    assert "paper codebase's model setting" in repredict_note(paper) and "not meaningful" not in repredict_note(paper)
    assert repredict_note(board) in protocol_differences(board, {}, "gen", True, 1.0)
