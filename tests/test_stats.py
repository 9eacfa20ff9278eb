"""The intervals and verdicts every chapter's claims are judged by."""

import math
import random

import pytest

from advnas import stats


@pytest.mark.parametrize("df, quantile", [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (29, 2.0452)])
def test_t_quantiles_match_the_tables(df, quantile):
    assert stats.t_quantile(0.975, df) == pytest.approx(quantile, abs=2e-4)


def test_t_cdf_is_symmetric_and_tends_to_the_normal():
    assert stats.t_cdf(0.0, 3) == pytest.approx(0.5)
    assert stats.t_cdf(-1.3, 5) == pytest.approx(1 - stats.t_cdf(1.3, 5))
    assert stats.t_cdf(1.96, 2000) == pytest.approx(0.975, abs=1e-3)


def test_interval_of_known_values():
    iv = stats.interval([1.0, 2.0, 3.0])
    assert (iv.n, iv.mean, iv.sd) == (3, 2.0, 1.0)
    half = 4.3027 / math.sqrt(3)
    assert iv.low == pytest.approx(2 - half, abs=1e-3) and iv.high == pytest.approx(2 + half, abs=1e-3)
    one = stats.interval([5.0])
    assert one.n == 1 and math.isnan(one.low) and "no interval" in one.text()


def test_coverage_of_the_t_interval_is_about_95_percent():
    """2000 samples of n = 4 normal values: the interval covers the true mean in 95 % of them,
    within 4 standard errors of a proportion."""
    rng = random.Random(0)
    trials = 2000
    covered = 0
    for _ in range(trials):
        iv = stats.interval([rng.gauss(1.0, 2.0) for _ in range(4)])
        covered += iv.low < 1.0 < iv.high
    se = math.sqrt(0.95 * 0.05 / trials)
    assert abs(covered / trials - 0.95) < 4 * se


def test_paired_comparison_uses_shared_seeds_only():
    a, b = {0: 3.0, 1: 4.0, 2: 5.0, 7: 100.0}, {0: 2.0, 1: 3.0, 2: 3.5}
    iv = stats.paired(a, b)
    assert iv.n == 3 and iv.mean == pytest.approx((1 + 1 + 1.5) / 3)
    with pytest.raises(ValueError, match="shared seed"):
        stats.paired({0: 1.0}, {1: 1.0})


def test_verdicts_hold_fail_or_are_inconclusive():
    assert stats.verdict(stats.interval([1.0, 1.1, 0.9, 1.05])) == "holds"
    assert stats.verdict(stats.interval([1.0, 1.1, 0.9, 1.05]), "less") == "fails"
    assert stats.verdict(stats.interval([1.0, -1.1, 0.9, -1.05])) == "inconclusive at n = 4"
    assert stats.verdict(stats.interval([2.0])) == "inconclusive at n = 1"
    with pytest.raises(ValueError, match="claimed"):
        stats.verdict(stats.interval([1.0, 2.0]), "bigger")


def test_a_bounded_interval_is_clipped_to_the_range_and_says_so():
    values = [80.0, 99.0, 99.5]  # a t interval of these passes 100
    free, clipped = stats.interval(values), stats.bounded(values, 0.0, 100.0)
    assert free.high > 100 and not free.clipped
    assert clipped.high == 100.0 and clipped.low == free.low and clipped.clipped
    assert (clipped.n, clipped.mean, clipped.sd) == (free.n, free.mean, free.sd)
    assert clipped.text(1).endswith(", 100.0]")
    low = stats.bounded([0.01, 0.02, 0.9], lower=0.0)  # a parameter count: at least 0
    assert stats.interval([0.01, 0.02, 0.9]).low < 0 and low.low == 0.0 and low.clipped
    inside = stats.bounded([50.0, 51.0, 52.0], 0.0, 100.0)
    assert not inside.clipped and inside == stats.interval([50.0, 51.0, 52.0])
    one = stats.bounded([99.0], 0.0, 100.0)
    assert one.n == 1 and math.isnan(one.high) and not one.clipped
    with pytest.raises(ValueError, match="outside the range"):
        stats.bounded([101.0, 99.0], 0.0, 100.0)
    with pytest.raises(ValueError, match="lower <= upper"):
        stats.bounded([1.0, 2.0], 3.0, 2.0)


def test_a_value_at_the_end_of_the_range_up_to_float32_rounding_is_in_it():
    uniform = math.log(4)  # a float32 entropy of a uniform distribution lands just above ln 4
    iv = stats.bounded([uniform + 4e-9, uniform - 0.1, uniform - 0.2], 0.0, uniform)
    assert iv.high == uniform and iv.clipped


def test_equivalence_is_two_one_sided_tests_on_the_90_percent_interval():
    """App. G's "comparable within ±1 point": holds inside the margin, fails wholly outside,
    inconclusive when the interval overlaps a margin (an interval crossing -1 is not a failure)."""
    inside = [0.2, -0.1, 0.3, 0.0, 0.1]
    verdict, iv = stats.equivalence(stats.interval(inside), 1.0)
    assert verdict == stats.HOLDS and iv.level == 0.90 and -1 < iv.low < iv.high < 1
    half = stats.t_quantile(0.95, 4) * iv.sd / 5 ** 0.5
    assert iv.high - iv.mean == pytest.approx(half)
    assert stats.equivalence(stats.interval([-2.5, -2.2, -2.4, -2.6]), 1.0)[0] == stats.FAILS
    overlapping = [-1.98 + d for d in (-0.6, 0.0, 0.6)]  # mean -1.98, interval reaching inside -1
    verdict, iv = stats.equivalence(stats.interval(overlapping), 1.0)
    assert iv.low < -1 < iv.high and verdict == "inconclusive at n = 3"
    assert stats.equivalence(stats.interval([0.3]), 1.0)[0] == "inconclusive at n = 1"
    with pytest.raises(ValueError, match="margin must be a positive number"):
        stats.equivalence(stats.interval(inside), 0)


def test_non_inferiority_holds_below_the_margin_fails_above_it_and_is_inconclusive_across_it():
    from advnas.stats import interval, non_inferiority

    assert non_inferiority(interval([-0.02, -0.01, -0.015, -0.012]), 0.01)[0] == "holds"
    assert non_inferiority(interval([0.03, 0.04, 0.035, 0.032]), 0.01)[0] == "fails"
    verdict, iv = non_inferiority(interval([-0.05, 0.04, -0.02, 0.03]), 0.01)
    assert verdict == "inconclusive at n = 4" and iv.level == 0.90 and iv.low < 0.01 < iv.high
    assert non_inferiority(interval([0.5]), 0.01)[0] == "inconclusive at n = 1"
