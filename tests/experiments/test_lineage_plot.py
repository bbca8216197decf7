"""scripts/lineage_plot.py: cumulative samples / FLOPs along a lineage with branches, the plot, and its errors."""
import subprocess
import sys
from pathlib import Path

from anyorder.experiments.report import read_table

ROOT = Path(__file__).resolve().parents[2]
HEADER = "name,parent,hardware,samples,flops,test,hard,n,source\n"


def run(csv: Path, out: Path):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "lineage_plot.py"), str(csv), "--out", str(out)],
                          capture_output=True, text=True)


def test_branches_add_their_ancestors_compute(tmp_path):
    csv = tmp_path / "lineage.csv"
    csv.write_text(HEADER + "base,,gpu,1000,1e12,0.5,0.2,100,a\n"
                   "ft-a,base,cpu,200,2e11,0.6,0.25,100,b\n"
                   "ft-b,base,cpu,300,3e11,0.55,0.3,100,c\n"
                   "ft-a2,ft-a,cpu,50,5e10,0.62,0.2,100,d\n")
    result = run(csv, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "lineage.png").stat().st_size > 10_000
    md = (tmp_path / "out" / "lineage.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in md.splitlines()[2:]}
    assert rows["ft-a2"].split("|")[-3].strip() == "1250"  # 1000 + 200 + 50: its own branch only
    assert rows["ft-b"].split("|")[-3].strip() == "1300"
    assert rows["ft-b"].split("|")[-2].strip() == "1.3e+12"


def test_unknown_parent_and_bad_hardware_are_named(tmp_path):
    csv = tmp_path / "lineage.csv"
    csv.write_text(HEADER + "base,,gpu,1000,1e12,0.5,0.2,100,a\nft,bsae,cpu,200,2e11,0.6,0.25,100,b\n")
    result = run(csv, tmp_path / "out")
    assert result.returncode != 0 and "unknown parent 'bsae'" in result.stderr
    csv.write_text(HEADER + "base,,tpu,1000,1e12,0.5,0.2,100,a\n")
    result = run(csv, tmp_path / "out")
    assert result.returncode != 0 and "hardware must be gpu or cpu, not 'tpu'" in result.stderr


def test_the_shipped_lineage_file_is_complete():
    rows = read_table(ROOT / "reports" / "sudoku-training" / "lineage" / "lineage.csv")
    names = {row["name"] for row in rows}
    assert "shipped" in names and all(row["parent"] in names for row in rows if row["parent"])
    assert all(0 <= row["test"] <= 1 and 0 <= row["hard"] <= 1 for row in rows)
