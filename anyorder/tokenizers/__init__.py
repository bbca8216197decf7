"""Tokenizers: one contract (``base.Tokenizer``), three kinds (``registry.TOKENIZERS``): ``symbols`` (fixed symbol
tables of the puzzle / synthetic tasks), ``bpe`` (trained with HF ``tokenizers``), ``hf`` (a ``transformers``
tokenizer). Checkpoints store ``tokenizer.save(dir)``'s config; ``load_tokenizer`` restores any kind."""
from anyorder.tokenizers.base import Tokenizer, TokenizerError
from anyorder.tokenizers.registry import TOKENIZERS, load_tokenizer
from anyorder.tokenizers.symbols import SymbolTable

__all__ = ["Tokenizer", "TokenizerError", "SymbolTable", "TOKENIZERS", "load_tokenizer"]
