"""A verdict on one claim of the paper, as data: the claim, its outcome, the evidence in words,
and the numbers behind it (n, estimate, interval) with the rule that turned them into the outcome.

Every chapter's report returns its verdicts as ``Verdict`` objects; the chapter shows them as
Markdown (``markdown``: "**<claim>: <outcome>.** <evidence>") and the scorecard reads their
fields, never their text.

Outcomes are those of ``advnas.stats``: "holds", "fails", "inconclusive at n = N", or "untested
…" with the reason (no stored run, no paired trials).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from . import stats

KINDS = ("holds", "fails", "inconclusive", "untested")
NO_VERDICT = "No claim could be tested in these runs."


def kind_of(outcome: str) -> str:
    """holds, fails, inconclusive or untested: the outcome without its n or reason."""
    found = next((k for k in KINDS if outcome == k or outcome.startswith(k + " ")), None)
    if found is None:
        raise ValueError(f"an outcome is one of {', '.join(KINDS)} (with its n or reason); got {outcome!r}")
    return found


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One claim tested against stored runs."""

    claim: str  # the claim in our words, as the chapter states it (``claims.find`` matches it)
    outcome: str  # "holds", "fails", "inconclusive at n = N" or "untested (reason)"
    evidence: str = ""  # the numbers behind the outcome, in words (may be empty for an untested claim)
    rule: str  # the decision rule in one sentence, e.g. "holds when the 95 % interval lies above zero"
    comparison: str  # what is compared, e.g. "AdvantageNAS minus each rival, paired by seed"
    # The most trials (pairs, seeds, cases, draws) behind any part of the verdict: the largest
    # "n = K" that the outcome and evidence state; None where they state none (an exact
    # computation, a benchmark's medians, an outcome that needs no count).
    n: int | None = None
    # The number the rule judges, in the units of ``comparison``. For a claim tested against
    # several rivals, that of the comparison that decides the outcome (``report.deciding``: the
    # first that fails, else the inconclusive one with the fewest pairs, else the one whose
    # interval lies nearest zero); None where two numbers decide together.
    estimate: float | None = None
    interval: tuple[float, float] | None = None  # (low, high) of ``estimate``; None where none exists (n < 2)
    # Whether more search trials would tighten it (the scorecard prices them for an inconclusive
    # verdict); False where n counts something else, such as a benchmark's repeats.
    priced: bool = True

    def __post_init__(self):
        kind_of(self.outcome)  # rejects an outcome that is not one of the four kinds

    @property
    def kind(self) -> str:
        """holds, fails, inconclusive or untested."""
        return kind_of(self.outcome)

    def markdown(self) -> str:
        """The chapter's line: "**<claim>: <outcome>.** <evidence>"."""
        head = f"**{self.claim}: {self.outcome}.**"
        return f"{head} {self.evidence}" if self.evidence else head

    def _repr_markdown_(self) -> str:
        return self.markdown()


def interval_fields(iv: stats.Interval | None) -> dict:
    """``estimate`` and ``interval`` of a Verdict from a ``stats.Interval`` (no interval at n < 2)."""
    if iv is None:
        return {"estimate": None, "interval": None}
    has_interval = iv.n >= 2 and not (math.isnan(iv.low) or math.isnan(iv.high))
    return {"estimate": iv.mean, "interval": (iv.low, iv.high) if has_interval else None}


def markdown_list(verdicts: Iterable[Verdict], empty: str = NO_VERDICT) -> str:
    """The verdicts as a Markdown bullet list, one per claim (``empty`` when there are none)."""
    lines = [f"* {v.markdown()}" for v in verdicts]
    return "\n".join(lines) if lines else empty
