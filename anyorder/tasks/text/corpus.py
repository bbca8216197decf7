"""Text sources for the text task (paper Sec. 4.1, 4.2, 4.5 at CPU scale): documents as ``(name, text)`` pairs.

- ``local_documents(paths)``: text files, or every ``*.txt`` / ``*.md`` under a directory (sorted); one file is
  one document.
- ``hf_documents(name, ...)``: a Hugging Face ``datasets`` dataset (a hub name such as
  ``DKYoon/SlimPajama-6B`` when the hub is reachable, a builder such as ``json`` / ``text`` with ``data_files``,
  or a directory written by ``Dataset.save_to_disk``); one row is one document, its text in ``field``.
- The default CPU corpus, public-domain English prose that Debian ships (``scripts/build_text_corpus.sh``
  downloads the packages and calls ``anyorder data text-corpus``):
  * Jane Austen's six novels, Debian ``r-cran-janeaustenr``: an R lazy-load database (``data/Rdata.rdx`` +
    ``Rdata.rdb``). The index (``.rdx``) is a gzip-compressed serialized R list; each variable is a chunk of the
    ``.rdb`` file at (offset, length): a 4-byte big-endian length, then a zlib stream of one serialized R
    character vector (one element per printed line). ``read_austen`` parses both with the PyPI ``rdata``
    package (no R needed) and reflows the lines into paragraphs.
  * The King James Bible, Debian ``bible-kjv-text`` (the compressed text) + ``bible-kjv`` (its reader,
    ``bible``): ``bible -f -p DIR Gen1:1-Rev22:21`` prints one verse per line as ``Ge1:1 In the beginning...``;
    ``parse_kjv`` groups the verses into one document per book, one paragraph per chapter.
  About 4.0M + 4.1M characters (72 documents), 1.9M tokens with the 8k BPE.
"""
from __future__ import annotations

import gzip
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import Callable, Iterable, Iterator

from anyorder.errors import InputError

Documents = Callable[[], Iterator[tuple[str, str]]]  # a re-iterable source of (name, text) documents
TEXT_SUFFIXES = (".txt", ".md", ".text")
AUSTEN_BOOKS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion")


def _rdata():
    try:
        import rdata
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise InputError("reading the Jane Austen R data needs the 'rdata' package: pip install 'anyorder[text]'") from e
    return rdata


def _parse_r(raw: bytes):
    rdata = _rdata()
    with warnings.catch_warnings():  # rdata warns "assumed RDS" for headerless serializations
        warnings.simplefilter("ignore")
        return rdata.conversion.convert(rdata.parser.parse_data(raw))


def read_r_lazyload(base: Path) -> dict[str, object]:
    """All variables of an R lazy-load database ``base.rdx`` / ``base.rdb`` (see module docstring)."""
    rdx, rdb = Path(f"{base}.rdx"), Path(f"{base}.rdb")
    for path in (rdx, rdb):
        if not path.is_file():
            raise InputError(f"{path}: missing R lazy-load file")
    index = _parse_r(gzip.decompress(rdx.read_bytes()))
    blob = rdb.read_bytes()
    out = {}
    for name, (offset, length) in index["variables"].items():
        chunk = blob[int(offset):int(offset) + int(length)]
        (size,) = struct.unpack(">I", chunk[:4])
        raw = zlib.decompress(chunk[4:])
        if len(raw) != size:
            raise InputError(f"{rdb}: variable {name}: {len(raw)} bytes after inflating, header says {size}")
        out[str(name)] = _parse_r(raw)
    return out


def reflow(lines: Iterable[str]) -> str:
    """Join wrapped lines into paragraphs: blank lines separate paragraphs ("\\n\\n"), others join with spaces."""
    paragraphs, current = [], []
    for line in lines:
        line = str(line).strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def read_austen(package_dir: Path) -> dict[str, str]:
    """{book: text} of the six novels from the janeaustenr package directory (holding ``data/Rdata.rdx``)."""
    package_dir = Path(package_dir)
    base = package_dir / "data" / "Rdata" if (package_dir / "data").is_dir() else package_dir / "Rdata"
    variables = read_r_lazyload(base)
    missing = [b for b in AUSTEN_BOOKS if b not in variables]
    if missing:
        raise InputError(f"{base}: no variables {missing} (found {sorted(variables)})")
    return {book: reflow(variables[book]) for book in AUSTEN_BOOKS}


