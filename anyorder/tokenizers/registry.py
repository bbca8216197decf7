"""Tokenizer kinds: name -> "module:Class"; each class has ``load(config, directory)`` (see ``base``).

Adding a tokenizer kind is one module with a class satisfying ``base.Tokenizer`` (``kind``, ``save``, ``load``)
and one line here. Imported lazily: a kind's dependency (``tokenizers``, ``transformers``) is needed only when used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from anyorder.registry import resolve
from anyorder.tokenizers.base import Tokenizer, TokenizerError

TOKENIZERS: dict[str, str] = {
    "symbols": "anyorder.tokenizers.symbols:SymbolTable",
    "bpe": "anyorder.tokenizers.bpe:BPETokenizer",
    "hf": "anyorder.tokenizers.hf:HFTokenizer",
}


def tokenizer_class(kind: str) -> type:
    return resolve(TOKENIZERS, kind, "tokenizer kind", TokenizerError)


def load_tokenizer(config: dict[str, Any], directory: Path | None = None) -> Tokenizer:
    """Restore a tokenizer from its saved config (checkpoints before issue 10 have no "kind": symbols)."""
    return tokenizer_class(config.get("kind", "symbols")).load(config, directory)
