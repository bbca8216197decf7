"""Options as frozen dataclasses: ``KEY=VALUE`` overrides, JSON round trips, unknown keys rejected.

One parser for every options dataclass in the package: training configs (``TrainConfig`` and the configs it
nests), task options (``tasks.*.Options``) and decoding plans (``decode.Plan``). ``apply_overrides`` coerces each
value to the annotated type of the field it sets (int, float, bool, str, None, tuples and dicts as JSON) and
raises ``ConfigError`` listing the valid fields at that level for an unknown key; ``from_dict`` does the same for
JSON / dict input. Every float must be finite (NaN and infinity are refused at parse time, from the command line
and from JSON alike). A dataclass may define ``override_changes(name, value) -> dict`` to reset derived fields.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import math
import types
import typing
from typing import Any

from anyorder.errors import ConfigError


def apply_overrides(cfg: Any, overrides: list[str]) -> Any:
    """Return ``cfg`` with each ``"a.b.c=value"`` applied; values are coerced to the field's type.

    Keys inside a dict field (e.g. ``task_options.n_train=1000``) take JSON values, falling back to the raw
    string. Unknown keys raise ConfigError listing the valid fields at that level.
    """
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form KEY=VALUE")
        cfg = _set_path(cfg, key.strip().split("."), raw, key)
    return cfg


def parse_overrides(cls: type, overrides: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> {field: value} for the top-level fields of the dataclass ``cls``, each coerced to its
    type; applied together (``dataclasses.replace(obj, **values)``), so their order never matters."""
    hints, values = _hints(cls), {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form KEY=VALUE; keys: {sorted(hints)}")
        if key not in hints:
            raise ConfigError(f"unknown key {key!r}; valid: {sorted(hints)}")
        values[key] = _coerce_str(raw, hints[key], key)
    return values


def replace_checked(obj: Any, values: dict[str, Any], context: str | None = None) -> Any:
    """``dataclasses.replace`` that reports bad values as ConfigError (prefixed by ``context``)."""
    try:
        return dataclasses.replace(obj, **values)
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"{context or f'invalid value in {values}'}: {e}") from e


def _set_path(obj: Any, path: list[str], raw: str, full: str) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        if rest:
            inner = obj.get(head, {})
            if not isinstance(inner, dict):
                raise ConfigError(f"{full}: {head!r} is not a mapping")
            return {**obj, head: _set_path(inner, rest, raw, full)}
        return {**obj, head: _json_or_str(raw)}
    if not dataclasses.is_dataclass(obj):
        raise ConfigError(f"{full}: cannot set a field inside a {type(obj).__name__}")
    hints = _hints(type(obj))
    if head not in hints:
        raise ConfigError(f"unknown config key {full!r}: {head!r} is not one of {sorted(hints)}")
    current = getattr(obj, head)
    if rest:
        return _replace(obj, head, _set_path(current, rest, raw, full))
    return _replace(obj, head, _coerce_str(raw, hints[head], full))


def _replace(obj: Any, name: str, value: Any) -> Any:
    changes = {name: value}
    hook = getattr(obj, "override_changes", None)  # a config may reset derived fields (ModelConfig.d_mlp)
    if hook is not None:
        changes = hook(name, value)
    return replace_checked(obj, changes, f"invalid value for {name}")


def _json_or_str(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _coerce_str(raw: str, tp: Any, key: str) -> Any:
    """Parse the command-line string ``raw`` as a value of type ``tp``."""
    text = raw.strip()
    args = typing.get_args(tp)
    if _is_optional(tp):
        if text.lower() in ("none", "null"):
            return None
        tp = next(a for a in args if a is not type(None))
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and str in typing.get_args(tp):
        return raw  # e.g. Plan.score: str | Callable -> a registry name
    try:
        if tp is bool:
            low = text.lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError("expected true/false")
        if tp is int:
            number = float(text)
            if not number.is_integer():
                raise ValueError("expected an integer")
            return int(number)
        if tp is float:
            return _finite(float(text), key)
        if tp is str:
            return raw
        return _coerce_json(json.loads(text), tp, key)
    except (ValueError, json.JSONDecodeError) as e:
        raise ConfigError(f"{key}={raw!r}: cannot parse as {_type_name(tp)} ({e})") from e


# ------------------------------------------------------------------------------------------ dict / JSON


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a (nested) config dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(cls: type, data: dict[str, Any], where: str | None = None) -> Any:
    """Build ``cls`` (a config dataclass) from ``to_dict`` output; unknown keys raise ConfigError naming
    ``where`` (default: the class name) and listing the valid keys."""
    return _build(cls, data, where or cls.__name__)


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = _hints(cls)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; valid: {sorted(hints)}")
    kwargs = {k: _coerce_json(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from e


def _coerce_json(value: Any, tp: Any, where: str) -> Any:
    """Convert a JSON value to ``tp``: lists -> tuples, dicts -> dataclasses, ints -> floats."""
    if tp is Any:
        return value
    if _is_optional(tp):
        if value is None:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return value
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if origin is tuple or tp is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce_json(v, args[0], where) for v in value)
        if args and len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} items, got {value!r}")
        return tuple(_coerce_json(v, a, where) for v, a in zip(value, args or [Any] * len(value)))
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(float(value), where)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)
    expected = origin or tp
    if isinstance(expected, type) and not isinstance(value, expected):
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    return value


def _finite(value: float, where: str) -> float:
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {value} is not a finite number")
    return value


def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


def _is_optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def field_help(cls: type) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, comment) of every field of an options dataclass, comments read from its source
    (and its dataclass bases' sources, so inherited fields keep their comments; a subclass's comment wins)."""
    comments = {}
    for klass in reversed([k for k in cls.__mro__ if dataclasses.is_dataclass(k)]):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for line in source.splitlines():
            head, _, comment = line.partition("#")
            name = head.strip().split(":")[0].strip()
            if comment and name.isidentifier():
                comments[name] = comment.strip()
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        out.append((f.name, _type_name(hints.get(f.name, Any)), default, comments.get(f.name, "")))
    return out
