import csv

from anyorder.experiments.report import markdown_table, write_table


def test_write_table_markdown_and_csv(tmp_path):
    rows = [{"a": 1, "b": 0.123456}, {"a": 2, "c": "x|y"}]
    text = write_table(rows, tmp_path / "t.md", tmp_path / "t.csv", "Title", ["note one"])
    assert text.startswith("# Title") and "| a | b | c |" in text and "0.1235" in text and "x\\|y" in text
    assert "- note one" in (tmp_path / "t.md").read_text()
    with open(tmp_path / "t.csv") as f:
        got = list(csv.DictReader(f))
    assert got[0]["b"] == "0.123456" and got[1]["c"] == "x|y" and got[1]["b"] == ""
    assert markdown_table([]) == ""
