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


def test_table2_uses_the_population_std_and_leaves_undefined_process_best_empty():
    numbers = report.table2_numbers(summaries()).set_index("strategy")
    assert numbers.at["advantage", "argmax_accuracy"] == pytest.approx(93.5)
    assert numbers.at["advantage", "argmax_accuracy_std"] == pytest.approx(np.std([93.0, 94.0]))  # ddof 0
    assert np.isnan(numbers.at["proxyless", "process_best_accuracy"])
    table = report.table2(summaries())
    assert table.at["AdvantageNAS", "argmax accuracy"] == "93.50 ± 0.50"
    assert table.at["AdvantageNAS", "argmax accuracy (paper)"] == "93.76 ± 0.00"
    assert table.at["ProxylessNAS", "process best accuracy"] == "–"
    assert table.at["ProxylessNAS", "process best accuracy (paper)"] == "–"


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
