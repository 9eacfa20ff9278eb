"""The cost claims of the paper (memory of Sec. 3 and 4, the θ step of Sec. 4.3) judged from the
stored benchmarks against the project's targets (``advnas/report.py``)."""

from __future__ import annotations

import dataclasses

from ..report import (ADVANTAGE_OVER_PLAIN_MEMORY_TARGET, DENSE_OVER_SPARSE_MEMORY_TARGET, THETA_STEP_RATIO_TARGET,
                      proposed_label)
from ..store import ResultsStore
from ..verdict import Verdict, kind_of


def stored_verdicts(profile: str) -> list[Verdict]:
    """The cost claims, from the stored benchmarks (medians against the project's targets); their
    n counts a benchmark's repeats, not search trials (``priced=False``: no price of more trials)."""
    store, ours = ResultsStore(), proposed_label()
    verdicts = []
    memory = store.latest("benchmarks", "memory", profile)
    if memory is not None:
        verdicts += memory_verdicts(memory.summary, ours)
    speed = store.latest("benchmarks", "nb201-speed", profile)
    if speed is not None:
        verdicts.append(theta_step_verdict(speed, ours))
    return [dataclasses.replace(v, priced=False) for v in verdicts]


def memory_verdicts(m: dict, ours: str) -> list[Verdict]:
    """Sec. 4 and Sec. 3, 5.1: the memory benchmark's ratios against the project's targets."""
    plain, dense = m["advantage_over_plain_max"], m["dense_over_sparse_median"]
    return [
        Verdict(claim=f"Sec. 4: {ours} needs the memory of training one sampled architecture",
                outcome="holds" if plain <= ADVANTAGE_OVER_PLAIN_MEMORY_TARGET else "fails",
                evidence=f"Peak memory ÷ plain training of the same cell, at most {plain:.3f} "
                         f"(target ≤ {ADVANTAGE_OVER_PLAIN_MEMORY_TARGET:g}; {m['device']}).",
                rule=f"holds when the largest ratio over the sampled cells is at most "
                     f"{ADVANTAGE_OVER_PLAIN_MEMORY_TARGET:g}",
                comparison=f"{ours}'s peak memory ÷ plain training's of the same sampled cell", estimate=plain),
        Verdict(claim="Sec. 3, 5.1: dense propagation needs several times the memory of sparse",
                outcome="holds" if dense >= DENSE_OVER_SPARSE_MEMORY_TARGET else "fails",
                evidence=f"Dense ÷ sparse peak memory (medians) {dense:.2f} "
                         f"(target ≥ {DENSE_OVER_SPARSE_MEMORY_TARGET:g}).",
                rule=f"holds when the ratio of the medians is at least {DENSE_OVER_SPARSE_MEMORY_TARGET:g}",
                comparison="the dense strategies' median peak memory ÷ the sparse strategies'", estimate=dense),
    ]


def theta_step_verdict(speed, ours: str) -> Verdict:
    """Sec. 4.3: AdvantageNAS's θ step against REINFORCE's as REINFORCE needs it (forward only),
    with the ratio against REINFORCE's step with a backward pass beside it."""
    size, values = max(speed.summary["sizes"].items(), key=lambda kv: int(kv[0].split(",")[0].split("=")[1]))
    forward_only, with_backward = values["advantage_over_reinforce"], values["advantage_over_reinforce_with_backward"]
    repeats = speed.config["settings"]["repeats"]
    outcome = ratio_verdict(forward_only, THETA_STEP_RATIO_TARGET, repeats)
    beside = ratio_verdict(with_backward, THETA_STEP_RATIO_TARGET, repeats)
    evidence = (f"{ours} θ step ÷ REINFORCE's as REINFORCE needs it (a forward pass only, no backward), median "
                f"{forward_only['median']:.3f}, quartiles {_quartiles(forward_only)} at {size} (target ≤ "
                f"{THETA_STEP_RATIO_TARGET:g}: holds when the upper quartile is within it, fails when the lower one "
                "is above it). Beside it, against REINFORCE's step with a backward pass it does not need (the "
                "paper's argument: the gradient comes from a backward pass that is computed anyway), median "
                f"{with_backward['median']:.3f}, quartiles {_quartiles(with_backward)}: {beside}.")
    stated = [o for o in (outcome, beside) if kind_of(o) == "inconclusive"]  # only these state the repeats
    return Verdict(claim="Sec. 4.3: the advantage involves no additional computational cost over REINFORCE's θ step",
                   outcome=outcome, evidence=evidence,
                   rule=f"holds when the upper quartile of the per-repeat ratios is at most {THETA_STEP_RATIO_TARGET:g}, "
                        "fails when the lower quartile is above it, inconclusive otherwise",
                   comparison=f"{ours}'s θ step ÷ REINFORCE's, per repeat, at {size}",
                   n=repeats if stated else None, estimate=forward_only["median"],
                   interval=tuple(forward_only["quartiles"]))


def _quartiles(ratio: dict) -> str:
    low, high = ratio["quartiles"]
    return f"{low:.3f}–{high:.3f}"


def ratio_verdict(ratio: dict, target: float, repeats: int) -> str:
    """A cost ratio against its target: holds when the upper quartile is within it, fails when
    the lower quartile is above it, inconclusive otherwise."""
    low, high = ratio["quartiles"]
    return "holds" if high <= target else "fails" if low > target else f"inconclusive at n = {repeats}"
