"""Pretrained diffusion LMs through Hugging Face ``transformers`` (model kind ``"hf"``; paper Sec. 4.4 / Table 4).

Three families, read from a local checkpoint directory (nothing is downloaded, no ``trust_remote_code``):

- ``llada``: LLaDA (Nie et al. 2025). Its published checkpoints use their own config (``model_type="llada"``,
  OLMo-style names ``d_model``, ``n_layers``, ``mlp_hidden_size``...) and weight names
  (``model.transformer.blocks.N.q_proj`` ...). The architecture is LLaMA with full (bidirectional) attention, so the
  config is mapped onto ``transformers.LlamaConfig`` (``llada_llama_config``) and the weights are renamed onto
  ``LlamaForCausalLM`` while loading (``LLADA_TO_LLAMA``; ``llada_to_llama`` / ``llama_to_llada`` for state dicts).
  [MASK] = 126336 unless the config says otherwise.
- ``dream``: Dream 7B (Qwen2 architecture, bidirectional). Position i's output predicts token i + 1 (it was
  adapted from an AR model), so the logits are shifted right by one: ``logits[:, i] = out[:, i - 1]``, position 0
  keeps its own. [MASK] = 151666 unless the config says otherwise.
- ``masked_lm``: any ``AutoModelForMaskedLM`` (BERT, RoBERTa, ModernBERT...), [MASK] from its tokenizer.

``HFDiffusionLM(tokens, attention_mask=None) -> logits`` (B, L) -> (B, L, V) float32: the anyorder model contract,
plus an optional (B, L) attention mask for padded batches (then LLaMA / Qwen2 positions count only real tokens, so
left padding does not shift them). ``transformers`` is a heavy optional dependency, imported inside functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from anyorder import options
from anyorder.errors import CheckpointError, ConfigError
from anyorder.io import read_json_file

FAMILIES = ("auto", "llada", "dream", "masked_lm")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
LLADA_MASK_ID = 126336
DREAM_MASK_ID = 151666

# LLaDA weight name (regex) -> transformers Llama name. ff_proj is the SwiGLU gate (activated), up_proj the linear
# branch, ff_out the down projection; the top-level ff_out is the output head (absent when weights are tied).
LLADA_TO_LLAMA: tuple[tuple[str, str], ...] = (
    (r"^model\.transformer\.wte\.weight$", "model.embed_tokens.weight"),
    (r"^model\.transformer\.ln_f\.weight$", "model.norm.weight"),
    (r"^model\.transformer\.ff_out\.weight$", "lm_head.weight"),
    (r"^model\.transformer\.blocks\.(\d+)\.q_proj\.", r"model.layers.\1.self_attn.q_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.k_proj\.", r"model.layers.\1.self_attn.k_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.v_proj\.", r"model.layers.\1.self_attn.v_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.attn_out\.", r"model.layers.\1.self_attn.o_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.ff_proj\.", r"model.layers.\1.mlp.gate_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.up_proj\.", r"model.layers.\1.mlp.up_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.ff_out\.", r"model.layers.\1.mlp.down_proj."),
    (r"^model\.transformer\.blocks\.(\d+)\.attn_norm\.", r"model.layers.\1.input_layernorm."),
    (r"^model\.transformer\.blocks\.(\d+)\.ff_norm\.", r"model.layers.\1.post_attention_layernorm."),
)
# LLaDA config options whose non-default values the LLaMA mapping cannot represent (name -> supported values)
_LLADA_SUPPORTED = {"block_type": ("llama", None), "activation_type": ("silu", "swiglu", None),
                    "layer_norm_type": ("rms", None), "rope": (True, None), "alibi": (False, None),
                    "attention_layer_norm": (False, None), "input_emb_norm": (False, None),
                    "scale_logits": (False, None), "clip_qkv": (None,), "multi_query_attention": (None, False)}


@dataclass(frozen=True)
class HFConfig:
    """How to build a Hugging Face diffusion LM (``MODEL_KINDS["hf"]``)."""

    path: str  # local directory with config.json, weights (*.safetensors) and tokenizer files
    family: str = "auto"  # auto (from config.json) | llada | dream | masked_lm
    dtype: str = "auto"  # auto (bfloat16 on a CUDA device that supports it, else float32) | float32 | bfloat16 | float16
    device_map: str | None = None  # transformers/accelerate device_map (e.g. "auto": spread over the GPUs); None = load on CPU
    mask_id: int | None = None  # override the family's [MASK] id
    attn_implementation: str = "sdpa"  # llada / dream attention kernel: sdpa | eager | flash_attention_2

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ConfigError(f"unknown hf family {self.family!r}; valid: {list(FAMILIES)}")
        if self.dtype != "auto" and self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}; valid: ['auto', {', '.join(map(repr, DTYPES))}]")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HFConfig":
        return options.from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return options.to_dict(self)


# ------------------------------------------------------------------------------------------------ config files


def read_hf_config(path: str | Path) -> dict[str, Any]:
    """config.json of a Hugging Face checkpoint directory (CheckpointError naming the file otherwise)."""
    file = Path(path) / "config.json"
    config = read_json_file(file, CheckpointError, "not a Hugging Face checkpoint directory?")
    if not isinstance(config, dict):
        raise CheckpointError(f"{file}: expected a JSON object")
    return config


def hf_checkpoint_config(path: str | Path) -> dict[str, Any] | None:
    """config.json of ``path`` when it is a Hugging Face model directory (a model config, not an anyorder
    checkpoint's), else None; read once so the caller can pass it on (``load_pretrained(raw_config=...)``)."""
    try:
        config = read_hf_config(path)
    except (CheckpointError, OSError):
        return None
    if "format" in config or not ("model_type" in config or "architectures" in config):
        return None
    return config


def is_hf_checkpoint(path: str | Path) -> bool:
    """True for a directory whose config.json is a Hugging Face model config (not an anyorder checkpoint)."""
    return hf_checkpoint_config(path) is not None


# config.json names of the layer count (LLaDA/OLMo n_layers, most transformers configs num_hidden_layers, GPT-2 n_layer)
LAYER_FIELDS = ("num_hidden_layers", "n_layers", "num_layers", "n_layer")


def config_layers(config: HFConfig, raw_config: dict[str, Any] | None = None) -> tuple[str, int] | None:
    """``ModelKind.layers`` hook: (config.json field, layer count) of ``config.path``'s config.json (``raw_config``
    when already read), or None when it names no integer layer count. Reads JSON only, builds nothing."""
    raw = read_hf_config(config.path) if raw_config is None else raw_config
    for name in LAYER_FIELDS:
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            continue
        try:
            return name, int(value)  # the int() the config mapping applies (ARCHITECTURES fields)
        except (ValueError, OverflowError):
            continue
    return None


def detect_family(config: dict[str, Any]) -> str:
    """``llada`` | ``dream`` | ``masked_lm`` from a config.json dict."""
    kind = str(config.get("model_type", "")).lower()
    archs = " ".join(config.get("architectures") or []).lower()
    for family in ARCHITECTURES:
        if kind == family or family in archs:
            return family
    return "masked_lm"


_REQUIRED = object()


@dataclass(frozen=True)
class Architecture:
    """How a diffusion LM family maps onto a transformers causal-LM class made bidirectional.

    ``fields``: (transformers config name, config.json names tried in order, default or ``_REQUIRED``, cast);
    None = config.json already uses the transformers names (minus ``drop``). ``fixed``: transformers config values
    set regardless. ``unsupported``: config.json options whose other values the mapping cannot represent (name ->
    accepted values). ``weight_names``: (regex, replacement) renames of the checkpoint's weights, or None.
    ``shift``: position i's output predicts token i + 1 (logits shifted right by one)."""

    family: str
    config_class: str  # transformers class names, imported when used
    model_class: str
    mask_id: int
    fields: tuple[tuple[str, tuple[str, ...], Any, type], ...] | None = None
    fixed: tuple[tuple[str, Any], ...] = ()
    drop: tuple[str, ...] = ()
    unsupported: tuple[tuple[str, tuple], ...] = ()
    weight_names: tuple[tuple[str, str], ...] | None = None
    shift: bool = False


ARCHITECTURES = {
    "llada": Architecture(
        "llada", "LlamaConfig", "LlamaForCausalLM", LLADA_MASK_ID,
        fields=(("vocab_size", ("embedding_size", "vocab_size"), _REQUIRED, int),
                ("hidden_size", ("d_model",), _REQUIRED, int),
                ("intermediate_size", ("mlp_hidden_size",), _REQUIRED, int),
                ("num_hidden_layers", ("n_layers",), _REQUIRED, int),
                ("num_attention_heads", ("n_heads",), _REQUIRED, int),
                ("num_key_value_heads", ("n_kv_heads", "n_heads"), _REQUIRED, int),
                ("max_position_embeddings", ("max_sequence_length",), 4096, int),
                ("rms_norm_eps", ("rms_norm_eps",), 1e-5, float),
                ("rope_theta", ("rope_theta",), 10000.0, float),
                ("tie_word_embeddings", ("weight_tying",), False, bool),
                ("pad_token_id", ("pad_token_id",), None, int),
                ("eos_token_id", ("eos_token_id",), None, lambda v: v),
                ("bos_token_id", ("bos_token_id",), None, int)),
        fixed=(("attention_bias", False), ("mlp_bias", False), ("hidden_act", "silu")),
        unsupported=tuple(_LLADA_SUPPORTED.items()) + (("include_bias", (False, None)),),
        weight_names=LLADA_TO_LLAMA),
    "dream": Architecture(
        "dream", "Qwen2Config", "Qwen2ForCausalLM", DREAM_MASK_ID,
        drop=("model_type", "architectures", "auto_map", "transformers_version", "mask_token_id"), shift=True),
}


def transformers_config(family: str, config: dict[str, Any], attn_implementation: str = "sdpa"):
    """The bidirectional transformers config (``ARCHITECTURES[family].config_class``) equivalent to a config.json
    dict of that family; options the mapping cannot represent and missing required fields raise ConfigError."""
    import transformers

    arch = ARCHITECTURES[family]
    bad = {k: config[k] for k, ok in arch.unsupported if k in config and config[k] not in ok}
    if bad:
        raise ConfigError(f"{family} config options not supported by the {arch.config_class} mapping: {bad}")
    if arch.fields is None:
        fields = {k: v for k, v in config.items() if k not in arch.drop}
    else:
        fields = {}
        for name, sources, default, cast in arch.fields:
            value = next((config[k] for k in sources if config.get(k) is not None), default)
            if value is _REQUIRED:
                raise ConfigError(f"{family} config.json lacks {sources[0]!r}")
            fields[name] = None if value is None else cast(value)
    cfg = getattr(transformers, arch.config_class)(**fields, **dict(arch.fixed))
    return _bidirectional_config(cfg, attn_implementation)


def llada_llama_config(config: dict[str, Any], attn_implementation: str = "sdpa"):
    """``transformers.LlamaConfig`` (bidirectional) equivalent to a LLaDA config.json dict."""
    return transformers_config("llada", config, attn_implementation)


def dream_qwen2_config(config: dict[str, Any], attn_implementation: str = "sdpa"):
    """``transformers.Qwen2Config`` (bidirectional) from a Dream config.json dict (Qwen2 field names)."""
    return transformers_config("dream", config, attn_implementation)


def _bidirectional_config(config, attn_implementation: str):
    config.is_causal = False  # transformers builds a bidirectional (padding-only) mask from this
    config.use_cache = False
    config._attn_implementation = attn_implementation
    return config


def rename_state(state: dict[str, torch.Tensor], rules: tuple[tuple[str, str], ...]) -> dict[str, torch.Tensor]:
    """Rename every key by the first matching (regex, replacement); a key matching none raises CheckpointError."""
    out = {}
    for key, value in state.items():
        for pattern, repl in rules:
            new, n = re.subn(pattern, repl, key)
            if n:
                out[new] = value
                break
        else:
            raise CheckpointError(f"weight {key!r} has no LLaDA <-> LLaMA name mapping")
    return out


def llada_to_llama(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A LLaDA state dict renamed onto ``LlamaForCausalLM``."""
    return rename_state(state, LLADA_TO_LLAMA)


def invert_rules(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The (regex, replacement) rules that undo ``rules``, for rules of the form used here: anchored at "^",
    literal names with escaped dots, ``(\\d+)`` groups written back as ``\\1``, "$" kept when a rule has one."""
    out = []
    for pattern, repl in rules:
        end = "$" if pattern.endswith("$") else ""
        source = "^" + re.escape(repl).replace(re.escape(r"\1"), r"(\d+)") + end
        target = pattern.removeprefix("^").removesuffix("$").replace(r"(\d+)", r"\1").replace("\\.", ".")
        out.append((source, target))
    return tuple(out)


LLAMA_TO_LLADA: tuple[tuple[str, str], ...] = invert_rules(LLADA_TO_LLAMA)  # the same table, read backwards


def llama_to_llada(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The inverse of ``llada_to_llama`` (e.g. to write a LLaDA-format checkpoint)."""
    return rename_state(state, LLAMA_TO_LLADA)


# ------------------------------------------------------------------------------------------------ the model


class HFDiffusionLM(nn.Module):
    """A transformers model as an anyorder model: ``(B, L) tokens [, (B, L) attention_mask] -> (B, L, V)``.

    Attributes: ``family``, ``mask_id``, ``eos_ids`` (tokens that end a generation: EOS / EOT), ``pad_id``,
    ``shift`` (Dream: logits shifted right by one position).
    """

    def __init__(self, net: nn.Module, family: str, mask_id: int, eos_ids: tuple[int, ...] = (),
                 pad_id: int | None = None) -> None:
        super().__init__()
        self.net, self.family, self.mask_id = net, family, int(mask_id)
        self.eos_ids, self.pad_id = tuple(int(i) for i in eos_ids), pad_id
        self.shift = family in ARCHITECTURES and ARCHITECTURES[family].shift
        if family in ARCHITECTURES:
            make_bidirectional(net)

    @property
    def vocab_size(self) -> int:
        return int(self.net.get_output_embeddings().weight.shape[0])

    @property
    def max_len(self) -> int:
        """Longest sequence the position embeddings were built for (config.json max positions)."""
        return int(getattr(self.net.config, "max_position_embeddings", None) or 512)

    @property
    def input_device(self) -> torch.device:
        return self.net.get_input_embeddings().weight.device

    takes_columns = True  # forward(..., columns=(lo, hi)): logits of those columns only (decode.logprobs)

    def forward(self, tokens: torch.Tensor, attention_mask: torch.Tensor | None = None,
                columns: tuple[int, int] | None = None) -> torch.Tensor:
        """(B, L) tokens -> (B, L, V) float32 logits; with ``columns=(lo, hi)`` only (B, hi - lo, V), the head
        applied to those positions only (transformers' ``logits_to_keep``; masked LMs compute all, then slice)."""
        kwargs: dict[str, Any] = {}
        tokens = tokens.to(self.input_device)
        if attention_mask is not None:
            attention_mask = attention_mask.to(device=tokens.device, dtype=torch.long)
            kwargs["attention_mask"] = attention_mask
            if self.family in ARCHITECTURES:  # positions of real tokens only (left padding does not shift them)
                kwargs["position_ids"] = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        lo, hi = (0, tokens.shape[1]) if columns is None else (int(columns[0]), int(columns[1]))
        if not 0 <= lo < hi <= tokens.shape[1]:
            raise ConfigError(f"columns {columns} outside a canvas of {tokens.shape[1]} positions")
        keep_lo = lo - 1 if self.shift and lo > 0 else lo  # Dream: column i reads the output at i - 1
        if columns is not None and self.family in ARCHITECTURES:
            kwargs["logits_to_keep"] = torch.arange(keep_lo, hi, device=tokens.device)
            logits = self.net(input_ids=tokens, **kwargs).logits
        else:
            logits = self.net(input_ids=tokens, **kwargs).logits[:, keep_lo:hi]
        return self._finish(logits, attention_mask, keep_lo, lo)

    def prefix_cached(self, prefix_length: int, attention_mask: torch.Tensor | None = None):
        """A callable ``tokens (B, L) -> logits (B, L, V)`` that reuses the keys/values of the first
        ``prefix_length`` positions (Fast-dLLM's approximate prefix cache, for one semi-AR block): its first call is
        a full forward whose prefix keys/values are kept; later calls run only positions >= prefix_length against
        them (the prefix's own logits are then zeros: fixed positions, unused by the unmask decoder). Stale by
        design: the prefix does not see the block's newly revealed tokens. LLaDA / Dream only."""
        if self.family not in ARCHITECTURES:
            raise ConfigError(f"prefix_cache needs a llada or dream model, not {self.family}")
        state: dict[str, Any] = {}

        def call(tokens: torch.Tensor, columns: tuple[int, int] | None = None) -> torch.Tensor:
            lo, hi = (0, tokens.shape[1]) if columns is None else columns
            tokens = tokens.to(self.input_device)
            mask = None if attention_mask is None else attention_mask.to(tokens.device, torch.long)
            positions = (torch.arange(tokens.shape[1], device=tokens.device)[None].expand(tokens.shape[0], -1)
                         if mask is None else (mask.cumsum(-1) - 1).clamp(min=0))
            if not state:
                out = self.net(input_ids=tokens, attention_mask=mask, position_ids=positions, use_cache=True)
                cache = getattr(out, "cache", None) or out.past_key_values
                cache.crop(prefix_length - tokens.shape[1])
                first = self._finish(out.logits, mask)
                state.update(cache=cache, head=first[:, prefix_length:prefix_length + 1])
                return first[:, lo:hi]
            rest = tokens[:, prefix_length:]
            kwargs: dict[str, Any] = {}
            shift = int(self.shift)
            windowed = columns is not None and lo >= prefix_length + shift  # the head on the window only
            if windowed:
                kwargs["logits_to_keep"] = torch.arange(lo - prefix_length - shift, hi - prefix_length - shift,
                                                        device=tokens.device)
            out = self.net(input_ids=rest, attention_mask=mask, position_ids=positions[:, prefix_length:],
                           cache=state["cache"], use_cache=True, **kwargs)
            state["cache"].crop(-rest.shape[1])
            logits = out.logits.float()
            if windowed:
                return logits
            if self.shift:  # the output just before the suffix comes from the (stale) first forward
                logits = torch.cat([state["head"], logits[:, :-1]], dim=1)
            if lo >= prefix_length:
                return logits[:, lo - prefix_length:hi - prefix_length]
            full = logits.new_zeros(tokens.shape[0], tokens.shape[1], logits.shape[2])
            full[:, prefix_length:] = logits
            return full[:, lo:hi]

        call.takes_columns = True
        return call

    def _finish(self, logits: torch.Tensor, attention_mask: torch.Tensor | None, keep_lo: int = 0,
                lo: int = 0) -> torch.Tensor:
        """float32 logits of columns lo: from the net's outputs at columns keep_lo: (Dream: shifted by one)."""
        if self.shift:  # position i gets the output of i - 1; a row's first real token keeps its own
            shifted = torch.cat([logits[:, :1], logits[:, :-1]], dim=1)
            if attention_mask is not None:
                real = attention_mask.bool()
                first = real & ~torch.cat([torch.zeros_like(real[:, :1]), real[:, :-1]], dim=1)
                first = first[:, keep_lo:keep_lo + logits.shape[1]]
                shifted = torch.where(first[..., None], logits, shifted)
            logits = shifted[:, lo - keep_lo:]
        return logits.float()


def make_bidirectional(net: nn.Module) -> None:
    """Turn off causal masking in a transformers decoder: the config flag (mask construction) and every attention
    module's ``is_causal`` (SDPA / flash kernels read it when no mask is materialised)."""
    net.config.is_causal = False
    for module in net.modules():
        if hasattr(module, "is_causal"):
            module.is_causal = False


def resolve_dtype(name: str, device_map: str | None) -> torch.dtype:
    if name != "auto":
        return DTYPES[name]
    if device_map is not None and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def build(config: HFConfig, raw_config: dict[str, Any] | None = None) -> HFDiffusionLM:
    """Load the model of ``config.path`` (local files only); ``raw_config``: its config.json when already read."""
    import transformers

    path = Path(config.path)
    raw = read_hf_config(path) if raw_config is None else raw_config
    family = detect_family(raw) if config.family == "auto" else config.family
    dtype = resolve_dtype(config.dtype, config.device_map)
    common: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
    if config.device_map is not None:
        common["device_map"] = config.device_map
    _quiet_transformers()
    try:
        if family in ARCHITECTURES:
            arch = ARCHITECTURES[family]
            if arch.weight_names is not None:
                common["key_mapping"] = dict(arch.weight_names)
            net = getattr(transformers, arch.model_class).from_pretrained(
                str(path), config=transformers_config(family, raw, config.attn_implementation), **common)
            mask_id, eos = raw.get("mask_token_id", arch.mask_id), [raw.get("eos_token_id")]
        else:
            net = transformers.AutoModelForMaskedLM.from_pretrained(str(path), **common)
            mask_id, eos = None, []
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        if isinstance(e, ConfigError):
            raise
        raise CheckpointError(f"{path}: cannot load {family} weights ({e})") from e
    if config.mask_id is not None:
        mask_id = config.mask_id
    if mask_id is None:
        mask_id = _tokenizer_mask_id(path)
    eos_ids = tuple(int(i) for item in eos if item is not None for i in (item if isinstance(item, list) else [item]))
    return HFDiffusionLM(net, family, int(mask_id), eos_ids, raw.get("pad_token_id")).eval()


def _quiet_transformers() -> None:
    """No weight-loading progress bars or "model of type llada used for llama" warnings (expected here)."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def _tokenizer_mask_id(path: Path) -> int:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tok.mask_token_id is None:
        raise CheckpointError(f"{path}: masked LM tokenizer defines no mask token; pass mask_id")
    return int(tok.mask_token_id)


def load_tokenizer(path: str | Path, model: HFDiffusionLM):
    """The checkpoint's tokenizer as an anyorder ``HFTokenizer`` with [MASK] = the model's mask id (LLaDA's
    tokenizer does not declare its mask token; it is set here from the id), plus EOT tokens added to
    ``model.eos_ids`` (LLaDA Instruct ends turns with ``<|eot_id|>``)."""
    from transformers import AutoTokenizer

    from anyorder.tokenizers.hf import HFTokenizer

    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tok.mask_token_id != model.mask_id:
        token = tok.convert_ids_to_tokens(model.mask_id)
        if token is None:
            raise CheckpointError(f"{path}: tokenizer has no token with the mask id {model.mask_id}")
        tok.mask_token = token
    extra = [tok.convert_tokens_to_ids(t) for t in ("<|eot_id|>", "<|im_end|>") if t in tok.get_vocab()]
    eos = [tok.eos_token_id] if tok.eos_token_id is not None and model.family != "masked_lm" else []
    model.eos_ids = tuple(dict.fromkeys([*model.eos_ids, *eos, *extra]))
    return HFTokenizer(tok)


def load_pretrained(path: str | Path, raw_config: dict[str, Any] | None = None,
                    **overrides: Any) -> tuple[HFDiffusionLM, Any, HFConfig]:
    """(model in eval mode, HFTokenizer, HFConfig) for a local Hugging Face checkpoint directory; ``overrides``
    are HFConfig fields (family, dtype, device_map, mask_id, attn_implementation); ``raw_config``: its
    config.json when the caller already read it (``hf_checkpoint_config``)."""
    config = options.from_dict(HFConfig, {"path": str(path), **overrides}, "hf options")
    model = build(config, raw_config)
    return model, load_tokenizer(path, model), config
