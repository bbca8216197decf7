"""benchmarks/_output.py: the JSON result file every benchmark writes with --json."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _output import write_json  # noqa: E402


def test_write_json_creates_parents_and_skips_without_a_path(tmp_path):
    out = tmp_path / "new" / "dir" / "result.json"
    write_json(str(out), {"rows": [1, 2]})
    assert json.loads(out.read_text()) == {"rows": [1, 2]}
    write_json(None, {"rows": []})
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["result.json"]
