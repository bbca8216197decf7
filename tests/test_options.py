"""Options helpers on dataclasses that inherit fields (as the Zebra task options do)."""
from dataclasses import dataclass

import pytest

from anyorder.errors import ConfigError
from anyorder.options import apply_overrides, field_help, from_dict, parse_overrides


@dataclass(frozen=True)
class Base:
    size: int = 3  # shared size
    name: str = "a"  # shared name

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ConfigError(f"size must be positive, got {self.size}")


@dataclass(frozen=True)
class Child(Base):
    name: str = "b"  # the child's own name
    extra: bool = False  # child only


def test_overrides_and_unknown_keys_see_inherited_fields():
    c = apply_overrides(Child(), ["size=5", "extra=true", "name=z"])
    assert (c.size, c.extra, c.name) == (5, True, "z")
    assert parse_overrides(Child, ["size=2"]) == {"size": 2}
    assert from_dict(Child, {"size": 4}) == Child(size=4)
    with pytest.raises(ConfigError, match=r"\['extra', 'name', 'size'\]"):
        apply_overrides(Child(), ["nope=1"])
    with pytest.raises(ConfigError, match=r"unknown keys \['nope'\]; valid: \['extra', 'name', 'size'\]"):
        from_dict(Child, {"nope": 1})
    with pytest.raises(ConfigError, match="size must be positive"):
        apply_overrides(Child(), ["size=0"])


def test_field_help_reads_inherited_comments_and_the_subclass_wins():
    help_ = {name: (type_name, default, comment) for name, type_name, default, comment in field_help(Child)}
    assert help_ == {"size": ("int", 3, "shared size"), "name": ("str", "b", "the child's own name"),
                     "extra": ("bool", False, "child only")}
