"""Hostile programs fail harmlessly in the sandbox (anyorder.evaluation.sandbox)."""
import os
import time
from pathlib import Path

import pytest

from anyorder.errors import ConfigError
from anyorder.evaluation.sandbox import Limits, run_program, run_programs

FAST = Limits(timeout=30.0, memory_mb=512)  # generous: a loaded CI machine can take seconds to start Python
ROOT = os.geteuid() == 0


def _processes_mentioning(text: str, wait: float = 3.0) -> list[int]:
    """Live (non-zombie) processes whose command line contains ``text``, after waiting up to ``wait`` s for the
    kernel to finish tearing down killed ones."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    alive = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
                    if alive and text.encode() in (proc / "cmdline").read_bytes():
                        found.append(int(proc.name))
                except (OSError, IndexError):
                    pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_correct_program_passes_and_failures_are_classified():
    assert run_program("assert sum([1, 2]) == 3\nprint('ok')", FAST).passed
    res = run_program("assert 1 == 2", FAST)
    assert res.status == "failed" and "AssertionError" in res.stderr
    assert run_program("def f(:\n", FAST).status == "failed"  # syntax error
    early = run_program("import sys\nsys.exit(0)\nassert False", FAST)  # leaving before the tests is no pass
    assert early.status == "exited" and not early.passed


def test_infinite_loop_is_killed_at_the_wall_clock_limit():
    start = time.monotonic()
    res = run_program("while True:\n    pass", Limits(timeout=2.0))
    assert res.status == "timeout" and time.monotonic() - start < 6
    assert _processes_mentioning("anyorder-sandbox-") == []


def test_sleeping_forever_is_killed_too():
    res = run_program("import time\ntime.sleep(1000)", Limits(timeout=1.5))
    assert res.status == "timeout" and res.seconds < 4


def test_huge_allocation_fails_with_memory_error():
    res = run_program("x = bytearray(100 * 2**30)", FAST)
    assert res.status == "failed" and "MemoryError" in res.stderr


@pytest.mark.parametrize("guard", [True, False])
def test_fork_bomb_is_contained(guard):
    if not guard and not ROOT:
        pytest.skip("unguarded fork bomb containment relies on the uid drop + PID namespace (root)")
    bomb = "import os\nwhile True:\n    os.fork()\n"
    start = time.monotonic()
    res = run_program(bomb, Limits(timeout=3.0, memory_mb=256, guard=guard))
    assert not res.passed and time.monotonic() - start < 8
    assert _processes_mentioning("anyorder-sandbox-") == []  # the namespace took every fork with it


@pytest.mark.parametrize("guard", [True, False])
def test_deleting_files_outside_the_sandbox_fails(tmp_path, guard):
    if not guard and not ROOT:
        pytest.skip("without the guard, only the uid drop (root) protects the user's files")
    victim_dir = tmp_path / "keep"
    victim_dir.mkdir()
    victim = victim_dir / "data.txt"
    victim.write_text("precious")
    os.chmod(tmp_path, 0o755)
    program = f"import os, shutil\nos.remove({str(victim)!r})\n"
    res = run_program(program, Limits(timeout=30.0, guard=guard))
    assert not res.passed and victim.read_text() == "precious"
    res = run_program(f"import shutil\nshutil.rmtree({str(victim_dir)!r})\n", Limits(timeout=30.0, guard=guard))
    assert not res.passed and victim.exists()


@pytest.mark.parametrize("guard", [True, False])
def test_sockets_cannot_reach_the_network(guard):
    program = ("import socket\n"
               "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
               "s.settimeout(2)\n"
               "s.connect(('1.1.1.1', 53))\n")
    res = run_program(program, Limits(timeout=30.0, guard=guard))
    assert not res.passed
    if not guard and "namespaces" in res.isolation:
        assert "OSError" in res.stderr and "unreachable" in res.stderr.lower()


def test_parent_environment_and_working_directory_are_not_shared(monkeypatch):
    monkeypatch.setenv("ANYORDER_TEST_SECRET", "hunter2")
    program = ("import os\n"
               "assert 'ANYORDER_TEST_SECRET' not in os.environ, os.environ\n"
               "assert os.getcwd().startswith(os.environ['TMPDIR'])\n"
               "open('scratch.txt', 'w').write('temporary files are fine')\n")
    res = run_program(program, FAST)
    assert res.passed, res.stderr


def test_writing_a_huge_file_is_stopped():
    res = run_program("f = open('big', 'wb')\nwhile True:\n    f.write(b'x' * 2**20)\n", Limits(timeout=30.0, file_mb=4))
    assert res.status in ("failed", "killed")  # OSError or SIGXFSZ at the 4 MB file-size limit, not the timeout


def test_programs_run_in_parallel_and_keep_their_order():
    sources = [f"import time\ntime.sleep(0.5)\nassert {i} % 2 == 0" for i in range(6)]
    start = time.monotonic()
    results = run_programs(sources, Limits(timeout=60.0, workers=6))
    assert [r.passed for r in results] == [True, False, True, False, True, False]
    assert time.monotonic() - start < sum(r.seconds for r in results)  # overlapping, not one after another


def test_bad_limits_raise():
    with pytest.raises(ConfigError):
        Limits(timeout=0)
    with pytest.raises(ConfigError):
        Limits(workers=0)


def test_exit_codes_are_classified():
    from anyorder.evaluation.sandbox import EXITED_EARLY, _status
    assert [_status(c) for c in (0, EXITED_EARLY, 1, 2, 128)] == ["passed", "exited", "failed", "failed", "failed"]
    assert [_status(c) for c in (-9, -15, 129, 137)] == ["killed"] * 4  # a signal, or a shell's 128 + signal


def test_programs_run_in_their_own_named_temporary_directory_with_a_minimal_environment():
    program = ("import json, os\n"
               "print(json.dumps([os.path.basename(os.getcwd()), os.getcwd(), dict(os.environ)]))\n")
    res = run_program(program, FAST)
    assert res.passed, res.stderr
    import json
    name, cwd, env = json.loads(res.stdout)
    assert name.startswith("anyorder-sandbox-")
    assert {k: env[k] for k in ("PATH", "LANG", "HOME", "TMPDIR")} == {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": cwd, "TMPDIR": cwd}


def test_output_that_is_not_utf8_is_kept_with_replacement_characters():
    res = run_program("import sys\nsys.stdout.buffer.write(b'\\xff ok')\n", FAST)
    assert res.passed and res.stdout == "\ufffd ok"
