"""``anyorder data text`` and ``anyorder data text-corpus``: build the text task's shards and default corpus.

    anyorder data text OUT --source DIR_OR_FILE ...          # local text files (one file = one document)
    anyorder data text OUT --hf NAME [--hf-split train --hf-field text --hf-data-files F ...]
    anyorder data text OUT                                   # the default corpus (scripts/build_text_corpus.sh)
    anyorder data text-corpus OUT --austen PKG_DIR --kjv-dump FILE   # used by scripts/build_text_corpus.sh

Thin edge over ``anyorder.tasks.text.corpus`` and ``anyorder.tasks.text.shards``.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from anyorder.errors import InputError
from anyorder.tasks.text import corpus, shards
from anyorder.tasks.text.task import default_data_dir


def default_corpus_dir() -> Path:
    """Where scripts/build_text_corpus.sh writes the Austen + KJV documents ($ANYORDER_TEXT_CORPUS overrides)."""
    env = os.environ.get("ANYORDER_TEXT_CORPUS")
    return Path(env).expanduser() if env else default_data_dir().parent / "text-corpus"


def register(sub) -> None:
    """Add ``text`` and ``text-corpus`` to the ``data`` sub-parsers ``sub``."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    t = sub.add_parser("text", help="train a BPE and pack text into memory-mapped train/validation shards",
                       formatter_class=fmt, description=__doc__)
    t.add_argument("out", nargs="?", default=None, help="output directory (default: $ANYORDER_DATA/text or "
                   "~/.cache/anyorder/data/text, which the text task reads by default)")
    t.add_argument("--source", nargs="+", default=None, help="text files or directories (*.txt, *.md)")
    t.add_argument("--hf", default=None, help="a datasets name, builder (json/text/parquet) or save_to_disk dir")
    t.add_argument("--hf-config", default=None, help="dataset configuration name")
    t.add_argument("--hf-split", default="train", help="split to read")
    t.add_argument("--hf-field", default="text", help="column holding the document text")
    t.add_argument("--hf-data-files", nargs="+", default=None, help="data files for a builder such as json")
    t.add_argument("--hf-streaming", action="store_true", help="stream the dataset (large hub datasets)")
    t.add_argument("--max-documents", type=int, default=None, help="read at most this many documents (--hf)")
    t.add_argument("--seq-len", type=int, default=256, help="tokens per packed row")
    t.add_argument("--vocab-size", type=int, default=4096, help="BPE vocabulary (4096 keeps the CPU models' LM head cheap; paper-scale runs: 32000)")
    t.add_argument("--tokenizer", default=None, metavar="CHECKPOINT",
                   help="encode with this checkpoint's tokenizer instead of training one (e.g. to evaluate the "
                        "shipped text MDM, anyorder/assets/checkpoints/text-mdm, on your own text)")
    t.add_argument("--val-fraction", type=float, default=0.02, help="fraction of row blocks held out")
    t.add_argument("--block-rows", type=int, default=16, help="consecutive rows per split block")
    t.add_argument("--seed", type=int, default=0, help="seed of the validation block choice")
    t.add_argument("--no-progress", action="store_true")
    t.set_defaults(func=run_text)
    c = sub.add_parser("text-corpus", help="extract the default corpus (Jane Austen + King James Bible) to .txt",
                       formatter_class=fmt)
    c.add_argument("out", nargs="?", default=None, help="output directory (default: ~/.cache/anyorder/data/text-corpus)")
    c.add_argument("--austen", required=True, help="janeaustenr package directory (holding data/Rdata.rdx)")
    c.add_argument("--kjv-dump", required=True, help="file with the output of `bible -f Gen1:1-Rev22:21`")
    c.set_defaults(func=run_corpus)


def run_corpus(args) -> int:
    out = Path(args.out) if args.out else default_corpus_dir()
    try:
        dump = Path(args.kjv_dump).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read {args.kjv_dump}: {e}") from e
    austen = corpus.read_austen(Path(args.austen))
    kjv = corpus.parse_kjv(dump)
    paths = corpus.write_documents(austen, out / "austen", "austen") + corpus.write_documents(kjv, out / "kjv", "kjv")
    chars = sum(len(t) for t in austen.values()) + sum(len(t) for t in kjv.values())
    print(f"{len(paths)} documents ({len(austen)} Austen novels, {len(kjv)} KJV books), {chars:,} characters -> {out}")
    return 0


def checkpoint_tokenizer(path: str):
    """The tokenizer saved in a checkpoint or run directory (its verified config's "tokenizer" entry)."""
    from anyorder.tokenizers.registry import load_tokenizer
    from anyorder.train.checkpoint import read_config, resolve

    ckpt = resolve(path)
    return load_tokenizer(read_config(ckpt)["tokenizer"], ckpt)


def run_text(args) -> int:
    if args.source and args.hf:
        raise InputError("give --source or --hf, not both")
    if args.hf:
        docs = corpus.hf_documents(args.hf, args.hf_split, args.hf_field, args.hf_config, args.hf_data_files,
                                   args.hf_streaming, args.max_documents)
        sources = [f"hf:{args.hf}:{args.hf_split}"]
    else:
        paths = args.source
        if not paths:
            default = default_corpus_dir()
            if not default.is_dir():
                raise InputError(f"no --source/--hf given and the default corpus {default} does not exist; "
                                 "build it with scripts/build_text_corpus.sh")
            paths = [default]
        docs = corpus.local_documents(paths)
        sources = [str(Path(p).resolve()) for p in paths]
    out = Path(args.out) if args.out else default_data_dir()
    tokenizer = checkpoint_tokenizer(args.tokenizer) if args.tokenizer else None
    meta = shards.build_shards(docs, out, seq_len=args.seq_len, vocab_size=args.vocab_size,
                               val_fraction=args.val_fraction, block_rows=args.block_rows, seed=args.seed,
                               tokenizer=tokenizer, sources=sources, progress=not args.no_progress)
    print(f"{meta['n_documents']} documents, {meta['n_tokens']:,} tokens, vocab {meta['vocab_size']}: "
          f"{meta['rows']['train']} train / {meta['rows']['validation']} validation rows of {meta['seq_len']} -> {out}")
    return 0
