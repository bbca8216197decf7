"""Checkpoints: a self-describing directory that is written atomically and never unpickled.

Layout (docs/DESIGN.md)::

    step_00001000/
      model.safetensors        weights (the EMA weights when EMA is on)
      raw_model.safetensors    raw weights, only when EMA is on
      config.json              {"format", "format_version", "model_kind", "model", "tokenizer", "task",
                                "objective", "train", "step", "files": {relative name: sha256}}
      tokenizer files          whatever ``tokenizer.save(dir)`` writes (none for symbol tables)
      train_state/             optimizer.safetensors + state.json: everything needed to resume exactly

A checkpoint is written into a hidden sibling directory, fsynced, and renamed into place; only then is the
``latest`` pointer file replaced (``os.replace``). A crash at any point leaves the previous checkpoint loadable.
``load`` verifies every file's sha256 and raises ``CheckpointError`` naming the file and the problem. Before
any weight is allocated it also checks that every listed file stays inside the checkpoint directory, that the
tensor names, shapes and dtypes in the safetensors header match the model the config describes (built on the
``meta`` device, which allocates nothing; a config implying more layers than the file has tensors is refused
before even that, through the model kind's ``layers`` hook), and that the tokenizer and the model agree on the
vocabulary size; non-finite weights are refused. Hugging Face model directories get the same layer check against
their *.safetensors headers before transformers builds the model.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from anyorder.errors import AnyorderError, CheckpointError
from anyorder.io import check_new_path, output_lock, read_json_file
from anyorder.models.registry import ModelKind, model_kind
from anyorder.tokenizers.base import Tokenizer
from anyorder.tokenizers.registry import load_tokenizer

FORMAT = "anyorder-checkpoint"
FORMAT_VERSION = 1
LATEST = "latest"
STATE_TENSORS = "train_state/optimizer.safetensors"
STATE_JSON = "train_state/state.json"


@dataclass(frozen=True)
class Loaded:
    """A checkpoint rebuilt for inference: ``model`` is in eval mode on the requested device."""

    model: torch.nn.Module  # the kind named by config["model_kind"] (default "transformer")
    tokenizer: Tokenizer  # the kind named by config["tokenizer"]["kind"] (default "symbols")
    config: dict  # the checkpoint's config.json
    task: dict  # {"name", "options", "metadata"}
    path: Path | None = None  # the checkpoint directory that was loaded
    step: int = 0  # optimizer steps the weights have seen


def step_dir_name(step: int) -> str:
    return f"step_{step:08d}"


def step_of(step_dir: Path) -> int:
    """The step of a ``step_*`` checkpoint directory (inverse of ``step_dir_name``)."""
    return int(step_dir.name.split("_")[1])


def step_dirs(root: Path) -> list[Path]:
    """The ``step_*`` checkpoint directories under ``root``, oldest first (names are zero-padded steps)."""
    return sorted(p for p in root.glob("step_*") if p.is_dir()) if root.is_dir() else []


# ------------------------------------------------------------------------------------------------- save


def save_checkpoint(root: str | Path, step: int, meta: dict[str, Any], model_state: dict[str, torch.Tensor],
                    raw_state: dict[str, torch.Tensor] | None = None, train_state: dict[str, Any] | None = None,
                    keep: int | None = None, tokenizer: Tokenizer | None = None) -> Path:
    """Write ``root/step_XXXXXXXX`` atomically, point ``root/latest`` at it, prune to the newest ``keep``.

    Args:
        meta: JSON-able {"model_kind", "model", "task", "objective", "train"} merged into config.json (and
            "tokenizer" unless ``tokenizer`` is given).
        model_state: weights written to model.safetensors (EMA weights when EMA is on).
        raw_state: raw weights (raw_model.safetensors), only when they differ from ``model_state``.
        train_state: nested dict of tensors / JSON values (optimizer, scheduler, RNG...); tensors go to
            train_state/optimizer.safetensors, the rest to train_state/state.json.
        tokenizer: written with ``tokenizer.save(checkpoint dir)``; its config becomes config["tokenizer"].
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / step_dir_name(step)

    def write(tmp: Path) -> None:
        extra = {"tokenizer": tokenizer.save(tmp)} if tokenizer is not None else {}
        files = {"model.safetensors": model_state}
        if raw_state is not None:
            files["raw_model.safetensors"] = raw_state
        for name, state in files.items():
            save_file(_plain(state), str(tmp / name))
        if train_state is not None:
            (tmp / "train_state").mkdir()
            tensors: dict[str, torch.Tensor] = {}
            skeleton = _flatten(train_state, "", tensors)
            save_file(tensors, str(tmp / STATE_TENSORS))
            _write_text(tmp / STATE_JSON, json.dumps(skeleton))
        hashes = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta, **extra, "step": step, "files": hashes}
        _write_text(tmp / "config.json", json.dumps(config, indent=2))

    _write_dir_atomically(final, write)
    _write_text(root / f".{LATEST}.tmp", final.name)
    os.replace(root / f".{LATEST}.tmp", root / LATEST)
    _fsync_dir(root)
    if keep is not None:
        prune(root, keep)
    return final


