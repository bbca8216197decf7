"""One Transformer for every experiment: bidirectional (MDM) or causal (ARM / pi-learner).

The model is a function of tokens only: ``Transformer(cfg)(tokens)`` maps (B, L) int64 token ids to
(B, L, V) float logits. There is no time embedding (the paper's denoiser is time-free, Sec. 2.3: t is implicit
in the number of [MASK] tokens), no loss and no sampler inside.

Architecture: token embedding (+ learned absolute positions | RoPE | nothing) (+ one learned embedding per
extra position table, e.g. Sudoku row/col/box ids), ``n_layers`` pre-norm blocks
``x + Attn(Norm(x))``, ``x + MLP(Norm(x))``, a final norm and a linear LM head.
Attention uses ``torch.nn.functional.scaled_dot_product_attention`` (``is_causal`` for causal models).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from anyorder.errors import ConfigError, InputError

MLPS = ("gelu", "swiglu")
NORMS = ("layernorm", "rmsnorm")
POSITIONS = ("learned", "rope", "none")
INITS = ("gpt2", "fanin")


@dataclass(frozen=True)
class ModelConfig:
    """Transformer hyper-parameters (docs/DESIGN.md). Derived value: ``d_mlp`` None -> 4 * d_model."""

    vocab_size: int  # number of token ids, [MASK] included (== tokenizer.vocab_size)
    max_len: int  # longest sequence the model accepts (size of the learned position table)
    n_layers: int = 4  # number of Transformer blocks
    d_model: int = 128  # residual-stream width
    n_heads: int = 4  # attention heads; d_model % n_heads == 0
    d_mlp: int | None = None  # MLP hidden width; None -> 4 * d_model
    mlp: str = "gelu"  # "gelu" (2 matrices) | "swiglu" (3 matrices, SiLU gate)
    norm: str = "layernorm"  # "layernorm" | "rmsnorm"
    causal: bool = False  # False: bidirectional MDM; True: ARM / pi-learner
    positions: str = "learned"  # "learned" absolute table | "rope" rotary | "none"
    position_tables: tuple[tuple[int, ...], ...] = ()  # extra per-position ids (row, col, box...), each len max_len
    # factored token embeddings (both optional, each tuple of length vocab_size, -1 = nothing added):
    # token_tables[k][v] = a row of position table k that token v's embedding also gets (Zebra: the operand
    # "cA=V" gets attribute A's row, so clue and answer slot share it); token_aliases[v] = another token whose
    # embedding token v also gets (Zebra: "cA=V" gets "vV"). Inputs stay token ids; the model stays tokens -> logits.
    token_tables: tuple[tuple[int, ...], ...] = ()
    token_aliases: tuple[int, ...] = ()
    # pool_groups[i] = group id of position i (-1: none), length max_len: each grouped position's input also gets the
    # mean token embedding of its group (Zebra: the 4 tokens of a clue), a fixed mixing step before the blocks
    pool_groups: tuple[int, ...] = ()
    dropout: float = 0.0  # dropout on embeddings, attention probabilities and residual branches
    bias: bool = True  # biases in linear layers and LayerNorm
    tie_embeddings: bool = False  # LM head shares the token-embedding matrix
    # weight init of linear layers: "gpt2" N(0, 0.02^2), residual projections / sqrt(2 n_layers) (too small for
    # narrow models on L&O: they sit on the trivial loss, docs/LOG.md 2026-11-29) | "fanin" N(0, 1 / fan_in)
    init: str = "gpt2"

    def override_changes(self, name: str, value) -> dict:
        """``options.apply_overrides`` hook: changing only d_model keeps the derived d_mlp = 4 * d_model."""
        if name == "d_model" and self.d_mlp == 4 * self.d_model:
            return {name: value, "d_mlp": None}
        return {name: value}

    def __post_init__(self) -> None:
        for name in ("position_tables", "token_tables"):
            object.__setattr__(self, name, tuple(tuple(int(v) for v in t) for t in getattr(self, name)))
        object.__setattr__(self, "token_aliases", tuple(int(v) for v in self.token_aliases))
        object.__setattr__(self, "pool_groups", tuple(int(v) for v in self.pool_groups))
        if self.d_mlp is None:
            object.__setattr__(self, "d_mlp", 4 * self.d_model)
        self._validate()

    def _validate(self) -> None:
        for name in ("vocab_size", "max_len", "n_layers", "d_model", "n_heads", "d_mlp"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"ModelConfig.{name} must be a positive integer, got {value!r}")
        if self.d_model % self.n_heads:
            raise ConfigError(f"ModelConfig.d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        for name, valid in (("mlp", MLPS), ("norm", NORMS), ("positions", POSITIONS), ("init", INITS)):
            if getattr(self, name) not in valid:
                raise ConfigError(f"unknown ModelConfig.{name}={getattr(self, name)!r}; valid: {list(valid)}")
        if self.positions == "rope" and (self.d_model // self.n_heads) % 2:
            raise ConfigError(f"rope needs an even head dim, got d_model/n_heads={self.d_model // self.n_heads}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout}")
        for k, table in enumerate(self.position_tables):
            if len(table) != self.max_len:
                raise ConfigError(f"position_tables[{k}] has length {len(table)}, expected max_len={self.max_len}")
            if min(table) < 0:
                raise ConfigError(f"position_tables[{k}] has negative ids")
        self._validate_token_factors()
        if self.pool_groups and (len(self.pool_groups) != self.max_len or min(self.pool_groups) < -1):
            raise ConfigError(f"pool_groups needs max_len={self.max_len} group ids >= -1, got {len(self.pool_groups)} "
                              f"ids in [{min(self.pool_groups)}, {max(self.pool_groups)}]")

    def _validate_token_factors(self) -> None:
        if len(self.token_tables) > len(self.position_tables):
            raise ConfigError(f"{len(self.token_tables)} token_tables for {len(self.position_tables)} position_tables")
        for k, table in enumerate(self.token_tables):
            rows = max(self.position_tables[k]) + 1
            if len(table) != self.vocab_size or not all(-1 <= v < rows for v in table):
                raise ConfigError(f"token_tables[{k}] needs vocab_size={self.vocab_size} ids in [-1, {rows}), got "
                                  f"{len(table)} ids in [{min(table, default=0)}, {max(table, default=0)}]")
        a = self.token_aliases
        if a and (len(a) != self.vocab_size or not all(-1 <= v < self.vocab_size for v in a)):
            raise ConfigError(f"token_aliases needs vocab_size={self.vocab_size} ids in [-1, {self.vocab_size})")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (tuples become lists)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["position_tables"] = [list(t) for t in self.position_tables]
        d["token_tables"] = [list(t) for t in self.token_tables]
        d["token_aliases"] = list(self.token_aliases)
        d["pool_groups"] = list(self.pool_groups)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        """Inverse of ``to_dict``; unknown keys raise ConfigError listing the valid ones."""
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(valid))
        if unknown:
            raise ConfigError(f"unknown ModelConfig fields {unknown}; valid: {valid}")
        d = dict(d)
        d["position_tables"] = tuple(tuple(t) for t in d.get("position_tables", ()))
        d["token_tables"] = tuple(tuple(t) for t in d.get("token_tables", ()))
        d["token_aliases"] = tuple(d.get("token_aliases", ()))
        d["pool_groups"] = tuple(d.get("pool_groups", ()))
        return cls(**d)


def transformer_layers(cfg: ModelConfig, raw_config: dict | None = None) -> tuple[str, int]:
    """``ModelKind.layers`` hook: ("n_layers", cfg.n_layers); each block holds several tensors."""
    return "n_layers", cfg.n_layers


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * weight."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def make_norm(cfg: ModelConfig) -> nn.Module:
    if cfg.norm == "rmsnorm":
        return RMSNorm(cfg.d_model)
    return nn.LayerNorm(cfg.d_model, bias=cfg.bias)


def rope_tables(length: int, head_dim: int, device: torch.device | None = None,
                base: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables (length, head_dim) float32 for rotary embeddings (rotate-half convention)."""
    inv_freq = 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device) / head_dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float32, device=device), inv_freq)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (B, H, L, Dh) by position; cos/sin are (L, Dh)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x * cos + rotated * sin).to(x.dtype)


