"""What every benchmark does with its result: optionally written as JSON (run as scripts: benchmarks/ is on
sys.path)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from anyorder.io import atomic_write


def write_json(path: str | None, result: Any) -> None:
    """Write ``result`` as indented JSON to ``path`` (atomically, parents created); nothing when ``path`` is None."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(result, indent=1) + "\n")
