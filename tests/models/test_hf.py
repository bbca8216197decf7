"""The ``hf`` model kind against direct transformers forwards (tiny random checkpoints built locally)."""
import json

import pytest
import torch

pytest.importorskip("transformers")

import anyorder  # noqa: E402
from anyorder.errors import CheckpointError, ConfigError  # noqa: E402
from anyorder.models.hf import HFConfig, llada_to_llama, llama_to_llada, load_pretrained, read_hf_config  # noqa: E402
from anyorder.models.hf_tiny import make_tiny  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    return {fam: make_tiny(fam, root / fam) for fam in ("llada", "dream", "masked_lm")}


def _bidirectional_reference(net, tokens):
    """A direct transformers forward with an explicit all-visible 4D additive mask (eager attention)."""
    net.config._attn_implementation = "eager"
    full = torch.zeros(tokens.shape[0], 1, tokens.shape[1], tokens.shape[1])
    with torch.no_grad():
        return net(input_ids=tokens, attention_mask=full).logits


def _tokens(vocab, shape=(2, 12), seed=0):
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))


def test_llada_wrapper_equals_direct_bidirectional_llama(tiny):
    from safetensors.torch import load_file
    from transformers import LlamaForCausalLM

    from anyorder.models.hf import llada_llama_config

    model, tok, _ = load_pretrained(tiny["llada"])
    assert (model.family, model.mask_id, tok.mask_id) == ("llada", 126336, 126336)
    assert 126081 in model.eos_ids and 126348 in model.eos_ids  # EOS and EOT
    cfg = llada_llama_config(read_hf_config(tiny["llada"]))
    cfg.is_causal = True  # a plain (causal by default) Llama; bidirectionality comes from the explicit mask only
    ref = LlamaForCausalLM(cfg).eval()
    ref.load_state_dict(llada_to_llama(load_file(str(tiny["llada"] / "model.safetensors"))))
    x = _tokens(1000)
    with torch.no_grad():
        ours = model(x)
        causal = ref(input_ids=x).logits
    expected = _bidirectional_reference(ref, x)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(ours[:, :-1], causal[:, :-1], atol=1e-4)  # the causal forward differs


