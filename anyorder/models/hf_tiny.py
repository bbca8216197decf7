"""Tiny random-weight checkpoints in the real LLaDA / Dream / masked-LM formats, built locally (no download).

For tests, benchmarks and dry runs of the Table 4 pipeline: the config.json, weight names and special-token ids
are those of the published checkpoints (LLaDA: ``model_type="llada"``, OLMo-style weight names, [MASK] 126336,
EOS 126081, EOT 126348, vocabulary 126464; Dream: ``model_type="Dream"``, Qwen2 weight names, [MASK] 151666,
EOS 151643, vocabulary 152064), only the widths are tiny. The tokenizer is a byte-level BPE trained on ``corpus``
(so any text round-trips exactly) with the special tokens placed at the real ids.

    make_tiny("llada", "/tmp/tiny-llada")      # then anyorder.load("/tmp/tiny-llada")
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import torch

from anyorder.errors import ConfigError
from anyorder.models.hf import llama_to_llada

DEFAULT_CORPUS = (
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n    if i % 2 == 0:\n        print(i)\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "The quick brown fox jumps over the lazy dog. 0123456789\n",
)

LLADA_VOCAB, DREAM_VOCAB = 126464, 152064
LLADA = {"mask": ("<|mdm_mask|>", 126336), "eos": ("<|endoftext|>", 126081),
         "eot": ("<|eot_id|>", 126348), "bos": ("<|startoftext|>", 126080)}
DREAM = {"mask": ("<|mask|>", 151666), "eos": ("<|endoftext|>", 151643),
         "eot": ("<|im_end|>", 151645)}


def tiny_tokenizer(specials: dict[str, tuple[str, int]], corpus: Sequence[str] = DEFAULT_CORPUS,
                   bpe_size: int = 400, declare: Sequence[str] = ("eos", "pad", "mask", "bos")):
    """A ``PreTrainedTokenizerFast``: byte-level BPE (ids 0..bpe_size-1) + ``specials`` {role: (text, id)} at
    the given ids. Roles listed in ``declare`` are declared to transformers (``mask_token``...); ``pad`` = eos."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=bpe_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(corpus), trainer)
    data = json.loads(tok.to_str())
    data["model"]["vocab"].update({text: i for text, i in specials.values()})  # ids kept only if in the model vocab
    data["added_tokens"] = [{"id": i, "content": text, "single_word": False, "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True} for text, i in specials.values()]
    fast = Tokenizer.from_str(json.dumps(data))
    roles = {role: specials[role][0] for role in declare if role in specials}
    if "pad" in declare and "eos" in specials:
        roles["pad"] = specials["eos"][0]
    return PreTrainedTokenizerFast(tokenizer_object=fast, **{f"{role}_token": text for role, text in roles.items()})


def make_tiny(family: str, directory: str | Path, d_model: int = 32, n_layers: int = 2, n_heads: int = 4,
              corpus: Sequence[str] = DEFAULT_CORPUS, seed: int = 0, max_len: int = 4096, bpe_size: int = 400) -> Path:
    """Write a tiny random checkpoint of ``family`` (llada | dream | masked_lm) into ``directory``."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    if family == "llada":
        from transformers import LlamaConfig, LlamaForCausalLM

        net = LlamaForCausalLM(LlamaConfig(vocab_size=LLADA_VOCAB, hidden_size=d_model, intermediate_size=2 * d_model,
                                           num_hidden_layers=n_layers, num_attention_heads=n_heads,
                                           num_key_value_heads=n_heads, max_position_embeddings=max_len,
                                           rope_theta=500000.0, tie_word_embeddings=False))
        state = llama_to_llada({k: v.contiguous() for k, v in net.state_dict().items()})
        save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
        config = {"architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": d_model, "n_heads": n_heads,
                  "n_kv_heads": n_heads, "n_layers": n_layers, "mlp_hidden_size": 2 * d_model,
                  "mlp_ratio": 2, "vocab_size": LLADA_VOCAB, "embedding_size": LLADA_VOCAB,
                  "max_sequence_length": max_len, "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "rope": True,
                  "block_type": "llama", "activation_type": "silu", "layer_norm_type": "rms", "include_bias": False,
                  "weight_tying": False, "mask_token_id": LLADA["mask"][1], "eos_token_id": LLADA["eos"][1],
                  "pad_token_id": LLADA["eos"][1], "use_cache": False}
        # LLaDA's tokenizer does not declare its mask token (anyorder sets it from mask_token_id)
        tok = tiny_tokenizer(LLADA, corpus, bpe_size, declare=("eos", "pad", "bos"))
    elif family == "dream":
        from transformers import Qwen2Config, Qwen2ForCausalLM

        qcfg = Qwen2Config(vocab_size=DREAM_VOCAB, hidden_size=d_model, intermediate_size=2 * d_model,
                           num_hidden_layers=n_layers, num_attention_heads=n_heads, num_key_value_heads=n_heads // 2,
                           max_position_embeddings=max_len, tie_word_embeddings=False,
                           bos_token_id=DREAM["eos"][1], eos_token_id=DREAM["eos"][1], pad_token_id=DREAM["eos"][1])
        net = Qwen2ForCausalLM(qcfg)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(directory / "model.safetensors"),
                  metadata={"format": "pt"})
        config = {**json.loads(qcfg.to_json_string()), "architectures": ["DreamModel"], "model_type": "Dream",
                  "mask_token_id": DREAM["mask"][1]}
        tok = tiny_tokenizer(DREAM, corpus, bpe_size, declare=("eos", "pad", "mask"))
    elif family == "masked_lm":
        from transformers import BertConfig, BertForMaskedLM

        n = bpe_size
        specials = {"pad": ("[PAD]", n), "mask": ("[MASK]", n + 1), "cls": ("[CLS]", n + 2), "sep": ("[SEP]", n + 3)}
        tok = tiny_tokenizer(specials, corpus, bpe_size=n, declare=("pad", "mask", "cls", "sep"))
        bcfg = BertConfig(vocab_size=n + 4, hidden_size=d_model, num_hidden_layers=n_layers, num_attention_heads=n_heads,
                          intermediate_size=2 * d_model, max_position_embeddings=max_len, pad_token_id=n)
        BertForMaskedLM(bcfg).save_pretrained(str(directory))
        config = json.loads((directory / "config.json").read_text())
    else:
        raise ConfigError(f"unknown tiny family {family!r}; valid: ['llada', 'dream', 'masked_lm']")
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    tok.save_pretrained(str(directory))
    return directory
