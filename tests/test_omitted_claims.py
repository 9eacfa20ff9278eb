"""The five omitted claims: each rule's outcomes on small synthetic frames with known answers,
the cell parser, the Clopper–Pearson interval, and the verdicts read from the stored cpu runs."""

import math
import re

import pandas as pd
import pytest

from advnas import omitted_claims as oc
from advnas import paths, store
from advnas.runlist import RUNLIST
from advnas.verdict import Verdict

FOUR = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
TWO_NONE = "|none~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
RIVALS = ["proxyless", "parsec", "gdas", "reinforce"]


# The exact binomial interval and the cell parser -----------------------------------------------

def test_clopper_pearson_matches_known_values():
    low, high = oc.clopper_pearson(0, 3)
    assert low == 0 and high == pytest.approx(1 - 0.025 ** (1 / 3), abs=1e-9)  # 0.708
    assert high == pytest.approx(0.708, abs=5e-4)
    low, high = oc.clopper_pearson(3, 3)
    assert high == 1 and low == pytest.approx(0.025 ** (1 / 3), abs=1e-9)
    low, high = oc.clopper_pearson(5, 10)  # R: binom.test(5, 10)$conf.int
    assert (low, high) == pytest.approx((0.187086, 0.812914), abs=1e-5)
    low, high = oc.clopper_pearson(1, 20)
    assert (low, high) == pytest.approx((0.001265, 0.248726), abs=1e-5)
    with pytest.raises(ValueError):
        oc.clopper_pearson(4, 3)


def test_binomial_cdf():
    assert oc.binomial_cdf(1, 3, 0.5) == pytest.approx(0.5)
    assert oc.binomial_cdf(-1, 3, 0.5) == 0 and oc.binomial_cdf(3, 3, 0.2) == 1
    assert oc.binomial_cdf(0, 4, 0.1) == pytest.approx(0.9 ** 4)


def test_zero_edges_counts_the_none_edges_of_a_cell():
    assert oc.zero_edges(FOUR) == (0, 6)
    assert oc.zero_edges(TWO_NONE) == (2, 6)
    all_none = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert oc.zero_edges(all_none) == (6, 6)


# 1. App. B ----------------------------------------------------------------------------------------

def summaries(archs):
    return pd.DataFrame({"strategy": "advantage", "seed": range(len(archs)), "argmax_arch": archs})


def test_zero_op_fails_on_one_counterexample_and_is_inconclusive_with_few_trials():
    verdict = oc.zero_op_selection_verdict(summaries([FOUR, TWO_NONE, FOUR]))
    assert verdict.outcome == "fails"
    assert "2 of 18 edges" in verdict.evidence and "seed 1: 2" in verdict.evidence
    verdict = oc.zero_op_selection_verdict(summaries([FOUR] * 3))
    assert verdict.outcome == "inconclusive at n = 3"  # 0 of 18: upper bound 18.5 %
    assert "[0.0 %, 18.5 %]" in verdict.evidence
    assert verdict.n == 3 and verdict.estimate == 0 and verdict.interval == pytest.approx((0.0, 0.185), abs=5e-4)


def test_zero_op_holds_when_no_edge_of_enough_trials_is_none():
    # 0 of 6n edges: upper bound 1 - 0.025^(1/6n) < 10 % from 6n = 36 on
    assert oc.zero_op_selection_verdict(summaries([FOUR] * 6)).outcome == "holds"
    assert oc.zero_op_selection_verdict(summaries([FOUR] * 5)).outcome == "inconclusive at n = 5"


def test_zero_op_ignores_other_strategies_and_the_labelled_control():
    frame = pd.concat([summaries([FOUR] * 6), pd.DataFrame({"strategy": ["reinforce"], "seed": [0],
                                                             "argmax_arch": [TWO_NONE]})])
    assert oc.zero_op_selection_verdict(frame).outcome == "holds"
    control = summaries([TWO_NONE]).assign(label="AdvantageNAS without Eq. (9)")
    assert oc.zero_op_selection_verdict(pd.concat([frame.assign(label=None), control])).outcome == "holds"
    assert oc.zero_op_selection_verdict(frame[frame.strategy != "advantage"]).outcome.startswith("untested")