class Attention(nn.Module):
    """Multi-head self-attention through ``F.scaled_dot_product_attention``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_heads, self.causal, self.dropout = cfg.n_heads, cfg.causal, cfg.dropout
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, L, d_model) normalised input -> q, k, v, each (B, n_heads, L, head_dim), before RoPE."""
        b, length, d = x.shape
        return self.qkv(x).view(b, length, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4).unbind(0)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        b, length, d = x.shape
        q, k, v = self.heads(x)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=self.causal)
        return self.proj(y.transpose(1, 2).reshape(b, length, d))


class MLP(nn.Module):
    """GELU: W2 gelu(W1 x). SwiGLU: W2 (silu(W1 x) * W3 x)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.swiglu = cfg.mlp == "swiglu"
        self.up = nn.Linear(cfg.d_model, cfg.d_mlp, bias=cfg.bias)
        self.gate = nn.Linear(cfg.d_model, cfg.d_mlp, bias=cfg.bias) if self.swiglu else None
        self.down = nn.Linear(cfg.d_mlp, cfg.d_model, bias=cfg.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.swiglu:
            return self.down(F.silu(self.gate(x)) * self.up(x))
        return self.down(F.gelu(self.up(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-norm residual block: x + drop(Attn(norm(x))), then x + drop(MLP(norm(x)))."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.norm1, self.attn = make_norm(cfg), Attention(cfg)
        self.norm2, self.mlp = make_norm(cfg), MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), rope))
        return x + self.drop(self.mlp(self.norm2(x)))


class Transformer(nn.Module):
    """tokens (B, L) int64 -> logits (B, L, vocab_size) float; L <= cfg.max_len. See module docstring."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.max_len, cfg.d_model) if cfg.positions == "learned" else None
        self.table_embs = nn.ModuleList(nn.Embedding(max(t) + 1, cfg.d_model) for t in cfg.position_tables)
        for k, table in enumerate(cfg.position_tables):
            self.register_buffer(f"table_ids_{k}", torch.tensor(table, dtype=torch.long), persistent=False)
        for k, table in enumerate(cfg.token_tables):
            self.register_buffer(f"token_table_{k}", torch.tensor(table, dtype=torch.long), persistent=False)
        if cfg.token_aliases:
            self.register_buffer("token_alias", torch.tensor(cfg.token_aliases, dtype=torch.long), persistent=False)
        if cfg.pool_groups:
            self.register_buffer("pool_matrix", pool_matrix(cfg.pool_groups), persistent=False)
        # the (embedding, id-buffer name) pairs _embed_tokens adds, built once; buffers are looked up by name in
        # forward so .to(device) keeps working. A plain tuple attribute: no new state_dict keys.
        self._token_factors: tuple[tuple[nn.Embedding, str], ...] = (
            ((self.tok_emb, "token_alias"),) if cfg.token_aliases else ()) + tuple(
            (self.table_embs[k], f"token_table_{k}") for k in range(len(cfg.token_tables)))
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = make_norm(cfg)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.head.weight = self.tok_emb.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by 1/sqrt(2 n_layers)
            if cfg.init == "fanin" and p.ndim == 2 and "emb" not in name:
                nn.init.normal_(p, mean=0.0, std=p.shape[1] ** -0.5)
            elif name.endswith(("attn.proj.weight", "mlp.down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def _check(self, tokens: torch.Tensor) -> None:
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.ndim != 2:
            got = f"{tokens.dtype} tensor of shape {tuple(tokens.shape)}" if isinstance(tokens, torch.Tensor) else type(tokens)
            raise InputError(f"Transformer expects int64 tokens of shape (B, L), got {got}")
        if tokens.shape[1] > self.cfg.max_len:
            raise InputError(f"sequence length {tokens.shape[1]} exceeds max_len={self.cfg.max_len}")
        if tokens.numel() and not torch.compiler.is_compiling():
            lo, hi = torch.stack([tokens.min(), tokens.max()]).tolist()  # one host sync
            if lo < 0 or hi >= self.cfg.vocab_size:
                raise InputError(f"token ids must lie in [0, {self.cfg.vocab_size}), got range [{lo}, {hi}]")

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, L) int64 in [0, vocab_size) -> logits (B, L, vocab_size) float."""
        self._check(tokens)
        length = tokens.shape[1]
        x = self._embed_tokens(tokens)
        if self.cfg.pool_groups:
            x = x + self.pool_matrix[:length, :length].to(x.dtype) @ x
        if self.pos_emb is not None:
            x = x + self.pos_emb.weight[:length]
        for k, emb in enumerate(self.table_embs):
            x = x + emb(getattr(self, f"table_ids_{k}")[:length])
        rope = None
        if self.cfg.positions == "rope":
            cos, sin = rope_tables(length, self.cfg.d_model // self.cfg.n_heads, x.device)
            rope = (cos.to(x.dtype), sin.to(x.dtype))
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, rope)
        return self.head(self.norm(x))


    def _embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L, d_model): token embedding plus its factors (ModelConfig.token_tables/aliases)."""
        x = self.tok_emb(tokens)
        for emb, table in self._token_factors:
            ids = getattr(self, table)[tokens]
            x = x + emb(ids.clamp(min=0)) * (ids >= 0).unsqueeze(-1).to(x.dtype)
        return x


def pool_matrix(groups: tuple[int, ...]) -> torch.Tensor:
    """(L, L) float: row i averages the positions of i's group (ModelConfig.pool_groups); zero for group -1."""
    g = torch.tensor(groups, dtype=torch.long)
    same = (g[:, None] == g[None, :]) & (g[:, None] >= 0)
    return same.float() / same.sum(1, keepdim=True).clamp(min=1)


def _embedding_names(model: Transformer) -> set[str]:
    """Parameter names counted as embeddings: token/position/table embeddings and the LM head."""
    names = {n for n, _ in model.named_parameters() if n.startswith(("tok_emb.", "pos_emb.", "table_embs."))}
    return names | {"head.weight"}


def count_parameters(model_or_cfg: Transformer | ModelConfig, non_embedding: bool = False) -> int:
    """Number of (unique) parameters of a model or a config (built on the meta device, no memory).

    ``non_embedding=True`` excludes the token, position and position-table embeddings and the LM head
    (Kaplan et al. 2020 accounting, used by ``objectives.flops``).
    """
    if isinstance(model_or_cfg, ModelConfig):
        with torch.device("meta"):
            model_or_cfg = Transformer(model_or_cfg)
    skip = _embedding_names(model_or_cfg) if non_embedding else set()
    return sum(p.numel() for n, p in model_or_cfg.named_parameters() if n not in skip)


PAPER_CONFIGS: dict[str, ModelConfig] = {
    # Ye et al. `model_config_tiny` (paper Sec. 4.6 "6M GPT-2", bidirectional): GPT-2 blocks, tied embeddings.
    "gpt2-tiny-6m": ModelConfig(
        vocab_size=31, max_len=164, n_layers=3, d_model=384, n_heads=12, mlp="gelu", norm="layernorm",
        positions="learned", bias=True, causal=False, tie_embeddings=True, dropout=0.1,
    ),
    # SMDM 19M (Nie et al. 2025, paper Sec. 4.1 scaling): Llama-style blocks; 32000 tokens + [MASK], 2048 ctx.
    "smdm-19m": ModelConfig(
        vocab_size=32001, max_len=2048, n_layers=8, d_model=384, n_heads=6, d_mlp=1536, mlp="swiglu",
        norm="rmsnorm", positions="rope", bias=False, causal=False,
    ),
    # Shah et al. 2024 Sudoku ARM (paper Table 2, "42M"): minGPT, 81 (row, col, value) triples.
    "shah-arm-42m": ModelConfig(
        vocab_size=11, max_len=243, n_layers=8, d_model=576, n_heads=8, d_mlp=3456, mlp="gelu",
        norm="layernorm", positions="learned", bias=True, causal=True, dropout=0.2,
    ),
}


def paper_config(name: str, **overrides: Any) -> ModelConfig:
    """A ``PAPER_CONFIGS`` entry with fields replaced by ``overrides`` (unknown names raise ConfigError)."""
    if name not in PAPER_CONFIGS:
        raise ConfigError(f"unknown paper config {name!r}; valid: {sorted(PAPER_CONFIGS)}")
    d = PAPER_CONFIGS[name].to_dict()
    unknown = sorted(set(overrides) - set(d))
    if unknown:
        raise ConfigError(f"unknown ModelConfig fields {unknown}; valid: {sorted(d)}")
    if "d_model" in overrides and "d_mlp" not in overrides and d["d_mlp"] == 4 * d["d_model"]:
        d["d_mlp"] = None  # keep the 4x default when only the width changes
    d.update(overrides)
    return ModelConfig.from_dict(d)
