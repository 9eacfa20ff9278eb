"""Dataclass configurations: defaults are the paper's settings, profiles are overrides.

``Config.from_dict`` rejects unknown keys and values of the wrong type with a one-line
``ConfigError`` that names the parameter and what is allowed (nanoGPT style).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

PROFILES = ("smoke", "cpu", "paper")
SEED_LIMIT = 2 ** 32  # every command: a seed is an integer in [0, 2**32) (numpy's and torch's range)
MAX_SEEDS = 1000  # trials of one run: each trial's state is held in memory at once
SEED_RULE = "an integer in [0, 2**32)"


class ConfigError(ValueError):
    """A bad parameter: the message is one line naming it and what is allowed."""


def check_profile(profile: Any) -> str:
    if profile not in PROFILES:
        raise ConfigError(f"profile must be one of {', '.join(PROFILES)}; got {profile!r}")
    return profile


def _from_json(name: str, text: str, allowed: str) -> Any:
    """papermill's -p passes text: a list or dict parameter is read from JSON."""
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError(f"{name} must be {allowed}; got {text!r}") from None


def _coerce(name: str, kind: Any, value: Any) -> Any:
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        if isinstance(value, str):  # a JSON list such as "[1, 2, 5]"
            value = _from_json(name, value, f"a non-empty list of {item.__name__} such as \"[1, 2, 5]\"")
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"{name} must be a non-empty list of {item.__name__}; got {value!r}")
        return tuple(_coerce(name, item, v) for v in value)
    if kind is dict and isinstance(value, str):
        value = _from_json(name, value, "a JSON object such as '{\"parsec\": {\"samples\": 4}}'")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float) and isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{name} must be of type {kind.__name__}; got {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Config:
    """Base class. Subclasses declare typed fields and may override ``validate``."""

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ConfigError(f"unknown parameter {unknown[0]!r} for {cls.__name__}; "
                              f"allowed: {', '.join(names)}")
        config = cls(**{k: _coerce(k, hints[k], v) for k, v in values.items()})
        config.validate()
        return config

    def replace(self, **changes):
        return type(self).from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def validate(self) -> None:
        """Raise ConfigError for values out of range (one line: parameter and what is allowed)."""

    @staticmethod
    def require(condition: bool, name: str, allowed: str, value: Any) -> None:
        if not condition:
            raise ConfigError(f"{name} must be {allowed}; got {_short(value)}")

    def require_seeds(self, name: str = "seeds") -> None:
        """The seed rule of every command: 1 to MAX_SEEDS distinct integers in [0, 2**32)."""
        seeds = getattr(self, name)
        self.require(1 <= len(seeds) <= MAX_SEEDS and len(set(seeds)) == len(seeds)
                     and all(0 <= s < SEED_LIMIT for s in seeds), name,
                     f"1 to {MAX_SEEDS} distinct integers in [0, 2**32) (each trial is held in memory)", seeds)


def check_seed(name: str, value: Any) -> int:
    """One seed by the common rule, else a one-line ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEED_LIMIT:
        raise ConfigError(f"{name} must be {SEED_RULE}; got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
