"""Chapter 7's exact verdicts (advnas/gradients/report.py) on stored rows with known answers."""

from types import SimpleNamespace

import pandas as pd

from advnas import scorecard
from advnas.gradients import report


def _run(eq6_error: float, eq7_bias: float):
    rows = pd.DataFrame([{"seed": s, "point": p, "theorem_4_2_max_error": eq6_error, "eq7_relative_bias": eq7_bias,
                          "eq7_cosine": 0.7, "eq7_bias_share": 0.03, "a7_on_a6_slope": 0.4, "a7_a6_correlation": 0.7,
                          "sign_disagreement": 0.3, "var_ratio_eq7_eq6": 0.3, "var_ratio_eq6_mean_baseline": 0.6}
                         for s in (0, 1) for p in ("warmup_end", "end")])
    return SimpleNamespace(metrics=rows)


def test_theorem_4_2_holds_at_rounding_level_and_eq7_fails_with_a_bias():
    eq6, eq7 = report.verdicts(_run(2e-16, 0.75), "cpu")
    assert scorecard.parse(eq6)["verdict"] == "holds" and scorecard.parse(eq7)["verdict"] == "fails"
    assert "n = 4 (seed, point) cases (2 seeds)" in eq7 and "0.750–0.750" in eq7


def test_an_exact_deviation_above_rounding_fails_and_no_bias_holds():
    eq6, eq7 = report.verdicts(_run(1e-6, 1e-12), "cpu")
    assert scorecard.parse(eq6)["verdict"] == "fails" and scorecard.parse(eq7)["verdict"] == "holds"


def test_without_a_stored_computation_both_rows_are_untested_and_parse():
    lines = report.verdicts(None, "cpu")
    assert [scorecard.parse(line)["verdict"].startswith("untested") for line in lines] == [True, True]