def prune(root: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` step directories (never the one ``latest`` names) and stale temps."""
    latest = (root / LATEST).read_text().strip() if (root / LATEST).exists() else None
    steps = step_dirs(root)
    for p in steps[: max(len(steps) - keep, 0)]:
        if p.name != latest:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def _write_dir_atomically(final: Path, write: Callable[[Path], None]) -> None:
    tmp = final.parent / f".tmp-{final.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write(tmp)
    for p in tmp.rglob("*"):
        if p.is_file():
            _fsync_file(p)
        else:
            _fsync_dir(p)
    _fsync_dir(tmp)
    if final.exists():  # re-saving a step (e.g. after a resume): move the old one aside first
        old = final.parent / f".tmp-old-{final.name}-{os.getpid()}"
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)
    _fsync_dir(final.parent)


def _plain(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Contiguous CPU copies; copying also un-ties shared tensors, which safetensors refuses to write."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in state.items()}


def _flatten(obj: Any, key: str, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON skeleton of ``obj``; tensors are moved into ``tensors`` and replaced by {"__tensor__": key}."""
    if isinstance(obj, torch.Tensor):
        tensors[key] = obj.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _flatten(v, f"{key}.{k}", tensors) for k, v in obj.items()}
        return {"__items__": [[k, _flatten(v, f"{key}.{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, f"{key}.{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_flatten(v, f"{key}.{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {key!r} in a checkpoint (no pickling)")


def _unflatten(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            return tensors[obj["__tensor__"]]
        if set(obj) == {"__items__"}:
            return {k: _unflatten(v, tensors) for k, v in obj["__items__"]}
        if set(obj) == {"__tuple__"}:
            return tuple(_unflatten(v, tensors) for v in obj["__tuple__"])
        return {k: _unflatten(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


def _write_text(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync_file(path)
    except OSError:  # some filesystems do not support fsync on directories
        pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------- load


def resolve(path: str | Path) -> Path:
    """The checkpoint directory named by ``path``: a checkpoint dir, a ``checkpoints/`` dir or a run dir."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: no such checkpoint or run directory")
    if not p.is_dir():
        raise CheckpointError(f"{p}: not a directory (expected a checkpoint or run directory)")
    for root in (p / "checkpoints", p):
        pointer = root / LATEST
        if pointer.is_file():
            name = pointer.read_text(errors="replace").strip()
            if not name or "/" in name or name in (".", ".."):
                raise CheckpointError(f"{pointer}: empty or invalid pointer {name!r} (an interrupted write?); "
                                      f"load one of {root}/step_* directly")
            target = root / name
            if not target.is_dir():
                raise CheckpointError(f"{pointer}: points to missing checkpoint {target.name!r}")
            return target
    if (p / "checkpoints").is_dir() or (p / "metrics.jsonl").is_file():
        raise CheckpointError(f"{p}: run directory has no complete checkpoint (no checkpoints/{LATEST})")
    return p


def newest_verifying(root: Path) -> tuple[Path, list[str]]:
    """The newest checkpoint under ``root`` (a ``checkpoints/`` directory) whose config and train state verify:
    the one ``latest`` names first, then the ``step_*`` directories newest first. Returns it and one line per
    checkpoint skipped (why), so the caller can say it fell back; CheckpointError when none verifies."""
    pointer = root / LATEST
    named = pointer.read_text(errors="replace").strip() if pointer.is_file() else ""
    candidates = step_dirs(root)[::-1]
    if named and "/" not in named and (root / named).is_dir():
        candidates = [root / named] + [p for p in candidates if p.name != named]
    skipped = [] if named or not pointer.exists() else [f"{pointer}: empty pointer"]
    for ckpt in candidates:
        try:
            load_train_state(ckpt, read_config(ckpt))
            return ckpt, skipped
        except CheckpointError as e:
            skipped.append(f"{ckpt.name}: {e}")
    raise CheckpointError(f"{root}: no checkpoint verifies" + (f" ({'; '.join(skipped)})" if skipped else ""))


def read_config(ckpt: Path) -> dict[str, Any]:
    """Parse and check config.json, then verify the sha256 of every file it lists."""
    file = ckpt / "config.json"
    config = read_json_file(file, CheckpointError, "not a checkpoint directory?")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{file}: not an anyorder checkpoint (format={_get(config, 'format')!r})")
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{file}: unsupported format_version {config.get('format_version')!r}; "
                              f"this version of anyorder reads {FORMAT_VERSION}")
    for key in ("model", "tokenizer", "task", "files"):
        if not isinstance(config.get(key), dict):
            raise CheckpointError(f"{file}: missing or invalid {key!r} entry")
    step = config.get("step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{file}: 'step' must be a non-negative integer, got {step!r}")
    for key in ("model_kind", "objective"):
        if key in config and not isinstance(config[key], str):
            raise CheckpointError(f"{file}: {key!r} must be a string, got {config[key]!r}")
    if not isinstance(config["task"].get("name", ""), str):
        raise CheckpointError(f"{file}: task name must be a string, got {config['task'].get('name')!r}")
    for name, digest in config["files"].items():
        target = _inside(ckpt, name, file)
        if not isinstance(digest, str):
            raise CheckpointError(f"{file}: files entry {name!r} has no sha256 string")
        if not target.is_file():
            raise CheckpointError(f"{target}: missing (listed in {file})")
        if _sha256(target) != digest:
            raise CheckpointError(f"{target}: sha256 mismatch, the file is corrupt or truncated")
    return config


def read_tensors(ckpt: Path, name: str, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Load one safetensors file of a checkpoint; parse errors raise CheckpointError naming it."""
    file = ckpt / name
    if not file.is_file():
        raise CheckpointError(f"{file}: missing")
    try:
        return load_file(str(file), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{file}: cannot parse safetensors ({e})") from e


def _inside(ckpt: Path, name: str, file: Path) -> Path:
    """``ckpt / name``, refusing names that leave the checkpoint directory (absolute, '..', symlinks out)."""
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise CheckpointError(f"{file}: files entry {name!r} is not a path inside the checkpoint directory")
    target = ckpt / name
    if not target.resolve().is_relative_to(ckpt.resolve()):
        raise CheckpointError(f"{file}: files entry {name!r} resolves outside the checkpoint directory")
    return target


# safetensors header dtype -> the torch dtypes a model tensor may be loaded from it into
_FLOAT_DTYPES = {"F64", "F32", "F16", "BF16"}
_DTYPE_NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                torch.bool: "BOOL"}


def _model_kind_and_config(ckpt: Path, config: dict):
    try:
        kind = model_kind(config.get("model_kind", "transformer"))
        return kind, kind.config_class.from_dict(config["model"])
    except (AnyorderError, TypeError, ValueError, KeyError, AttributeError) as e:
        raise CheckpointError(f"{ckpt / 'config.json'}: invalid model config ({e})") from e


def check_layers(kind: ModelKind, cfg: Any, n_tensors: int, where: Path, raw_config: dict | None = None) -> None:
    """Refuse a config implying more layers (``kind.layers``, read from the config alone) than the ``n_tensors``
    tensors of its weights: every layer holds at least one tensor, so it cannot match them. Runs before anything
    is built (a fuzzed n_layers of 10^5 took minutes of CPU to build even on the meta device)."""
    try:
        found = kind.layers(cfg, raw_config)
    except (AnyorderError, OSError) as e:
        raise CheckpointError(f"{where}: invalid model config ({e})") from e
    if found is not None and found[1] > n_tensors:
        raise CheckpointError(f"{where}: {found[0]}={found[1]} cannot match a weights file of {n_tensors} tensors")


def expected_tensors(ckpt: Path, config: dict, n_tensors: int) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """{name: (shape, dtype)} of the model the config describes, built on the meta device (no allocation).
    ``n_tensors`` = tensors in the weights file: a config with more layers than that is refused before building
    (``check_layers``)."""
    kind, cfg = _model_kind_and_config(ckpt, config)
    check_layers(kind, cfg, n_tensors, ckpt / "config.json")
    try:
        with torch.device("meta"):
            model = kind.build(cfg)
    except (AnyorderError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{ckpt / 'config.json'}: invalid model config ({e})") from e
    return {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}


def check_header(ckpt: Path, config: dict, name: str) -> None:
    """Compare the safetensors header of ``name`` (names, shapes, dtypes; read without loading any tensor)
    with the model the config describes; mismatches raise CheckpointError naming the file, before any weight
    or model is allocated."""
    file = ckpt / name
    try:
        with safe_open(str(file), framework="pt") as f:
            header = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{file}: cannot parse safetensors header ({e})") from e
    expected = expected_tensors(ckpt, config, len(header))
    missing = sorted(set(expected) - set(header))
    unexpected = sorted(set(header) - set(expected))
    wrong = []
    for k, (shape, dtype) in expected.items():
        if k not in header:
            continue
        got_shape, got_dtype = header[k]
        ok_dtype = got_dtype in _FLOAT_DTYPES if dtype.is_floating_point else got_dtype == _DTYPE_NAMES.get(dtype)
        if got_shape != shape or not ok_dtype:
            wrong.append(f"{k}: file {got_shape} {got_dtype} vs config {shape} {_DTYPE_NAMES.get(dtype, dtype)}")
    if missing or unexpected or wrong:
        raise CheckpointError(f"{file}: weights incompatible with the model config: "
                              f"missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatch {wrong[:3]}")


def check_finite(state: dict[str, torch.Tensor], file: Path) -> None:
    """Refuse weights holding NaN or infinity (CheckpointError naming the first tensor and the count)."""
    for k, v in state.items():
        if v.is_floating_point():
            bad = int((~torch.isfinite(v)).sum())
            if bad:
                raise CheckpointError(f"{file}: tensor {k!r} has {bad} non-finite values (NaN/inf) of {v.numel()}; "
                                      "the weights are corrupt or training diverged")


def check_vocab(ckpt: Path, config: dict, tokenizer: Tokenizer) -> None:
    """The model's vocabulary (config["model"]["vocab_size"]) must equal the tokenizer's; a Hugging Face
    tokenizer may be smaller (padded embedding tables), never larger."""
    model_vocab = (config.get("model") or {}).get("vocab_size")
    tok_vocab = getattr(tokenizer, "vocab_size", None)
    if not isinstance(model_vocab, int) or not isinstance(tok_vocab, int):
        return
    ok = tok_vocab <= model_vocab if getattr(tokenizer, "kind", None) == "hf" else tok_vocab == model_vocab
    if not ok:
        raise CheckpointError(f"{ckpt / 'config.json'}: the tokenizer has {tok_vocab} symbols but the model's "
                              f"vocab_size is {model_vocab}; model and tokenizer do not belong together")


def build_model(ckpt: Path, config: dict, state: dict[str, torch.Tensor], file: str) -> torch.nn.Module:
    """Rebuild the model of config["model_kind"] from config["model"] and load ``state``; mismatches and
    non-finite weights name ``file``. Names and shapes are compared on a meta-device model first."""
    expected = expected_tensors(ckpt, config, len(state))
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: file {tuple(state[k].shape)} vs config {shape}"
             for k, (shape, _) in expected.items() if k in state and tuple(state[k].shape) != shape]
    if missing or unexpected or wrong:
        raise CheckpointError(f"{ckpt / file}: weights incompatible with the model config: "
                              f"missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatch {wrong[:5]}")
    check_finite(state, ckpt / file)
    kind, cfg = _model_kind_and_config(ckpt, config)
    model = kind.build(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k}: file {tuple(state[k].shape)} vs config {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or wrong:
        raise CheckpointError(f"{ckpt / file}: weights incompatible with the model config: "
                              f"missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatch {wrong[:5]}")
    model.load_state_dict(state)
    return model


def load(path: str | Path, device: str = "cpu", **hf_options: Any) -> Loaded:
    """Load a checkpoint (or a run directory's latest checkpoint) for inference.

    Returns ``Loaded(model, tokenizer, config, task)`` with the model in eval mode on ``device``. Raises
    CheckpointError naming the file for missing/corrupt/truncated/incompatible checkpoints. A Hugging Face model
    directory (LLaDA, Dream, any masked LM; ``models.hf``) loads as model kind "hf"; ``hf_options`` are
    ``HFConfig`` fields (dtype, device_map, family, mask_id, attn_implementation).
    """
    from anyorder.models.hf import hf_checkpoint_config

    hf_config = hf_checkpoint_config(path)  # read once, passed on
    if hf_config is not None:
        return _load_hf(Path(path), device, hf_options, hf_config)
    if hf_options:
        raise CheckpointError(f"{path}: options {sorted(hf_options)} apply to Hugging Face model directories only")
    ckpt = resolve(path)
    config = read_config(ckpt)
    try:
        tokenizer = load_tokenizer(config["tokenizer"], ckpt)
    except (AnyorderError, TypeError, ValueError, KeyError, AttributeError) as e:  # a malformed JSON entry
        raise CheckpointError(f"{ckpt / 'config.json'}: invalid tokenizer ({e})") from e
    check_vocab(ckpt, config, tokenizer)
    check_header(ckpt, config, "model.safetensors")  # before any allocation
    state = read_tensors(ckpt, "model.safetensors")
    model = build_model(ckpt, config, state, "model.safetensors").to(device).eval()
    return Loaded(model, tokenizer, config, config["task"], ckpt, int(config.get("step", 0)))


def _load_hf(path: Path, device: str, hf_options: dict[str, Any], raw: dict[str, Any]) -> Loaded:
    from anyorder.models.hf import HFConfig, load_pretrained

    n_tensors = _count_tensors(sorted(path.glob("*.safetensors")))
    if n_tensors is not None:  # before transformers builds anything
        check_layers(model_kind("hf"), HFConfig(path=str(path)), n_tensors, path / "config.json", raw)
    model, tokenizer, hf_config = load_pretrained(path, raw_config=raw, **hf_options)
    if hf_config.device_map is None:
        model = model.to(device)
    config = {"model_kind": "hf", "model": hf_config.to_dict(), "tokenizer": {"kind": "hf"},
              "task": {"name": None, "options": {}, "metadata": {}}, "objective": "mdm"}
    return Loaded(model, tokenizer, config, config["task"], path, 0)


def _count_tensors(files: list[Path]) -> int | None:
    """Tensors in the safetensors ``files`` (headers only), None when there are none (e.g. only *.bin weights)."""
    if not files:
        return None
    total = 0
    for file in files:
        try:
            with safe_open(str(file), framework="pt") as f:
                total += len(f.keys())
        except (SafetensorError, OSError, ValueError) as e:
            raise CheckpointError(f"{file}: cannot parse safetensors header ({e})") from e
    return total


def load_train_state(ckpt: Path, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The nested train state saved with ``train_state=`` (call after ``read_config`` verified hashes)."""
    config = config if config is not None else read_config(ckpt)
    file = ckpt / STATE_JSON
    if STATE_JSON not in config["files"]:
        raise CheckpointError(f"{file}: missing; this checkpoint cannot be resumed (inference only)")
    tensors = read_tensors(ckpt, STATE_TENSORS)
    try:
        return _unflatten(json.loads(file.read_text()), tensors)
    except (json.JSONDecodeError, KeyError) as e:
        raise CheckpointError(f"{file}: invalid train state ({e})") from e


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def export_checkpoint(src: str | Path, dst: str | Path, note: str | None = None) -> Path:
    """Write an inference-only copy of checkpoint ``src`` (a checkpoint or run directory) to ``dst``.

    Keeps ``model.safetensors`` (the EMA weights when the run used EMA) and ``config.json``; drops the raw weights
    and the optimizer state, so the copy is small enough to ship. Hashes are verified before copying and rewritten
    for the copy; ``note`` is stored as config["export_note"]. Writing is atomic (temporary sibling + rename).
    """
    dst = new_export_path(dst)  # before reading gigabytes
    ckpt = resolve(src)
    config = read_config(ckpt)
    check_header(ckpt, config, "model.safetensors")
    build_model(ckpt, config, read_tensors(ckpt, "model.safetensors"), "model.safetensors")
    with output_lock(dst):
        return write_inference_copy(ckpt, config, new_export_path(dst), note)  # re-checked under the lock


def new_export_path(dst: str | Path) -> Path:
    """``dst`` as a Path whose parents exist, refusing an existing destination (CheckpointError)."""
    if Path(dst).exists():
        raise CheckpointError(f"{dst}: already exists; refusing to overwrite")
    dst = check_new_path(dst, "export destination", allow_existing_dir=False)
    dst.parent.mkdir(parents=True, exist_ok=True)
    return dst


def write_inference_copy(ckpt: Path, config: dict, dst: Path, note: str | None,
                         weights: dict[str, torch.Tensor] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write the inference copy of ``ckpt`` to ``dst`` (atomically); ``weights`` replace its model.safetensors
    and ``extra`` entries are added to the copy's config (checkpoint averaging, ``train.average``)."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    keep = [name for name in config["files"] if name != "raw_model.safetensors" and not name.startswith("train_state/")]
    for name in keep:  # the weights and the tokenizer's files
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        if name == "model.safetensors" and weights is not None:
            save_file(_plain(weights), str(tmp / name))
        else:
            shutil.copyfile(ckpt / name, tmp / name)
    out = {**config, **(extra or {}), "files": {name: _sha256(tmp / name) for name in keep}}
    if note:
        out["export_note"] = note
    (tmp / "config.json").write_text(json.dumps(out, indent=1))
    os.rename(tmp, dst)
    return dst
