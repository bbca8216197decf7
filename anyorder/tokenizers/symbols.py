"""A fixed symbol table (``kind="symbols"``): token id ``i`` is ``symbols[i]``; no files, all in the config."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from anyorder.tokenizers.base import TokenizerError


@dataclass(frozen=True)
class SymbolTable:
    """A fixed symbol table: token id ``i`` is ``symbols[i]``.

    Attributes:
        symbols: one string per token id; each must be unique.
        mask_id: id of the absorbing [MASK] token.
        pad_id: id of the padding token, or None when the task has none.
    """

    symbols: tuple[str, ...]
    mask_id: int
    pad_id: int | None = None
    _index: dict = field(default=None, init=False, repr=False, compare=False)
    kind = "symbols"

    def __post_init__(self) -> None:
        if len(set(self.symbols)) != len(self.symbols):
            raise TokenizerError(f"duplicate symbols in tokenizer: {self.symbols}")
        for name, tid in (("mask_id", self.mask_id), ("pad_id", self.pad_id)):
            if tid is not None and not 0 <= tid < len(self.symbols):
                raise TokenizerError(f"{name}={tid} outside vocabulary of size {len(self.symbols)}")
        object.__setattr__(self, "symbols", tuple(self.symbols))
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.symbols)})

    @property
    def vocab_size(self) -> int:
        return len(self.symbols)

    @property
    def special_tokens(self) -> dict[str, int]:
        out = {"mask": self.mask_id}
        if self.pad_id is not None:
            out["pad"] = self.pad_id
        return out

    def encode(self, items: Sequence[str]) -> list[int]:
        """Map a sequence of symbols (a string is a sequence of 1-char symbols) to ids."""
        out = []
        for pos, s in enumerate(items):
            if s not in self._index:
                raise TokenizerError(f"unknown symbol {s!r} at position {pos}; valid: {list(self.symbols)}")
            out.append(self._index[s])
        return out

    def decode(self, ids: Sequence[int] | torch.Tensor, sep: str = "") -> str:
        """Map ids back to symbols joined by ``sep``."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return sep.join(self.symbols[i] for i in ids)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "symbols": list(self.symbols), "mask_id": self.mask_id, "pad_id": self.pad_id}

    def save(self, directory: Path) -> dict[str, Any]:
        """Nothing to write: the table lives in the config."""
        return self.to_dict()

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path | None = None) -> "SymbolTable":
        return cls.from_dict(config)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SymbolTable":
        try:
            return cls(tuple(d["symbols"]), int(d["mask_id"]), d.get("pad_id"))
        except (KeyError, TypeError) as e:
            raise TokenizerError(f"invalid tokenizer definition {json.dumps(d)[:200]}: {e}") from e
