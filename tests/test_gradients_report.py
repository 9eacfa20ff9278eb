"""Chapter 7's exact verdicts (advnas/gradients/report.py) on stored rows with known answers."""

from types import SimpleNamespace

import pandas as pd

from advnas.gradients import report


def _run(eq6_error: float, eq7_bias: float):
    rows = pd.DataFrame([{"seed": s, "point": p, "theorem_4_2_max_error": eq6_error, "eq7_relative_bias": eq7_bias,
                          "eq7_cosine": 0.7, "eq7_bias_share": 0.03, "a7_on_a6_slope": 0.4, "a7_a6_correlation": 0.7,
                          "sign_disagreement": 0.3, "var_ratio_eq7_eq6": 0.3, "var_ratio_eq6_mean_baseline": 0.6}
                         for s in (0, 1) for p in ("warmup_end", "end")])
    return SimpleNamespace(metrics=rows)


def test_theorem_4_2_holds_at_rounding_level_and_eq7_fails_with_a_bias():
    eq6, eq7 = report.verdicts([_run(2e-16, 0.75)], "cpu")
    assert eq6.outcome == "holds" and eq7.outcome == "fails"
    assert eq6.n == eq7.n == 4 and eq7.estimate == 0.75 and eq6.estimate == 2e-16
    assert "n = 4 (seed, point) cases (2 seeds)" in eq7.evidence and "0.750–0.750" in eq7.evidence


def test_an_exact_deviation_above_rounding_fails_and_no_bias_holds():
    eq6, eq7 = report.verdicts([_run(1e-6, 1e-12)], "cpu")
    assert (eq6.kind, eq7.kind) == ("fails", "holds")


def test_without_a_stored_computation_both_rows_are_untested():
    verdicts = report.verdicts([], "cpu")
    assert [v.kind for v in verdicts] == ["untested", "untested"]
    assert all(v.n is None and v.evidence == "" and v.markdown().endswith(" command).**") for v in verdicts)
