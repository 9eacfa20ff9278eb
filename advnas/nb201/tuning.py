"""Theta's learning rate chosen per strategy by one rule (the `cpu` profile's fairness check).

The `cpu` profile runs a tenth of the paper's theta steps, so theta's learning rate is raised
above the paper's 3e-4. Every strategy gets the same candidates, each searched on tuning seeds
that no reported trial uses, with every other setting of the profile unchanged; the rule:

1. a candidate *converges* when every tuning seed ends with mean entropy per edge at most
   ``convergence.CIFAR_ENTROPY_TARGET`` and its argmax unchanged over the last quarter of the
   search (``convergence.argmax_stable``);
2. among converging candidates the one with the highest mean NAS-Bench-201 test accuracy of the
   final argmax cell is chosen (ties: the smaller rate);
3. when none converges, the one with the lowest mean final entropy (the closest to converging).

The tuning searches are ordinary stored runs of the CIFAR-10 experiment (seed and theta_lr in
their configuration), so the reported runs at a chosen rate equal to the profile's keep their
identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from .. import strategies
from ..convergence import CIFAR_ENTROPY_TARGET, argmax_stable, final_entropy
from ..store import ResultsStore, Run
from .search_config import NB201SearchConfig

CANDIDATE_THETA_LRS = (0.1, 0.3, 1.0)
TUNING_SEEDS = (100,)  # apart from every reported trial's seed (0-9)
TUNED = (*strategies.SPARSE, *strategies.DENSE)  # the paper's eight; random search has no theta
CHAPTER = "nb201"  # the run-list chapter that shows the tuning (its table)
BUDGET_HOURS = 3.0  # compute budget of all tuning searches together, on a 2-core machine (advnas/budget.py)


@dataclass(frozen=True)
class Candidate:
    strategy: str
    theta_lr: float
    final_entropy: tuple[float, ...]  # one per tuning seed
    stable: tuple[bool, ...]
    accuracy: tuple[float, ...]  # test accuracy of the final argmax cell (%)

    @property
    def converged(self) -> bool:
        return all(e <= CIFAR_ENTROPY_TARGET for e in self.final_entropy) and all(self.stable)

    @property
    def mean_entropy(self) -> float:
        return sum(self.final_entropy) / len(self.final_entropy)

    @property
    def mean_accuracy(self) -> float:
        return sum(self.accuracy) / len(self.accuracy)


def choose(candidates: Iterable[Candidate]) -> Candidate:
    """The rule of this module's docstring, over one strategy's candidates."""
    candidates = sorted(candidates, key=lambda c: c.theta_lr)
    if not candidates:
        raise ValueError("choose needs at least one candidate")
    converging = [c for c in candidates if c.converged]
    if converging:
        return max(converging, key=lambda c: (c.mean_accuracy, -c.theta_lr))
    return min(candidates, key=lambda c: (c.mean_entropy, c.theta_lr))


def candidate(strategy: str, theta_lr: float, runs: list[tuple[pd.DataFrame, dict]]) -> Candidate:
    """A candidate from its tuning runs, each (per-epoch metrics, summary)."""
    return Candidate(strategy, theta_lr,
                     tuple(final_entropy(m) for m, _ in runs),
                     tuple(argmax_stable(m) for m, _ in runs),
                     tuple(float(s["final_accuracy"]) for _, s in runs))


def chapter_of(strategy: str) -> str:
    """The run-list chapter whose profile searches ``strategy`` (the dense ones: chapter 6's)."""
    return "dense" if strategy in strategies.DENSE else "nb201"


# Reading the stored tuning searches (never computing them: scripts/tune_theta_lr.py does) ----

def stored(cfg: NB201SearchConfig, profile: str, seeds: Iterable[int] = TUNING_SEEDS,
           rates: Iterable[float] = CANDIDATE_THETA_LRS,
           store: ResultsStore | None = None) -> dict[tuple[str, float], list[Run | None]]:
    """{(strategy, rate): the finished tuning run of each seed, None where not stored}. ``cfg`` is
    the reported profile's configuration (chapter 3's); a tuning search is it at one rate and seed."""
    store = store or ResultsStore()
    found = {}
    for name in TUNED:
        for rate in rates:
            at_rate = cfg.replace(theta_lr=float(rate), theta_lr_by_strategy={})
            found[(name, float(rate))] = [store.stored("nb201", profile, f"{name}-seed{seed}",
                                                       at_rate.run_config(name, seed)) for seed in seeds]
    return found


def candidates(found: dict[tuple[str, float], list[Run | None]]) -> dict[str, list[Candidate]]:
    """Each strategy's candidates whose tuning runs are all stored."""
    out: dict[str, list[Candidate]] = {}
    for (name, rate), runs in found.items():
        if runs and all(r is not None for r in runs):
            out.setdefault(name, []).append(candidate(name, rate, [(r.metrics, r.summary) for r in runs]))
    return out


def chosen_rates(found: dict[tuple[str, float], list[Run | None]]) -> dict[str, float]:
    """The rule's rate for every strategy whose candidates are all stored."""
    complete = {name for name in TUNED
                if all(all(r is not None for r in runs) for (n, _), runs in found.items() if n == name)}
    return {name: choose(cands).theta_lr for name, cands in candidates(found).items() if name in complete}


def table(found: dict[tuple[str, float], list[Run | None]], cfg: NB201SearchConfig) -> pd.DataFrame:
    """One row per (strategy, candidate rate): final entropy per edge and argmax stability per
    tuning seed beside the target, the accuracy, whether it converged, and which rate the rule
    chooses and the profile uses."""
    chosen = chosen_rates(found)
    rows = []
    for (name, rate), runs in found.items():
        done = [r for r in runs if r is not None]
        cand = candidate(name, rate, [(r.metrics, r.summary) for r in done]) if done else None
        rows.append({
            "strategy": strategies.label(name), "θ lr": rate,
            "tuning runs": f"{len(done)} of {len(runs)}",
            f"final entropy (target ≤ {CIFAR_ENTROPY_TARGET:g})":
                ", ".join(f"{e:.3f}" for e in cand.final_entropy) if cand else "–",
            "argmax stable": ", ".join("yes" if s else "no" for s in cand.stable) if cand else "–",
            "accuracy (%)": ", ".join(f"{a:.2f}" for a in cand.accuracy) if cand else "–",
            "converged": ("yes" if cand.converged else "no") if cand and len(done) == len(runs) else "–",
            "rule's choice": "✓" if chosen.get(name) == rate else "",
            "profile's rate": "✓" if cfg.theta_lr_of(name) == rate else "",
        })
    return pd.DataFrame(rows)


def status_sentence(found: dict[tuple[str, float], list[Run | None]], cfg: NB201SearchConfig,
                    profile: str = "cpu") -> str:
    """Which strategies' rates the rule has chosen, which converge under their chosen rate, and
    whether the profile searches each strategy at its chosen rate."""
    chosen = chosen_rates(found)
    missing = sum(r is None for runs in found.values() for r in runs)
    total = sum(len(runs) for runs in found.values())
    by_name = candidates(found)
    parts = [f"{total - missing} of {total} tuning searches are stored."]
    if chosen:
        never = [strategies.label(n) for n in chosen if not any(c.converged for c in by_name[n])]
        parts.append("The rule chooses " + ", ".join(f"{strategies.label(n)} {r:g}" for n, r in chosen.items())
                     + "." + (f" {' and '.join(never)} {'converges' if len(never) == 1 else 'converge'} under no "
                              "candidate rate (the rate chosen is the one with the lowest final entropy)."
                              if never else ""))
        differ = [n for n, r in chosen.items() if cfg.theta_lr_of(n) != r]
        parts.append("The profile searches every strategy with a chosen rate at that rate." if not differ else
                     "The profile does not yet search " + ", ".join(
                         f"{strategies.label(n)} at {chosen[n]:g} (it uses {cfg.theta_lr_of(n):g})" for n in differ)
                     + ": the reported runs of this page are at the profile's rates.")
    if missing:
        parts.append(f"The missing ones are computed by `python scripts/tune_theta_lr.py --profile {profile} "
                     "--workers 2`.")
    return " ".join(parts)
