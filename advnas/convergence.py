"""Whether a search converged: how far mu(theta) concentrated and whether its argmax settled.

Read from a search's per-epoch log (columns ``phase``, ``entropy``, ``argmax_arch``; the
search rows only). The targets of the `cpu` profiles are stated here once; the chapters and
the convergence benchmark (benchmarks/convergence.py) print the measured values beside them.
"""

from __future__ import annotations

import math

import pandas as pd

#: CIFAR-10: AdvantageNAS's final mean entropy per edge at most this (nats; uniform over 4
#: operations is ln 4 = 1.386), and its argmax unchanged over the last quarter of the search
#: in at least this share of its trials.
CIFAR_ENTROPY_TARGET = 1.25
CIFAR_STABLE_SHARE_TARGET = 2 / 3
#: PTB: AdvantageNAS's final mean entropy at least this far below the uniform maximum (nats).
PTB_ENTROPY_DROP_TARGET = 0.15
LAST_FRACTION = 0.25


def search_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """The rows of the search epochs (after warm-up, before any retraining)."""
    return metrics[metrics.phase == "search"]


def final_entropy(metrics: pd.DataFrame) -> float:
    return float(search_rows(metrics).entropy.iloc[-1])


def argmax_stable(metrics: pd.DataFrame, fraction: float = LAST_FRACTION) -> bool:
    """True when the argmax architecture did not change over the last ``fraction`` of the
    search epochs (at least the last two epochs are compared)."""
    archs = search_rows(metrics).argmax_arch.tolist()
    last = max(2, math.ceil(fraction * len(archs)))
    return len(set(archs[-last:])) == 1


def argmax_changes(metrics: pd.DataFrame) -> int:
    """How many times the argmax architecture changed from one search epoch to the next."""
    archs = search_rows(metrics).argmax_arch.tolist()
    return sum(a != b for a, b in zip(archs, archs[1:]))
