"""The tokenizer contract every tokenizer satisfies (symbol tables, BPE, Hugging Face tokenizers).

A tokenizer maps text (or a sequence of symbols) to token ids and back, names its special tokens and can write
itself into a checkpoint directory: ``save(directory) -> config`` writes its files (if any) and returns a JSON-able
config holding ``"kind"`` (a ``TOKENIZERS`` name); ``TOKENIZERS[kind].load(config, directory)`` restores it.
``tokens`` are always int64 ids; ``mask_id`` is the absorbing [MASK] token and part of the model vocabulary.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, Sequence

import torch

from anyorder.errors import InputError


class TokenizerError(InputError):
    """Raised for text that cannot be tokenized (unknown symbol) or invalid tokenizer definitions."""


class Tokenizer(Protocol):
    """kind: registry name; mask_id / pad_id (None when absent); vocab_size; special_tokens {name: id}."""

    kind: str

    @property
    def mask_id(self) -> int: ...

    @property
    def pad_id(self) -> int | None: ...

    @property
    def vocab_size(self) -> int: ...

    @property
    def special_tokens(self) -> dict[str, int]: ...

    def encode(self, text: str | Sequence[str]) -> list[int]: ...

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str: ...

    def save(self, directory: Path) -> dict[str, Any]: ...