def test_dream_wrapper_is_bidirectional_qwen2_shifted_by_one(tiny):
    from transformers import Qwen2ForCausalLM

    from anyorder.models.hf import dream_qwen2_config

    model, tok, _ = load_pretrained(tiny["dream"])
    assert (model.family, model.mask_id, tok.mask_id, model.shift) == ("dream", 151666, 151666, True)
    cfg = dream_qwen2_config(read_hf_config(tiny["dream"]))
    cfg.is_causal = True
    ref = Qwen2ForCausalLM.from_pretrained(str(tiny["dream"]), config=cfg).eval()
    x = _tokens(1000)
    with torch.no_grad():
        ours = model(x)
    expected = _bidirectional_reference(ref, x)
    torch.testing.assert_close(ours[:, 1:], expected[:, :-1], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours[:, 0], expected[:, 0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("family", ["llada", "dream"])
def test_attention_is_bidirectional(tiny, family):
    model, _, _ = load_pretrained(tiny[family])
    x = _tokens(1000, (1, 10))
    y = x.clone()
    y[0, -1] = (y[0, -1] + 1) % 1000
    with torch.no_grad():
        a, b = model(x), model(y)
    first = 1 if family == "dream" else 0  # Dream's position 0 output is its own (unshifted) logit
    assert not torch.allclose(a[0, first], b[0, first])  # an early position sees the last token


@pytest.mark.parametrize("family", ["llada", "dream", "masked_lm"])
def test_left_and_right_padding_with_attention_mask_match_unpadded(tiny, family):
    model, tok, _ = load_pretrained(tiny[family])
    pad = tok.pad_id
    x = _tokens(300, (1, 7), seed=1)
    with torch.no_grad():
        alone = model(x)[0]
        left = torch.cat([torch.full((1, 3), pad), x], dim=1)
        left_logits = model(left, attention_mask=(torch.arange(10) >= 3)[None])[0, 3:]
        right = torch.cat([x, torch.full((1, 3), pad)], dim=1)
        right_logits = model(right, attention_mask=(torch.arange(10) < 7)[None])[0, :7]
    if family != "masked_lm":  # BERT's absolute positions shift under left padding (use right padding there)
        torch.testing.assert_close(left_logits, alone, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(right_logits, alone, atol=1e-4, rtol=1e-4)


def test_llada_weight_names_round_trip_and_cover_the_published_layout(tiny):
    from safetensors.torch import load_file

    state = load_file(str(tiny["llada"] / "model.safetensors"))
    expected = {"model.transformer.wte.weight", "model.transformer.ln_f.weight", "model.transformer.ff_out.weight"}
    expected |= {f"model.transformer.blocks.{i}.{n}.weight" for i in range(2) for n in
                 ("q_proj", "k_proj", "v_proj", "attn_out", "ff_proj", "up_proj", "ff_out", "attn_norm", "ff_norm")}
    assert set(state) == expected
    llama = llada_to_llama(state)
    assert "model.layers.1.mlp.gate_proj.weight" in llama and "lm_head.weight" in llama
    assert llama["model.layers.0.mlp.down_proj.weight"] is state["model.transformer.blocks.0.ff_out.weight"]
    back = llama_to_llada(llama)
    assert set(back) == set(state) and all(back[k] is state[k] for k in state)
    with pytest.raises(CheckpointError, match="no LLaDA"):
        llada_to_llama({"model.transformer.blocks.0.mystery.weight": torch.zeros(1)})


def test_unsupported_llada_options_and_bad_config_values_raise(tiny, tmp_path):
    from anyorder.models.hf import llada_llama_config

    raw = read_hf_config(tiny["llada"])
    with pytest.raises(ConfigError, match="alibi"):
        llada_llama_config({**raw, "alibi": True})
    with pytest.raises(ConfigError, match="d_model"):
        llada_llama_config({k: v for k, v in raw.items() if k != "d_model"})
    with pytest.raises(ConfigError, match="family"):
        HFConfig(path="x", family="gpt")
    with pytest.raises(ConfigError, match="dtype"):
        HFConfig(path="x", dtype="float8")


def test_anyorder_load_reads_a_hf_directory_with_options(tiny):
    loaded = anyorder.load(tiny["llada"], dtype="bfloat16")
    assert loaded.config["model_kind"] == "hf" and loaded.config["model"]["dtype"] == "bfloat16"
    assert loaded.model.net.model.embed_tokens.weight.dtype == torch.bfloat16
    assert loaded.tokenizer.kind == "hf" and loaded.tokenizer.mask_id == 126336
    text = "def f(x):\n    return x\n"
    assert loaded.tokenizer.decode(loaded.tokenizer.encode(text)) == text
    assert loaded.model(torch.tensor([loaded.tokenizer.encode(text)])).dtype == torch.float32
    masked = anyorder.load(tiny["masked_lm"])
    assert masked.model.family == "masked_lm" and masked.model.mask_id == masked.tokenizer.mask_id == 401


def test_hf_kind_is_registered_and_config_round_trips(tiny):
    from anyorder.models.registry import MODEL_KINDS, build_model

    cfg = HFConfig(path=str(tiny["dream"]), dtype="float32")
    assert HFConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    model = build_model("hf", cfg)
    assert MODEL_KINDS["hf"].config_class is HFConfig and model.mask_id == 151666


def test_missing_or_broken_directory_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="config.json"):
        read_hf_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llada", "d_model": 8, "n_heads": 2,
                                                      "n_layers": 1, "mlp_hidden_size": 8, "vocab_size": 10}))
    with pytest.raises(CheckpointError, match=str(tmp_path)):
        anyorder.load(tmp_path)


