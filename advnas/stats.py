"""Uncertainty for the book's verdicts: t intervals of means and of paired differences.

Every table of trials shows n, the mean and a 95 % t interval: mean ± t(0.975, n - 1) · s / √n
with s the sample standard deviation (n - 1 in the denominator). Comparisons between two
strategies are paired by seed (the seed fixes the initial weights and the data order): the
interval is that of the per-seed differences. A claim *holds* only when the interval of the
difference excludes zero in the claimed direction, *fails* when it excludes zero in the other
direction, and is *inconclusive at n = …* otherwise (always at n < 2, where no interval exists).

A t interval is symmetric about the mean and knows nothing of the range a quantity allows: with
few trials, the interval of an accuracy can pass 100 % and that of a parameter count go below 0.
``bounded`` clips an interval to that range (a clipped end is the range's own end), which is how
the tables of means show them; verdicts use the unclipped interval of the paired differences.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Iterable, Mapping

LEVEL = 0.95
HOLDS, FAILS = "holds", "fails"


def _t_density(t: float, df: int) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def t_cdf(x: float, df: int) -> float:
    """P(T <= x) for Student's t with ``df`` degrees of freedom (Simpson's rule on [0, |x|]
    after the substitution t = tan(u), which keeps the heavy tails of small df finite)."""
    if df < 1:
        raise ValueError(f"df must be an integer >= 1; got {df}")
    upper = math.atan(abs(x))
    steps = 2000
    h = upper / steps
    total = 0.0
    for i in range(steps + 1):
        u = i * h
        weight = 1 if i in (0, steps) else (4 if i % 2 else 2)
        total += weight * _t_density(math.tan(u), df) / math.cos(u) ** 2
    area = total * h / 3
    return 0.5 + math.copysign(area, x)


@functools.lru_cache(maxsize=None)
def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t (bisection on ``t_cdf``)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1); got {p}")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, 2 * high
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if t_cdf(mid, df) < p else (low, mid)
    return (low + high) / 2


@dataclass(frozen=True)
class Interval:
    """n values: their mean, sample standard deviation and the t interval of the mean."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    level: float = LEVEL
    clipped: bool = False  # an end was cut at the range the quantity allows (``bounded``)

    def text(self, digits: int = 2) -> str:
        if self.n < 2:
            return f"{self.mean:.{digits}f} (n = 1, no interval)"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """The mean of ``values`` with its t interval (none at n = 1: low = high = nan)."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        raise ValueError("an interval needs at least one value")
    mean = sum(xs) / n
    if n == 1:
        return Interval(1, mean, math.nan, math.nan, math.nan, level)
    return _t_interval(n, mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)), level)


def _t_interval(n: int, mean: float, sd: float, level: float) -> Interval:
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return Interval(n, mean, sd, mean - half, mean + half, level)


def bounded(values: Iterable[float], lower: float | None = None, upper: float | None = None,
            level: float = LEVEL) -> Interval:
    """``interval(values)`` with its ends clipped to [``lower``, ``upper``], the range the
    quantity allows (None: unbounded on that side); ``clipped`` says whether an end was cut.
    The values themselves must lie in the range (up to rounding)."""
    if lower is not None and upper is not None and lower > upper:
        raise ValueError(f"the range must have lower <= upper; got [{lower}, {upper}]")
    xs = [float(v) for v in values]

    def slack(bound: float) -> float:
        return 1e-6 * max(1.0, abs(bound))  # float32 rounding (an entropy computed at ln |J|)

    outside = [x for x in xs if (lower is not None and x < lower - slack(lower))
               or (upper is not None and x > upper + slack(upper))]
    if outside:
        raise ValueError(f"values outside the range [{lower}, {upper}]: {outside[:3]}")
    iv = interval(xs, level)
    if iv.n < 2:
        return iv
    low = iv.low if lower is None else max(iv.low, lower)
    high = iv.high if upper is None else min(iv.high, upper)
    return dataclasses.replace(iv, low=low, high=high, clipped=(low, high) != (iv.low, iv.high))


def paired(a: Mapping[int, float], b: Mapping[int, float], level: float = LEVEL) -> Interval:
    """The interval of a - b over the seeds both have."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("a paired comparison needs at least one shared seed")
    return interval([a[s] - b[s] for s in seeds], level)


def _outcome(iv: Interval, holds: bool, fails: bool) -> tuple[str, Interval]:
    """holds / fails / inconclusive at n = … (always at n < 2), with ``iv``."""
    if iv.n >= 2 and (holds or fails):
        return (HOLDS if holds else FAILS), iv
    return f"inconclusive at n = {iv.n}", iv


def verdict(difference: Interval, claimed: str = "greater") -> str:
    """holds / fails / inconclusive at n = … for the claim difference > 0 (``claimed`` =
    "greater") or difference < 0 ("less")."""
    if claimed not in ("greater", "less"):
        raise ValueError(f"claimed must be 'greater' or 'less'; got {claimed!r}")
    above, below = difference.low > 0, difference.high < 0  # the interval excludes zero on that side
    return _outcome(difference, *((above, below) if claimed == "greater" else (below, above)))[0]


# Equivalence by two one-sided tests (TOST) at 5 % each: the difference lies within the
# margin when its 90 % interval does.
EQUIVALENCE_LEVEL = 0.90


def _one_sided_interval(difference: Interval, margin: float) -> Interval:
    """The 90 % t interval of ``difference``'s data (one-sided tests at 5 %); n = 1 keeps its
    mean with no interval."""
    if not margin > 0:
        raise ValueError(f"margin must be a positive number; got {margin}")
    if difference.n < 2:
        return dataclasses.replace(difference, level=EQUIVALENCE_LEVEL)
    return _t_interval(difference.n, difference.mean, difference.sd, EQUIVALENCE_LEVEL)


def equivalence(difference: Interval, margin: float) -> tuple[str, Interval]:
    """A claim that a difference is within ±``margin`` ("comparable"), by two one-sided tests
    at 5 % each, i.e. the 90 % t interval of the (paired) differences whose mean, sd and n
    ``difference`` holds (at any level): *holds* when that interval lies inside (-margin,
    margin), *fails* when it lies wholly outside, and is *inconclusive at n = …* when it
    overlaps a margin (or n = 1). Returns the verdict and the 90 % interval."""
    iv = _one_sided_interval(difference, margin)
    return _outcome(iv, -margin < iv.low and iv.high < margin, iv.high < -margin or iv.low > margin)


def non_inferiority(difference: Interval, margin: float) -> tuple[str, Interval]:
    """A claim that a difference (ours minus theirs, lower is better) is below +``margin``
    ("competitive with"), by one one-sided test at 5 %, i.e. the upper end of the 90 % t
    interval of the (paired) differences: *holds* when that end lies below the margin, *fails*
    when the whole interval lies above it, *inconclusive at n = …* otherwise (or n = 1).
    Returns the verdict and the 90 % interval."""
    iv = _one_sided_interval(difference, margin)
    return _outcome(iv, iv.high < margin, iv.low > margin)
