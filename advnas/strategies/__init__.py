"""The search strategies on one interface (see base.py), and their registry.

The registry below is the only list of strategy names in the project: the command line,
the configurations, the run list and the reports read it. A new strategy is one file in
this package plus one line here.
"""

from __future__ import annotations

import inspect
from typing import Any

from .advantage import AdvantageNAS
from .base import Draw, Properties, Strategy
from .gdas import GDAS
from .parsec import Parsec
from .proxyless import ProxylessNAS
from .random_search import RandomSearch
from .reinforce import Reinforce
from .relaxed import DARTS, NASP, SNAS

# Table 1's order: dense first, then sparse, AdvantageNAS last. Strategies the paper does not
# evaluate (``in_paper`` False: random search) are listed after the paper's (``names``).
STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in [
    DARTS, SNAS, NASP, ProxylessNAS, Parsec, GDAS, Reinforce, AdvantageNAS,
    RandomSearch,
]}


def names(propagation: str | None = None, *, paper_only: bool = True) -> list[str]:
    """Registered names in Table 1's order: all, or those of one propagation ("sparse" or
    "dense"). Only those the paper evaluates (``in_paper``) unless ``paper_only`` is False; the
    others (random search) then follow the paper's, in registry order."""
    chosen = [n for n, c in STRATEGIES.items()
              if (propagation is None or c.properties.propagation == propagation) and (c.in_paper or not paper_only)]
    return sorted(chosen, key=lambda n: not STRATEGIES[n].in_paper)


SPARSE = names("sparse")  # the paper's sparse-propagation strategies (Table 2's rows)
DENSE = names("dense")
PROPOSED = next(n for n, c in STRATEGIES.items() if c.proposed)  # AdvantageNAS


def strategy_class(name: str) -> type[Strategy]:
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}")
    return STRATEGIES[name]


def option_defaults(name: str) -> dict[str, Any]:
    """A strategy's options (its keyword-only constructor arguments) and their defaults."""
    signature = inspect.signature(strategy_class(name).__init__)
    return {p.name: p.default for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY}


def check_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` completed with the defaults; an unknown option raises ValueError (one line)."""
    defaults = option_defaults(name)
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        allowed = ", ".join(defaults) or "none"
        raise ValueError(f"strategy {name!r} has no option {unknown[0]!r}; its options: {allowed}")
    return {**defaults, **options}


def make(name: str, total_steps: int, generator=None, zero_op: int | None = None, **options) -> Strategy:
    return strategy_class(name)(total_steps, generator, zero_op, **check_options(name, options))


def label(name: str) -> str:
    """The display name of a strategy (its registered label; the name itself otherwise)."""
    return STRATEGIES[name].label if name in STRATEGIES else name


def table1() -> list[dict]:
    """Table 1 of the paper, generated from the strategies' declared properties, with a row
    for every registered strategy (``in_paper`` False for those the paper does not evaluate)."""
    return [{"name": name, "method": cls.label, "propagation": cls.properties.propagation,
             "a_i": cls.properties.hot, "stochastic": cls.properties.stochastic,
             "theoretical_guarantee": cls.properties.theoretical_guarantee,
             "final_architecture": cls.properties.final, "in_paper": cls.in_paper}
            for name, cls in ((n, STRATEGIES[n]) for n in names(paper_only=False))]


__all__ = ["STRATEGIES", "SPARSE", "DENSE", "PROPOSED", "Draw", "Properties", "Strategy", "make", "names",
           "strategy_class", "option_defaults", "check_options", "label", "table1",
           "AdvantageNAS", "DARTS", "GDAS", "NASP", "Parsec", "ProxylessNAS", "RandomSearch", "Reinforce", "SNAS"]