@pytest.mark.parametrize("family", ["llada", "dream"])
def test_prefix_cache_is_exact_while_the_canvas_is_unchanged(tiny, family):
    model, _, _ = load_pretrained(tiny[family])
    x = _tokens(1000, (2, 14), seed=3)
    mask = torch.ones_like(x, dtype=torch.bool)
    mask[1, :2] = False  # left padding on row 1
    with torch.no_grad():
        full = model(x, attention_mask=mask)
        cached = model.prefix_cached(6, mask)
        first, second = cached(x), cached(x)
        y = x.clone()
        y[:, 9] = 5  # a change after the prefix: the cached prefix keys/values do not see it (stale by design)
        third = cached(y)
        full_y = model(y, attention_mask=mask)
    torch.testing.assert_close(first, full)
    torch.testing.assert_close(second[:, 6:], full[:, 6:], atol=1e-5, rtol=1e-4)
    assert not torch.allclose(third[:, 6:], full_y[:, 6:], atol=1e-5)  # approximate: the prefix went stale
    assert not torch.allclose(third[:, 6:], second[:, 6:], atol=1e-5)  # but the suffix itself is recomputed
    assert (second[:, :6] == 0).all()


def test_prefix_cache_is_refused_for_masked_lms(tiny):
    model, _, _ = load_pretrained(tiny["masked_lm"])
    with pytest.raises(ConfigError, match="llada or dream"):
        model.prefix_cached(3)


@pytest.mark.parametrize("family", ["llada", "dream", "masked_lm"])
def test_columns_window_equals_the_full_forward_sliced(tiny, family):
    """forward(columns=(lo, hi)) is the full forward's columns lo:hi (Dream: shifted, a row's first real token
    keeps its own output), with and without left padding; bad windows raise."""
    model, _, _ = load_pretrained(tiny[family])
    x = _tokens(300, (2, 10), seed=4)
    mask = torch.ones_like(x, dtype=torch.bool)
    mask[1, :3] = False  # row 1 left-padded: its first real token is column 3
    with torch.no_grad():
        for attention in (None, mask):
            full = model(x, attention_mask=attention)
            for lo, hi in ((0, 4), (3, 7), (4, 10), (9, 10)):
                part = model(x, attention_mask=attention, columns=(lo, hi))
                assert part.shape == (2, hi - lo, full.shape[2])
                torch.testing.assert_close(part, full[:, lo:hi], atol=1e-5, rtol=1e-4)
    with pytest.raises(ConfigError, match="columns"):
        model(x, columns=(5, 5))


