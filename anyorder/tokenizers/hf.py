"""A Hugging Face ``transformers`` tokenizer as an anyorder tokenizer (``kind="hf"``), e.g. a pretrained
diffusion LM's. ``transformers`` is a heavy optional dependency, imported only when an HF tokenizer is used.

The tokenizer must define a mask token (diffusion LMs do); ``save`` writes ``save_pretrained`` files into the
``tokenizer/`` folder of the checkpoint, ``load`` reads them back with ``AutoTokenizer`` (local files only).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from anyorder.tokenizers.base import TokenizerError

FOLDER = "tokenizer"


class HFTokenizer:
    """Wraps a ``transformers.PreTrainedTokenizerBase``."""

    kind = "hf"

    def __init__(self, hf) -> None:
        if hf.mask_token_id is None:
            raise TokenizerError(f"Hugging Face tokenizer {type(hf).__name__} has no mask token; set one "
                                 "(tokenizer.add_special_tokens({'mask_token': '[MASK]'})) before use")
        self.hf = hf

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, **kwargs) -> "HFTokenizer":
        from transformers import AutoTokenizer  # heavy optional dependency

        return cls(AutoTokenizer.from_pretrained(str(name_or_path), **kwargs))

    @property
    def mask_id(self) -> int:
        return int(self.hf.mask_token_id)

    @property
    def pad_id(self) -> int | None:
        return None if self.hf.pad_token_id is None else int(self.hf.pad_token_id)

    @property
    def vocab_size(self) -> int:
        return len(self.hf)

    @property
    def special_tokens(self) -> dict[str, int]:
        names = ("mask", "pad", "bos", "eos", "unk", "sep", "cls")
        return {n: int(getattr(self.hf, f"{n}_token_id")) for n in names if getattr(self.hf, f"{n}_token_id") is not None}

    def encode(self, text: str | Sequence[str]) -> list[int]:
        return list(self.hf.encode(text if isinstance(text, str) else "".join(text), add_special_tokens=False))

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        return self.hf.decode(ids.tolist() if isinstance(ids, torch.Tensor) else list(ids))

    def save(self, directory: Path) -> dict[str, Any]:
        self.hf.save_pretrained(str(Path(directory) / FOLDER))
        return {"kind": self.kind, "folder": FOLDER, "mask_id": self.mask_id, "pad_id": self.pad_id}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> "HFTokenizer":
        path = Path(directory) / config.get("folder", FOLDER)
        if not path.is_dir():
            raise TokenizerError(f"{path}: missing Hugging Face tokenizer folder")
        return cls.from_pretrained(path, local_files_only=True)
