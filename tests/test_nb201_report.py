"""The CIFAR-10 chapter's tables: Table 2's statistics, the cell parser, the choice of Fig. 5."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from advnas import paper  # noqa: E402
from advnas.nb201 import report  # noqa: E402

A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"


def summaries():
    return pd.DataFrame([
        {"strategy": "advantage", "seed": 0, "argmax_accuracy": 93.0, "argmax_params_mb": 1.0,
         "process_best_accuracy": 92.0, "process_best_params_mb": 0.5, "final_accuracy": 93.0, "final_arch": A},
        {"strategy": "advantage", "seed": 1, "argmax_accuracy": 94.0, "argmax_params_mb": 1.5,
         "process_best_accuracy": 91.0, "process_best_params_mb": 0.7, "final_accuracy": 94.0,
         "final_arch": paper.FIG5_ARCH},
        {"strategy": "proxyless", "seed": 0, "argmax_accuracy": 92.0, "argmax_params_mb": 0.8,
         "process_best_accuracy": None, "process_best_params_mb": None, "final_accuracy": 92.0, "final_arch": A},
    ])


def test_table2_shows_n_the_mean_and_its_t_interval_and_leaves_undefined_process_best_empty():
    numbers = report.table2_numbers(summaries()).set_index("strategy")
    assert numbers.at["advantage", "argmax_accuracy"] == pytest.approx(93.5)
    assert np.isnan(numbers.at["proxyless", "process_best_accuracy"])
    table = report.table2(summaries())
    half = 12.7062 * np.std([93.0, 94.0], ddof=1) / np.sqrt(2)  # t(0.975, 1) s / sqrt(n)
    assert table.at["AdvantageNAS", "n"] == 2
    assert table.at["AdvantageNAS", "argmax accuracy [95 % CI]"] == f"93.50 [{93.5 - half:.2f}, {93.5 + half:.2f}]"
    assert table.at["AdvantageNAS", "argmax accuracy (paper)"] == "93.76 ± 0.00"
    assert table.at["ProxylessNAS", "process best accuracy [95 % CI]"] == "–"
    assert table.at["ProxylessNAS", "argmax accuracy [95 % CI]"] == "92.00 (n = 1, no interval)"
    assert table.at["ProxylessNAS", "process best accuracy (paper)"] == "–"


def test_verdicts_are_paired_by_seed_and_inconclusive_when_the_interval_spans_zero():
    rows = []
    for seed, (ours, theirs) in enumerate([(93.0, 92.0), (93.5, 92.6), (92.8, 92.1), (93.2, 92.0)]):
        for name, acc in (("advantage", ours), ("reinforce", theirs)):
            rows.append({"strategy": name, "seed": seed, "argmax_accuracy": acc, "process_best_accuracy": acc - 1,
                         "final_accuracy": acc})
    table = pd.DataFrame(rows)
    metrics = pd.DataFrame([{"strategy": r["strategy"], "seed": r["seed"], "epoch": 1, "phase": "search",
                             "argmax_accuracy": r["argmax_accuracy"], "entropy": 1.0} for r in rows])
    verdicts = report.verdicts(table, metrics)
    assert verdicts[0].markdown().startswith("**argmax: AdvantageNAS outperforms every SP-NAS (Table 2): holds.**")
    assert verdicts[0].n == 4 and verdicts[0].interval[0] > 0
    close = table.assign(argmax_accuracy=table.argmax_accuracy + np.where(
        (table.strategy == "reinforce") & (table.seed % 2 == 0), 2.0, 0.0))
    argmax = report.verdicts(close, metrics)[0]
    assert argmax.outcome == "inconclusive at n = 4" and argmax.interval[0] < 0 < argmax.interval[1]


def test_cell_parser_and_best_cell():
    assert report.parse_arch(A) == [(0, 1, "nor_conv_3x3"), (0, 2, "nor_conv_3x3"), (1, 2, "skip_connect"),
                                    (0, 3, "avg_pool_3x3"), (1, 3, "nor_conv_1x1"), (2, 3, "none")]
    assert report.best_cell(summaries()).seed == 1
    fig = report.figure5([(A, "a"), (paper.FIG5_ARCH, "b")])
    assert len(fig.axes) == 2


def test_a_labelled_control_gets_its_own_row_and_no_paper_reference():
    control = summaries().iloc[:1].assign(label="AdvantageNAS without Eq. (9)")
    table = report.table2(pd.concat([summaries(), control], ignore_index=True), reference=paper.TABLE4)
    # Table 1's order, a labelled variant right after its strategy's own row
    assert list(table.index) == ["ProxylessNAS", "AdvantageNAS", "AdvantageNAS without Eq. (9)"]
    assert table.at["AdvantageNAS", "argmax accuracy (paper)"] == "93.63 ± 0.18"
    assert table.at["AdvantageNAS without Eq. (9)", "argmax accuracy (paper)"] == "–"


def test_app_g_comparable_is_an_equivalence_test_within_one_point():
    """App. G: "comparable to SNAS" holds when the 90 % interval of the paired difference lies
    within ±1 point, and an interval reaching inside the margin is inconclusive, not a failure."""
    import pandas as pd

    from advnas.nb201 import report

    def metrics(gaps):
        rows = []
        for seed, gap in enumerate(gaps):
            for name, accuracy in (("advantage", 90.0 + gap), ("snas", 90.0)):
                for epoch in (0, 1):
                    rows.append({"strategy": name, "seed": seed, "search_epoch": epoch, "wall_time_s": 10.0 * epoch,
                                 "argmax_accuracy": accuracy})
        return pd.DataFrame(rows)

    def verdict(gaps):
        (found,) = [v for v in report.time_efficiency_verdicts(metrics(gaps)) if "comparable to SNAS" in v.claim]
        return found

    assert verdict([0.2, -0.1, 0.3, 0.0]).outcome == "holds"
    assert verdict([-2.5, -2.2, -2.4]).outcome == "fails"
    found = verdict([-2.6, -2.0, -1.4])
    assert found.outcome == "inconclusive at n = 3" and "90 % interval, n = 3" in found.evidence
    assert found.n == 3 and found.estimate == pytest.approx(-2.0) and found.interval[0] < -1 < found.interval[1]