# 2. App. F ----------------------------------------------------------------------------------------

def params(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": name, "seed": seed, "argmax_params_mb": v}
                         for name, vs in values.items() for seed, v in enumerate(vs)])


FOUR_OPS = params({name: [1.0, 1.0, 1.0] for name in [*RIVALS, "advantage", "random"]})


def test_params_change_holds_when_the_rivals_shrink_and_advantagenas_shrinks_less():
    with_none = params({**{name: [0.2, 0.3, 0.25] for name in RIVALS}, "advantage": [0.95, 1.0, 1.02],
                        "random": [5.0, 5.0, 5.0]})
    verdict = oc.params_change_verdict(with_none, FOUR_OPS)
    assert verdict.outcome == "holds"
    assert "n = 3" in verdict.evidence and "AdvantageNAS -0.010" in verdict.evidence
    assert "ProxylessNAS -0.750" in verdict.evidence and "Random" not in verdict.evidence
    assert verdict.n == 3 and verdict.estimate is None  # two intervals decide together


def test_params_change_fails_when_the_rivals_grow_or_advantagenas_shrinks_more():
    grow = params({**{name: [1.5, 1.6, 1.55] for name in RIVALS}, "advantage": [1.5, 1.6, 1.55]})
    assert oc.params_change_verdict(grow, FOUR_OPS).outcome == "fails"
    ours_more = params({**{name: [0.5, 0.6, 0.55] for name in RIVALS}, "advantage": [0.1, 0.2, 0.12]})
    assert oc.params_change_verdict(ours_more, FOUR_OPS).outcome == "fails"


def test_params_change_is_inconclusive_when_an_interval_spans_zero():
    mixed = params({**{name: [0.2, 0.3, 0.25] for name in RIVALS}, "advantage": [0.1, 1.0, 0.6]})
    assert oc.params_change_verdict(mixed, FOUR_OPS).outcome == "inconclusive at n = 3"
    one_seed = params({**{name: [0.2] for name in RIVALS}, "advantage": [1.0]})
    assert oc.params_change_verdict(one_seed, FOUR_OPS).outcome == "inconclusive at n = 1"


# 3. Footnote 5 ------------------------------------------------------------------------------------

def proxyless(accuracies):
    return pd.DataFrame({"strategy": "proxyless", "seed": range(len(accuracies)), "argmax_accuracy": accuracies})


def test_collapse_rate_outcomes():
    verdict = oc.proxyless_collapse_verdict(proxyless([10.0] * 6))
    assert verdict.outcome == "holds"  # 6 of 6: lower bound 54 %
    assert "6 of n = 6" in verdict.evidence and "10.00 ± 0.00 %" in verdict.evidence
    assert verdict.n == 6 and verdict.estimate == 1 and verdict.interval[0] == pytest.approx(0.541, abs=1e-3)
    assert oc.proxyless_collapse_verdict(proxyless([86.0] * 6)).outcome == "fails"  # upper bound 46 %
    assert oc.proxyless_collapse_verdict(proxyless([10.0, 10.2, 10.4])).outcome == "inconclusive at n = 3"
    verdict = oc.proxyless_collapse_verdict(proxyless([10.0, 92.0, 86.0]))
    assert verdict.outcome == "inconclusive at n = 3" and "1 of n = 3" in verdict.evidence


# 4. App. H ----------------------------------------------------------------------------------------

def entropy_metrics(curves: dict[int, list[float]], warmup: int = 2) -> pd.DataFrame:
    rows = []
    for seed, curve in curves.items():
        for i in range(warmup):
            rows.append({"strategy": "proxyless", "seed": seed, "epoch": i + 1, "phase": "warmup",
                         "search_epoch": i - warmup + 1, "entropy": math.log(4)})
        for i, h in enumerate(curve):
            rows.append({"strategy": "proxyless", "seed": seed, "epoch": warmup + i + 1, "phase": "search",
                         "search_epoch": i + 1, "entropy": h})
    return pd.DataFrame(rows)


