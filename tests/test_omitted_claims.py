"""The five omitted claims: each rule's outcomes on small synthetic frames with known answers,
the cell parser, the Clopper–Pearson interval, and the lines read from the stored cpu runs."""

import math
import re

import pandas as pd
import pytest

from advnas import omitted_claims as oc
from advnas import paths, store
from advnas.scorecard import parse

FOUR = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
TWO_NONE = "|none~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
RIVALS = ["proxyless", "parsec", "gdas", "reinforce"]


def verdict(line: str) -> str:
    parsed = parse(line)
    assert parsed is not None, line
    return parsed["verdict"]


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
    line = oc.zero_op_line(summaries([FOUR, TWO_NONE, FOUR]))
    assert verdict(line) == "fails"
    assert "2 of 18 edges" in line and "seed 1: 2" in line
    line = oc.zero_op_line(summaries([FOUR] * 3))
    assert verdict(line) == "inconclusive at n = 3"  # 0 of 18: upper bound 18.5 %
    assert "[0.0 %, 18.5 %]" in line


def test_zero_op_holds_when_no_edge_of_enough_trials_is_none():
    # 0 of 6n edges: upper bound 1 - 0.025^(1/6n) < 10 % from 6n = 36 on
    assert verdict(oc.zero_op_line(summaries([FOUR] * 6))) == "holds"
    assert verdict(oc.zero_op_line(summaries([FOUR] * 5))) == "inconclusive at n = 5"


def test_zero_op_ignores_other_strategies_and_the_labelled_control():
    frame = pd.concat([summaries([FOUR] * 6), pd.DataFrame({"strategy": ["reinforce"], "seed": [0],
                                                             "argmax_arch": [TWO_NONE]})])
    assert verdict(oc.zero_op_line(frame)) == "holds"
    control = summaries([TWO_NONE]).assign(label="AdvantageNAS without Eq. (9)")
    assert verdict(oc.zero_op_line(pd.concat([frame.assign(label=None), control]))) == "holds"
    assert verdict(oc.zero_op_line(frame[frame.strategy != "advantage"])).startswith("untested")


# 2. App. F ----------------------------------------------------------------------------------------

def params(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": name, "seed": seed, "argmax_params_mb": v}
                         for name, vs in values.items() for seed, v in enumerate(vs)])


FOUR_OPS = params({name: [1.0, 1.0, 1.0] for name in [*RIVALS, "advantage", "random"]})


def test_params_change_holds_when_the_rivals_shrink_and_advantagenas_shrinks_less():
    with_none = params({**{name: [0.2, 0.3, 0.25] for name in RIVALS}, "advantage": [0.95, 1.0, 1.02],
                        "random": [5.0, 5.0, 5.0]})
    line = oc.params_change_line(with_none, FOUR_OPS)
    assert verdict(line) == "holds"
    assert "n = 3" in line and "AdvantageNAS -0.010" in line and "ProxylessNAS -0.750" in line
    assert "Random" not in line


def test_params_change_fails_when_the_rivals_grow_or_advantagenas_shrinks_more():
    grow = params({**{name: [1.5, 1.6, 1.55] for name in RIVALS}, "advantage": [1.5, 1.6, 1.55]})
    assert verdict(oc.params_change_line(grow, FOUR_OPS)) == "fails"
    ours_more = params({**{name: [0.5, 0.6, 0.55] for name in RIVALS}, "advantage": [0.1, 0.2, 0.12]})
    assert verdict(oc.params_change_line(ours_more, FOUR_OPS)) == "fails"


def test_params_change_is_inconclusive_when_an_interval_spans_zero():
    mixed = params({**{name: [0.2, 0.3, 0.25] for name in RIVALS}, "advantage": [0.1, 1.0, 0.6]})
    assert verdict(oc.params_change_line(mixed, FOUR_OPS)) == "inconclusive at n = 3"
    one_seed = params({**{name: [0.2] for name in RIVALS}, "advantage": [1.0]})
    assert verdict(oc.params_change_line(one_seed, FOUR_OPS)) == "inconclusive at n = 1"