_VERSE = re.compile(r"^(\d?[A-Za-z]+)(\d+):(\d+)\s+(.*)$")


def parse_kjv(dump: str) -> dict[str, str]:
    """{book abbreviation: text} from the ``bible -f`` dump (one verse per line, ``Ge1:1 text``).

    Books keep their order; verses of a chapter join with spaces, chapters with blank lines. Raises InputError
    when a non-empty line is not a verse.
    """
    books: dict[str, list[list[str]]] = {}
    last_chapter: dict[str, str] = {}
    for number, line in enumerate(dump.splitlines(), start=1):
        if not line.strip():
            continue
        m = _VERSE.match(line.strip())
        if not m:
            raise InputError(f"KJV dump line {number} is not a verse: {line[:60]!r}")
        book, chapter, _, text = m.groups()
        chapters = books.setdefault(book, [])
        if last_chapter.get(book) != chapter:
            chapters.append([])
            last_chapter[book] = chapter
        chapters[-1].append(text.strip())
    if not books:
        raise InputError("KJV dump holds no verses")
    return {book: "\n\n".join(" ".join(v) for v in chapters) for book, chapters in books.items()}


def write_documents(documents: dict[str, str], out_dir: Path, prefix: str) -> list[Path]:
    """Write each document to ``out_dir/<prefix>-<name>.txt`` (UTF-8); returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in documents.items():
        path = out_dir / f"{prefix}-{name}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
            if not found:
                raise InputError(f"{p}: no {'/'.join(TEXT_SUFFIXES)} files under this directory")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    if not files:
        raise InputError("no text sources given")
    return files


def local_documents(paths: Iterable[str | Path]) -> Documents:
    """Documents from files / directories (checked now; read lazily, one file at a time)."""
    files = _files(paths)

    def iterate() -> Iterator[tuple[str, str]]:
        for f in files:
            try:
                yield str(f), f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise InputError(f"{f}: cannot read as UTF-8 text: {e}") from e

    return iterate


def hf_documents(name: str, split: str = "train", field: str = "text", config: str | None = None,
                 data_files: list[str] | None = None, streaming: bool = False,
                 max_documents: int | None = None) -> Documents:
    """Documents from a ``datasets`` dataset: a ``save_to_disk`` directory, a builder (``json``, ``text``,
    ``parquet`` with ``data_files``) or a hub name. Each row's ``field`` is one document."""
    try:
        import datasets
    except ImportError as e:  # pragma: no cover
        raise InputError("Hugging Face datasets need the 'datasets' package: pip install 'anyorder[text]'") from e
    path = Path(name)
    if path.is_dir() and ((path / "dataset_info.json").is_file() or (path / "dataset_dict.json").is_file()):
        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            if split not in ds:
                raise InputError(f"{path}: no split {split!r} (splits: {sorted(ds)})")
            ds = ds[split]
    else:
        try:
            ds = datasets.load_dataset(name, config, split=split, data_files=data_files, streaming=streaming)
        except Exception as e:  # datasets raises many types (hub unreachable, missing files, bad split)
            raise InputError(f"cannot load dataset {name!r} (split {split!r}): {type(e).__name__}: {e}") from e
    columns = ds.column_names
    if columns is not None and field not in columns:
        raise InputError(f"dataset {name!r} has no field {field!r} (fields: {columns})")

    def iterate() -> Iterator[tuple[str, str]]:
        for i, row in enumerate(ds):
            if max_documents is not None and i >= max_documents:
                return
            yield f"{name}[{i}]", str(row[field])

    return iterate
