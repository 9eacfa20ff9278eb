"""The eight search strategies of the paper on one interface (see base.py)."""

from __future__ import annotations

from .advantage import AdvantageNAS
from .base import Draw, Properties, Strategy
from .gdas import GDAS
from .parsec import Parsec
from .proxyless import ProxylessNAS
from .reinforce import Reinforce
from .relaxed import DARTS, NASP, SNAS

# Table 1's order: dense first, then sparse, AdvantageNAS last.
STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in [
    DARTS, SNAS, NASP, ProxylessNAS, Parsec, GDAS, Reinforce, AdvantageNAS]}
SPARSE = [n for n, c in STRATEGIES.items() if c.properties.propagation == "sparse"]


def strategy_class(name: str) -> type[Strategy]:
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")
    return STRATEGIES[name]


def make(name: str, total_steps: int, generator=None, **options) -> Strategy:
    return strategy_class(name)(total_steps, generator, **options)


def table1() -> list[dict]:
    """Table 1 of the paper, generated from the strategies' declared properties."""
    return [{"name": name, "method": cls.label, "propagation": cls.properties.propagation,
             "a_i": cls.properties.hot, "stochastic": cls.properties.stochastic,
             "theoretical_guarantee": cls.properties.theoretical_guarantee,
             "final_architecture": cls.properties.final} for name, cls in STRATEGIES.items()]


__all__ = ["STRATEGIES", "SPARSE", "Draw", "Properties", "Strategy", "make", "strategy_class", "table1",
           "AdvantageNAS", "DARTS", "GDAS", "NASP", "Parsec", "ProxylessNAS", "Reinforce", "SNAS"]
