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

CANDIDATE_THETA_LRS = (0.1, 0.3, 1.0)
TUNING_SEEDS = (100,)  # apart from every reported trial's seed (0-9)
TUNED = (*strategies.SPARSE, *strategies.DENSE)  # the paper's eight; random search has no theta


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


def tuning_jobs(profile: str = "cpu", seeds: Iterable[int] = TUNING_SEEDS,
                rates: Iterable[float] = CANDIDATE_THETA_LRS):
    """Every tuning search as a job of the run list (seeds outermost, then rates)."""
    from ..jobs import Job

    return [Job(chapter_of(name), profile, name, seed, overrides=(("theta_lr", float(rate)),))
            for seed in seeds for rate in rates for name in TUNED]