# 3. Footnote 5 ------------------------------------------------------------------------------------

def proxyless(accuracies):
    return pd.DataFrame({"strategy": "proxyless", "seed": range(len(accuracies)), "argmax_accuracy": accuracies})


def test_collapse_rate_outcomes():
    line = oc.proxyless_collapse_line(proxyless([10.0] * 6))
    assert verdict(line) == "holds"  # 6 of 6: lower bound 54 %
    assert "6 of n = 6" in line and "10.00 ± 0.00 %" in line
    assert verdict(oc.proxyless_collapse_line(proxyless([86.0] * 6))) == "fails"  # upper bound 46 %
    assert verdict(oc.proxyless_collapse_line(proxyless([10.0, 10.2, 10.4]))) == "inconclusive at n = 3"
    line = oc.proxyless_collapse_line(proxyless([10.0, 92.0, 86.0]))
    assert verdict(line) == "inconclusive at n = 3" and "1 of n = 3" in line


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
    line = oc.proxyless_entropy_line(entropy_metrics(up))
    assert verdict(line) == "holds"
    assert "search epoch 4 minus epoch 2" in line and "at or below the cpu convergence target" in line
    down = {s: [1.38, 1.38, 1.3, 1.30 - 0.005 * s] for s in range(3)}
    line = oc.proxyless_entropy_line(entropy_metrics(down))
    assert verdict(line) == "fails" and "above the cpu convergence target" in line
    mixed = {0: [1.0, 0.9, 1.0], 1: [1.0, 0.9, 0.8], 2: [1.0, 0.9, 0.95]}
    assert verdict(oc.proxyless_entropy_line(entropy_metrics(mixed))) == "inconclusive at n = 3"


# 5. Sec. 5.1 --------------------------------------------------------------------------------------

def recovery(ours: list[int], dense: dict[str, list[int]]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": name, "seed": seed, "iterations": v}
                         for name, vs in {"advantage": ours, **dense}.items() for seed, v in enumerate(vs)])


def test_dense_faster_outcomes():
    ours = [200, 210, 190, 205]
    fast = {"darts": [20, 30, 25, 10], "snas": [50, 60, 40, 55], "nasp": [10, 10, 20, 10]}
    line = oc.dense_faster_line(recovery(ours, fast), 2000)
    assert verdict(line) == "holds" and "against NASP" in line and "budget of 2000" in line
    slow_snas = {**fast, "snas": [900, 800, 950, 870]}
    assert verdict(oc.dense_faster_line(recovery(ours, slow_snas))) == "fails"
    noisy_snas = {**fast, "snas": [20, 900, 30, 800]}
    assert verdict(oc.dense_faster_line(recovery(ours, noisy_snas))) == "inconclusive at n = 4"
    assert verdict(oc.dense_faster_line(recovery([], fast))).startswith("untested")


# The stored runs ----------------------------------------------------------------------------------

@pytest.mark.skipif(not (paths.results_dir() / "nb201" / "cpu").is_dir(), reason="no stored cpu runs of nb201")
def test_lines_from_the_stored_cpu_runs(monkeypatch):
    monkeypatch.delenv("ADVNAS_RECOMPUTE", raising=False)
    read = store.ResultsStore._run

    def read_only(self, folder, *args, **kwargs):  # never compute a missing run here
        if not (folder / "summary.json").is_file() or (folder / store.LOCK).exists():
            pytest.skip(f"a run is not stored (or is being computed): {folder}")
        return read(self, folder, *args, **kwargs)

    monkeypatch.setattr(store.ResultsStore, "_run", read_only)
    lines = oc.lines("cpu")
    assert len(lines) == 5
    parsed = [parse(line) for line in lines]
    assert all(p is not None for p in parsed)
    assert [p["claim"].split(":")[0] for p in parsed] == ["App. B", "App. F", "Footnote 5", "App. H", "Sec. 5.1"]
    assert all(re.search(r"\bn = \d+", p["evidence"]) and "interval" in p["evidence"] for p in parsed)