@pytest.mark.parametrize("family", ["llada", "dream"])
def test_prefix_cache_with_a_columns_window_equals_its_full_output_sliced(tiny, family):
    model, _, _ = load_pretrained(tiny[family])
    x = _tokens(1000, (2, 14), seed=3)
    with torch.no_grad():
        a, b = model.prefix_cached(6), model.prefix_cached(6)
        first_a, first_b = a(x), b(x, columns=(6, 10))
        second_a, second_b = a(x), b(x, columns=(7, 10))  # the head only at columns 7..9
        third_b = b(x, columns=(4, 9))  # reaching into the prefix: zeros there
    torch.testing.assert_close(first_b, first_a[:, 6:10])
    torch.testing.assert_close(second_b, second_a[:, 7:10], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(third_b, second_a[:, 4:9], atol=1e-5, rtol=1e-4)


def test_one_config_builder_for_both_architectures(tiny):
    """``transformers_config`` maps LLaDA's OLMo names (defaults, fallbacks, fixed values) and passes Dream's Qwen2
    names through; both come out bidirectional without a KV cache."""
    from transformers import LlamaConfig, Qwen2Config

    from anyorder.models.hf import ARCHITECTURES, transformers_config

    raw = {"model_type": "llada", "d_model": 16, "n_heads": 4, "n_kv_heads": None, "n_layers": 2,
           "mlp_hidden_size": 24, "vocab_size": 50, "embedding_size": 64, "weight_tying": False}
    cfg = transformers_config("llada", raw)
    assert isinstance(cfg, LlamaConfig) and (cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size) == (16, 2, 24)
    assert cfg.vocab_size == 64 and cfg.num_key_value_heads == 4  # embedding_size first; n_kv_heads None -> n_heads
    assert cfg.max_position_embeddings == 4096 and cfg.hidden_act == "silu" and not cfg.attention_bias
    dream = transformers_config("dream", read_hf_config(tiny["dream"]), "eager")
    assert isinstance(dream, Qwen2Config) and dream._attn_implementation == "eager"
    assert not hasattr(dream, "mask_token_id") or dream.mask_token_id is None
    for c in (cfg, dream):
        assert c.is_causal is False and c.use_cache is False
    with pytest.raises(ConfigError, match="include_bias"):
        transformers_config("llada", {**raw, "include_bias": True})
    assert ARCHITECTURES["dream"].shift and not ARCHITECTURES["llada"].shift


def test_hf_directory_config_is_read_once_through_the_shared_helper(tiny, tmp_path, monkeypatch):
    """``anyorder.load`` reads a HF directory's config.json once (``io.read_json_file``, the helper anyorder
    checkpoints use too) and passes it on; anyorder checkpoints and junk are not HF directories."""
    from anyorder import io
    from anyorder.models import hf

    reads = []
    real = io.read_json_file
    monkeypatch.setattr(hf, "read_json_file", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    anyorder.load(tiny["masked_lm"])
    assert [p.name for p in reads] == ["config.json"]
    (tmp_path / "config.json").write_text(json.dumps({"format": "anyorder-checkpoint", "model_type": "x"}))
    assert hf.hf_checkpoint_config(tmp_path) is None
    (tmp_path / "config.json").write_text("[1, 2]")
    assert hf.hf_checkpoint_config(tmp_path) is None
    with pytest.raises(CheckpointError, match="expected a JSON object"):
        read_hf_config(tmp_path)


@pytest.mark.parametrize("family, field", [("llada", "n_layers"), ("dream", "num_hidden_layers"),
                                           ("masked_lm", "num_hidden_layers")])
def test_a_config_claiming_more_layers_than_tensors_is_refused_before_building(tiny, tmp_path, monkeypatch,
                                                                               family, field):
    """The ``hf`` kind's ``layers`` hook reads the layer count from config.json alone: a HF directory (or an
    anyorder checkpoint of kind hf pointing at one) whose config claims more layers than its weights hold
    tensors is refused before transformers builds anything; the valid directory still loads."""
    import shutil

    from anyorder.models import hf
    from anyorder.models.registry import MODEL_KINDS
    from anyorder.tokenizers.symbols import SymbolTable
    from anyorder.train import checkpoint as ckpt

    d = shutil.copytree(tiny[family], tmp_path / family)
    raw = read_hf_config(d)
    assert MODEL_KINDS["hf"].layers(HFConfig(path=str(d))) == (field, 2)
    assert anyorder.load(d).model.family == family
    (d / "config.json").write_text(json.dumps({**raw, field: 100_000}))
    monkeypatch.setattr(hf, "build", lambda *a, **k: pytest.fail("model built"))
    with pytest.raises(CheckpointError, match=rf"config.json: {field}=100000 cannot match a weights file of \d+ "
                                              "tensors"):
        anyorder.load(d)
    tok = SymbolTable(("a", "[MASK]"), mask_id=1)
    meta = {"model_kind": "hf", "model": HFConfig(path=str(d)).to_dict(), "tokenizer": tok.to_dict(),
            "task": {"name": "toy", "options": {}, "metadata": {}}, "objective": "mdm", "train": None}
    path = ckpt.save_checkpoint(tmp_path / "ck", 1, meta, {"w": torch.zeros(1)})
    with pytest.raises(CheckpointError, match=rf"{field}=100000 cannot match a weights file of 1 tensors"):
        anyorder.load(path)
    assert hf.config_layers(HFConfig(path="x"), {"n_layer": "3"}) == ("n_layer", 3)
    assert hf.config_layers(HFConfig(path="x"), {"num_hidden_layers": "many", "hidden_size": 8}) is None


def test_llama_to_llada_is_the_llada_table_read_backwards():
    from anyorder.models.hf import LLADA_TO_LLAMA, LLAMA_TO_LLADA, invert_rules

    assert invert_rules(LLAMA_TO_LLADA) == LLADA_TO_LLAMA
    assert LLAMA_TO_LLADA[0] == (r"^model\.embed_tokens\.weight$", "model.transformer.wte.weight")
    assert (r"^model\.layers\.(\d+)\.mlp\.gate_proj\.", r"model.transformer.blocks.\1.ff_proj.") in LLAMA_TO_LLADA