def test_entropy_rise_takes_the_middle_and_last_search_rows():
    rise = oc.entropy_rise(entropy_metrics({0: [1.2, 1.0, 0.8, 0.9, 1.1]}))  # middle: row ceil(5/2)-1 = 2
    assert rise.loc[0, "middle"] == 0.8 and rise.loc[0, "rise"] == pytest.approx(0.3)
    rise = oc.entropy_rise(entropy_metrics({0: [1.2, 1.0, 0.8, 0.9]}))  # row ceil(4/2)-1 = 1
    assert rise.loc[0, "middle"] == 1.0 and rise.loc[0, "middle_epoch"] == 2


def test_entropy_rise_outcomes():
    up = {s: [1.2, 0.8, 0.9 + 0.01 * s, 1.0 + 0.02 * s] for s in range(3)}
    verdict = oc.proxyless_entropy_verdict(entropy_metrics(up))
    assert verdict.outcome == "holds"
    assert "search epoch 4 minus epoch 2" in verdict.evidence
    assert "at or below the cpu convergence target" in verdict.evidence
    assert verdict.n == 3 and verdict.interval[0] > 0 and verdict.estimate == pytest.approx(0.22)
    down = {s: [1.38, 1.38, 1.3, 1.30 - 0.005 * s] for s in range(3)}
    verdict = oc.proxyless_entropy_verdict(entropy_metrics(down))
    assert verdict.outcome == "fails" and "above the cpu convergence target" in verdict.evidence
    mixed = {0: [1.0, 0.9, 1.0], 1: [1.0, 0.9, 0.8], 2: [1.0, 0.9, 0.95]}
    assert oc.proxyless_entropy_verdict(entropy_metrics(mixed)).outcome == "inconclusive at n = 3"


# 5. Sec. 5.1 --------------------------------------------------------------------------------------

def recovery(ours: list[int], dense: dict[str, list[int]]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": name, "seed": seed, "iterations": v}
                         for name, vs in {"advantage": ours, **dense}.items() for seed, v in enumerate(vs)])


def test_dense_faster_outcomes():
    ours = [200, 210, 190, 205]
    fast = {"darts": [20, 30, 25, 10], "snas": [50, 60, 40, 55], "nasp": [10, 10, 20, 10]}
    verdict = oc.dense_faster_verdict(recovery(ours, fast), 2000)
    assert verdict.outcome == "holds" and "against NASP" in verdict.evidence and "budget of 2000" in verdict.evidence
    assert verdict.n == 4 and verdict.interval[0] > 0  # the weakest of the three comparisons decides
    slow_snas = {**fast, "snas": [900, 800, 950, 870]}
    assert oc.dense_faster_verdict(recovery(ours, slow_snas)).outcome == "fails"
    noisy_snas = {**fast, "snas": [20, 900, 30, 800]}
    assert oc.dense_faster_verdict(recovery(ours, noisy_snas)).outcome == "inconclusive at n = 4"
    untested = oc.dense_faster_verdict(recovery([], fast))
    assert untested.kind == "untested" and untested.n is None and untested.interval is None


# The stored runs ----------------------------------------------------------------------------------

@pytest.mark.skipif(not (paths.results_dir() / "nb201" / "cpu").is_dir(), reason="no stored cpu runs of nb201")
def test_verdicts_from_the_stored_cpu_runs(monkeypatch):
    read = store.ResultsStore._run

    def read_only(self, folder, *args, **kwargs):  # never compute a missing run here
        if not (folder / "summary.json").is_file() or (folder / store.LOCK).exists():
            pytest.skip(f"a run is not stored (or is being computed): {folder}")
        return read(self, folder, *args, **kwargs)

    monkeypatch.setattr(store.ResultsStore, "_run", read_only)

    def last(chapter, k):  # the chapter's verdicts end with its omitted claims'
        return RUNLIST[chapter].verdicts(RUNLIST[chapter].resolve("cpu"), "cpu")[-k:]

    verdicts = last("zero_op", 3) + last("nb201", 1) + last("toy", 1)
    assert all(isinstance(v, Verdict) for v in verdicts)
    assert [v.claim.split(":")[0] for v in verdicts] == ["App. B", "App. F", "Footnote 5", "App. H", "Sec. 5.1"]
    assert all(re.search(r"\bn = \d+", v.evidence) and "interval" in v.evidence for v in verdicts)
    assert all(v.n is not None and v.rule and v.comparison for v in verdicts)
