"""scripts/cpu_runs.sh, the standing CPU runs: its usage, its refusal of unknown jobs, and `status` (no job started)."""
from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cpu_runs.sh"


def run_script(*args: str, runs: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(runs), "RUNS": str(runs)})


def test_no_job_prints_the_job_list_and_fails(tmp_path: Path) -> None:
    result = run_script(runs=tmp_path)
    assert result.returncode == 2
    for job in ("data", "curves", "mdm-ft", "mdm-cpu-long", "mdm-paper", "status"):
        assert job in result.stdout


def test_unknown_job_is_named_and_nothing_starts(tmp_path: Path) -> None:
    result = run_script("mdm-fine-tune", runs=tmp_path)
    assert result.returncode == 2
    assert "unknown job 'mdm-fine-tune'" in result.stderr and "mdm-ft" in result.stderr
    assert not list(tmp_path.glob("*.log"))


def test_status_shows_the_last_line_of_each_log(tmp_path: Path) -> None:
    (tmp_path / "mdm-ft-sudoku-mdm-puma-lr5e-5.log").write_text("step 100\rstep 200\nstep 250 ce 0.151\n")
    result = run_script("status", runs=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path}/mdm-ft-sudoku-mdm-puma-lr5e-5.log: step 250 ce 0.151" in result.stdout
    assert "job_data" not in result.stdout  # running jobs are listed by their commands, not the inlined functions
