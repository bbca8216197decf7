"""Reading user files and writing outputs safely: bytes decoded with a clear error, atomic writes, locks.

- ``read_text(path)`` / ``decode_text(data, name)``: input files are read as bytes and decoded as UTF-8 (a byte
  order mark is accepted and dropped); undecodable bytes or unreadable paths raise ``InputError`` naming the file
  and the offset.
- ``read_json_file(file, error, hint)``: a JSON file whose absence or bad content raises ``error`` naming it.
- ``check_output_path(path, inputs)``: decided before any expensive work. The target must not be a directory or
  one of the inputs, and its directory must exist and accept a new file (checked by creating and removing one).
- ``atomic_write(path, data)`` / ``atomic_path(path)``: written to a temporary file in the target directory,
  flushed, fsynced and renamed over the target with ``os.replace``, so a reader sees the old or the new file,
  never half of one; a failure removes the temporary file and keeps the old target.
- ``output_lock(path)``: an exclusive lock (``filelock``) held while a command computes and writes ``path``;
  a second writer fails at once with ``InputError`` instead of silently replacing the first one's results. The
  lock files live in one per-user folder of the temporary directory (named by a hash of the target's absolute
  path), so nothing is left beside the user's files; the lock covers writers on the same machine.

Layer 0 (imports only ``anyorder.errors``), so datasets, checkpoints, reports and the CLI can all use it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from anyorder.errors import InputError

BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 ``data`` -> str (a leading BOM dropped). Undecodable bytes raise InputError naming ``name``, the byte
    offset and the byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[e.start:e.start + 1].hex()
        line = data[:e.start].count(b"\n") + 1
        raise InputError(f"{name}: not UTF-8 text (byte 0x{bad} at offset {e.start}, line {line}); "
                         "expected a UTF-8 text file") from None


def read_bytes(path: str | Path, what: str = "input") -> bytes:
    """The bytes of ``path``; a missing file, a directory or a read error raises InputError naming it."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} {p} is a directory, expected a file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {p} does not exist") from None
    except OSError as e:
        raise InputError(f"cannot read {what} {p}: {e.strerror or e}") from None


def read_text(path: str | Path, what: str = "input") -> str:
    """``read_bytes`` + ``decode_text``: the UTF-8 text of a user file (BOM accepted)."""
    return decode_text(read_bytes(path, what), str(path))


def read_json_file(file: Path, error: type[Exception], hint: str) -> Any:
    """The JSON value stored in ``file`` (config.json of a checkpoint or a model folder). A missing file raises
    ``error("{file}: missing ({hint})")``; bytes that are not UTF-8 or text that is not JSON raise
    ``error("{file}: invalid JSON (...)")``."""
    if not file.is_file():
        raise error(f"{file}: missing ({hint})")
    try:
        return json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise error(f"{file}: invalid JSON ({e})") from e


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same file (existing: same inode; else the same absolute path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output_path(path: str | Path, inputs: Iterable[str | Path | None] = (), what: str = "--output") -> Path:
    """Check that ``path`` can be written as a file, before any work is spent. Raises InputError when it is a
    directory, equals one of ``inputs``, or its directory is missing or does not accept a new file."""
    p = Path(path)
    for source in inputs:
        if source is not None and str(source) != "-" and same_file(p, source):
            raise InputError(f"{what} {p} is also an input; refusing to overwrite it (choose another file)")
    if p.is_dir():
        raise InputError(f"{what} {p} is a directory, expected a file path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{what} {p}: directory {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{what} {p}: {parent} is not a directory")
    if p.exists() and not p.is_file():
        raise InputError(f"{what} {p} exists and is not a regular file")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{p.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"{what} {p}: cannot create files in {parent} ({e.strerror or e})") from None
    return p


def check_new_path(path: str | Path, what: str = "output", allow_existing_dir: bool = True) -> Path:
    """Check that the directory (or packed file) ``path`` can be created: it is not an existing file (nor an
    existing directory unless ``allow_existing_dir``) and its nearest existing ancestor is a directory that
    accepts new files. Raises InputError naming the problem."""
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise InputError(f"{what} {p} is an existing file; refusing to overwrite it")
        if not allow_existing_dir:
            raise InputError(f"{what} {p} already exists; refusing to overwrite it")
    ancestor = p.parent if str(p.parent) else Path(".")
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{what} {p}: {ancestor} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(dir=ancestor, prefix=".anyorder-", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"{what} {p}: cannot create files in {ancestor} ({e.strerror or e})") from None
    return p


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path in ``path``'s directory; on success it is fsynced and renamed onto ``path``
    (``os.replace``); on error it is removed and ``path`` is left as it was. ``suffix`` keeps an extension
    some writers insist on (``numpy.savez`` appends .npz otherwise)."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{p.name}.", suffix=f".tmp{suffix}")
    except OSError as e:
        raise InputError(f"cannot write {p}: {e.strerror or e}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(parent)


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` atomically (``atomic_path``)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw)
    return Path(path)


def lock_path(path: str | Path) -> Path:
    """The lock file of target ``path``: $TMPDIR/anyorder-locks-UID/<sha256 of the absolute path>.lock."""
    folder = Path(tempfile.gettempdir()) / f"anyorder-locks-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(mode=0o700, exist_ok=True)
    key = hashlib.sha256(os.path.abspath(os.fspath(path)).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return folder / f"{key}.lock"


@contextlib.contextmanager
def output_lock(path: str | Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on writing ``path`` (a file or directory) for the ``with`` block. Another holder
    makes this raise InputError after ``timeout`` seconds (default: at once)."""
    from filelock import FileLock, Timeout

    try:
        lock = FileLock(str(lock_path(path)), timeout=timeout)
        lock.acquire()
    except Timeout:
        raise InputError(f"{path} is being written by another anyorder process (lock {lock_path(path)} held); "
                         "wait for it or choose another output") from None
    except OSError as e:
        raise InputError(f"cannot lock {path} for writing ({e.strerror or e})") from None
    try:
        yield
    finally:
        lock.release()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot fsync directories
        pass
    finally:
        os.close(fd)
