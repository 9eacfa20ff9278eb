"""The part of every search configuration that concerns strategies: which ones run, and
their options (each strategy's keyword-only constructor arguments, checked against them)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .. import strategies
from ..config import Config, ConfigError


def merge_options(*layers: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Per-strategy options, later layers over earlier ones, option by option."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for name, options in (layer or {}).items():
            earlier = merged.get(name, {})
            both = isinstance(options, dict) and isinstance(earlier, dict)
            merged[name] = {**earlier, **options} if both else options  # a non-mapping is left for validate
    return merged


@dataclass(frozen=True)
class StrategyConfig(Config):
    """Base of the toy, CIFAR-10 and PTB configurations."""

    strategies: tuple[str, ...] = tuple(strategies.SPARSE)
    # {strategy: {option: value}} over the strategies' own defaults (the paper's settings),
    # e.g. {"parsec": {"samples": 4}}; `python -m advnas strategies --json` lists the options.
    strategy_options: dict = field(default_factory=dict)
    # Settings added after results were first stored: a run's configuration records them only
    # when they differ from their default, so that the runs stored before keep their identity.
    # (No annotation: a class attribute, not a setting.)
    RECORDED_UNLESS_DEFAULT = ()

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        if isinstance(values.get("strategy_options"), dict):
            default = cls.__dataclass_fields__["strategy_options"].default_factory()
            values = {**values, "strategy_options": merge_options(default, values["strategy_options"])}
        return super().from_dict(values)

    def validate(self) -> None:
        names = list(strategies.STRATEGIES)
        unknown = [s for s in self.strategies if s not in names]
        self.require(not unknown and len(set(self.strategies)) == len(self.strategies), "strategies",
                     f"a non-empty list of distinct names from {', '.join(names)}", list(self.strategies))
        for name, options in self.strategy_options.items():
            self.require(name in names, "strategy_options", f"keyed by strategy names from {', '.join(names)}", name)
            self.require(isinstance(options, dict), f"strategy_options[{name!r}]",
                         "a mapping of option names to values", options)
            try:
                strategies.check_options(name, options)
            except ValueError as error:
                raise ConfigError(f"strategy_options: {error}") from None

    def options_for(self, name: str) -> dict[str, Any]:
        """Every option of ``name`` (its defaults with this configuration's values on top)."""
        return strategies.check_options(name, self.strategy_options.get(name, {}))

    def recorded(self, config: dict[str, Any]) -> dict[str, Any]:
        """``config`` without the settings recorded only when changed, where at their defaults
        (a setting added later leaves the stored runs' identity as it was)."""
        return {k: v for k, v in config.items()
                if not (k in self.RECORDED_UNLESS_DEFAULT and v == self.default_of(k))}

    @classmethod
    def default_of(cls, name: str) -> Any:
        """A setting's default (a mutable one's from its factory)."""
        spec = cls.__dataclass_fields__[name]
        return spec.default_factory() if spec.default is dataclasses.MISSING else spec.default

    def run_config(self, name: str, seed: int | None = None) -> dict[str, Any]:
        """The stored configuration of one run: every setting, one strategy with all its options
        (so that another strategy's options do not change this run's identity)."""
        config = self.recorded({**self.to_dict(), "strategies": [name],
                                "strategy_options": {name: self.options_for(name)}})
        if seed is not None:
            config["seeds"] = [seed]
        return config
