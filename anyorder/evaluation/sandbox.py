"""Run untrusted Python programs (model-written code) in a sandbox, one process each, in parallel.

``run_programs(sources, limits) -> [ExecResult]``. Each program runs in its own process
(``_sandbox_child.py``, started with ``python -I``: no user site, no PYTHON* variables) with

- a fresh temporary working directory, deleted afterwards; stdout/stderr go to files there (size-capped);
- an empty environment (PATH, LANG, HOME=TMPDIR=the temporary directory): nothing of the parent's is reachable;
- a wall-clock limit (the whole process group is killed) and rlimits: address space (``memory_mb``), CPU seconds,
  file size, open files, process count, no core dumps;
- new network and PID namespaces where the kernel allows (root, or unprivileged user namespaces): no network,
  and every process the program forks dies with it; as root it also runs as ``nobody``, so it cannot modify other
  users' files and the process limit applies;
- ``guard=True``: Python-level process, signal, file-deletion and socket functions raise (defence in depth; the
  OS-level layers above are what holds against ``ctypes``).

A program passes when it runs to its end with status 0 (``ExecResult.passed``); ``status`` says what happened:
``passed`` | ``failed`` | ``timeout`` | ``exited`` (called sys.exit before its end) | ``killed`` (by a signal,
e.g. the CPU limit). Programs run ``workers`` at a time (default: the available cores).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from anyorder.errors import ConfigError

CHILD = Path(__file__).with_name("_sandbox_child.py")
NOBODY = 65534
EXITED_EARLY = 3


@dataclass(frozen=True)
class Limits:
    """Per-program limits."""

    timeout: float = 10.0  # wall-clock seconds
    memory_mb: int = 1024  # address space
    file_mb: int = 16  # largest file the program may write (stdout/stderr included)
    guard: bool = True  # Python-level guards on top of the OS limits
    workers: int | None = None  # programs at a time (None: the available cores)

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.memory_mb < 64 or self.file_mb < 1:
            raise ConfigError(f"sandbox limits need timeout > 0, memory_mb >= 64, file_mb >= 1; got {self}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")


@dataclass(frozen=True)
class ExecResult:
    status: str  # passed | failed | timeout | exited | killed
    returncode: int | None
    seconds: float
    stdout: str  # last 2000 characters
    stderr: str  # last 2000 characters
    isolation: str  # what the child managed to set up, e.g. "namespaces nobody"

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_program(source: str, limits: Limits = Limits()) -> ExecResult:
    """Run one program in the sandbox (see the module docstring)."""
    tmp = Path(tempfile.mkdtemp(prefix="anyorder-sandbox-"))
    try:
        (tmp / "program.py").write_text(source)
        if os.geteuid() == 0:
            os.chown(tmp, NOBODY, NOBODY)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp), "TMPDIR": str(tmp)}
        memory = limits.memory_mb << 20
        cpu = int(limits.timeout) + 1
        args = [sys.executable, "-I", str(CHILD), str(tmp / "program.py"), str(memory), str(cpu),
                str(limits.file_mb << 20), "1" if limits.guard else "0"]
        start = time.monotonic()
        with open(tmp / "stdout", "wb") as out, open(tmp / "stderr", "wb") as err:
            proc = subprocess.Popen(args, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True, close_fds=True)
            try:
                code = proc.wait(timeout=limits.timeout)
                status = _status(code)
            except subprocess.TimeoutExpired:
                code, status = None, "timeout"
            finally:
                _kill_group(proc.pid)
                proc.wait()
        seconds = time.monotonic() - start
        return ExecResult(status, code, seconds, _tail(tmp / "stdout"), _tail(tmp / "stderr"),
                          _read(tmp / "isolation.txt"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_programs(sources: Sequence[str], limits: Limits = Limits()) -> list[ExecResult]:
    """Run every program (in parallel, ``limits.workers`` at a time); results in input order."""
    workers = limits.workers or available_cores()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: run_program(s, limits), sources))


def _status(code: int) -> str:
    if code == 0:
        return "passed"
    if code == EXITED_EARLY:
        return "exited"
    if code < 0 or code > 128:
        return "killed"
    return "failed"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, n: int = 2000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(f.tell() - n, 0))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
