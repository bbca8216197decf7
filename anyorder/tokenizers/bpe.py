"""A byte-pair-encoding tokenizer trained with the Hugging Face ``tokenizers`` library (``kind="bpe"``).

``BPETokenizer.train(texts, vocab_size)`` learns merges (byte-level, so any text encodes) with the special
tokens [MASK] and [PAD] at ids 0 and 1 (and any ``extra_special`` tokens after them, e.g. the text task's [EOS]
document separator); ``save`` writes ``tokenizer.json`` into the checkpoint directory.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

import torch
from tokenizers import Tokenizer as HFCoreTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from anyorder.tokenizers.base import TokenizerError

MASK, PAD = "[MASK]", "[PAD]"
FILE = "tokenizer.json"


class BPETokenizer:
    """Byte-level BPE; ``mask_id`` = id of [MASK], ``pad_id`` = id of [PAD]."""

    kind = "bpe"

    def __init__(self, core: HFCoreTokenizer) -> None:
        self.core = core
        ids = {name: core.token_to_id(name) for name in (MASK, PAD)}
        missing = [name for name, i in ids.items() if i is None]
        if missing:
            raise TokenizerError(f"BPE tokenizer has no {missing} token(s)")
        self._mask, self._pad = ids[MASK], ids[PAD]

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, min_frequency: int = 2,
              extra_special: Sequence[str] = ()) -> "BPETokenizer":
        core = HFCoreTokenizer(models.BPE())
        core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        core.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[MASK, PAD, *extra_special],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        core.train_from_iterator(texts, trainer)
        return cls(core)

    @property
    def mask_id(self) -> int:
        return self._mask

    @property
    def pad_id(self) -> int:
        return self._pad

    @property
    def vocab_size(self) -> int:
        return self.core.get_vocab_size()

    @property
    def special_tokens(self) -> dict[str, int]:
        """{"mask", "pad"} plus any extra special token, keyed by its name without brackets, lower case."""
        extra = {t.content.strip("[]<>|").lower(): i for i, t in self.core.get_added_tokens_decoder().items()
                 if t.special and t.content not in (MASK, PAD)}
        return {**extra, "mask": self._mask, "pad": self._pad}

    def encode(self, text: str | Sequence[str]) -> list[int]:
        return self.core.encode(text if isinstance(text, str) else "".join(text)).ids

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        return self.core.decode(ids.tolist() if isinstance(ids, torch.Tensor) else list(ids), skip_special_tokens=False)

    def save(self, directory: Path) -> dict[str, Any]:
        self.core.save(str(Path(directory) / FILE))
        return {"kind": self.kind, "file": FILE, "mask_id": self._mask, "pad_id": self._pad}

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> "BPETokenizer":
        path = Path(directory) / config.get("file", FILE)
        if not path.is_file():
            raise TokenizerError(f"{path}: missing BPE tokenizer file")
        return cls(HFCoreTokenizer.from_file(str(path)))
