"""Chapter 7's exact verdicts: Theorem 4.2 (Eq. 6) and the unbiasedness of what AdvantageNAS
computes (Eq. 7), from the stored exact moments (``advantage_exact.run``), read, never computed.
The sampled gradient study's tables, figure and verdicts are ``study_report.py``'s."""

from __future__ import annotations

import pandas as pd

from .config import GradientStudyConfig
from ..report import proposed_label
from ..store import ResultsStore, Run
from ..verdict import Verdict
from . import advantage_exact

# Exact sums in float64: deviations at rounding level (about 1e-16 relative) count as zero.
EXACT_TOLERANCE = 1e-9
COMMAND = "python scripts/exact_advantage.py --profile {profile}"


def planned(cfg: GradientStudyConfig) -> list[tuple[int, str]]:
    """The (seed, point) cases of the gradient study, one exact run each."""
    return [(seed, point) for seed in cfg.seeds for point in cfg.points]


def stored(cfg: GradientStudyConfig, profile: str, store: ResultsStore | None = None) -> list[Run]:
    """The stored exact computations at the gradient study's (seed, point) cases, in order;
    cases not computed yet are left out (``planned`` lists them all)."""
    store = store or ResultsStore()
    folders = advantage_exact.study_folders(cfg, profile, store)
    runs = [store.stored(advantage_exact.EXPERIMENT, profile, advantage_exact.run_name(seed, point),
                         advantage_exact.run_config(folders[seed], point)) for seed, point in planned(cfg)]
    return [r for r in runs if r is not None]


def missing_sentence(cfg: GradientStudyConfig, runs: list[Run], profile: str) -> str:
    """Which cases are not computed yet and what computing them costs, or ''."""
    done = {(int(r.metrics.seed.iloc[0]), str(r.metrics.point.iloc[0])) for r in runs}
    todo = [case for case in planned(cfg) if case not in done]
    if not todo:
        return ""
    seconds = [float(r.info["wall_time_s"]) for r in runs]
    cost = (f"about {sorted(seconds)[len(seconds) // 2] / 60:.0f} minutes each (the median wall time of the "
            "stored cases)" if seconds else "about 18 minutes each at `cpu` on one core")
    seeds = sorted({seed for seed, _ in todo})
    which = f"seed{'s' if len(seeds) != 1 else ''} {', '.join(map(str, seeds))}"
    return (f"{len(todo)} of the study's {len(planned(cfg))} (seed, point) cases are not computed yet ({which}), "
            f"{cost}: `{COMMAND.format(profile=profile)}` computes them, one stored run per case, and resumes "
            "where it stopped.")


def _cases(rows: pd.DataFrame) -> str:
    seeds = rows.seed.nunique()
    return f"n = {len(rows)} (seed, point) cases ({seeds} seed{'s' if seeds != 1 else ''})"


def _range(values: pd.Series) -> str:
    return f"{values.min():.3f}–{values.max():.3f}"


def verdicts(runs: list[Run], profile: str, cfg: GradientStudyConfig | None = None) -> list[Verdict]:
    """Two verdicts: Theorem 4.2 with the exact advantage (Eq. 6), and the paper's contribution
    claim for the gradient the method computes (Eq. 7). Without a stored run, both are untested
    and say how to compute them."""
    ours = proposed_label()
    eq6 = "Theorem 4.2 (Eq. 6) in the CIFAR-10 space: the exact advantage's gradient is unbiased"
    eq7 = f"Sec. 1, 4.3 (exact): the gradient {ours} computes (Eq. 7) is unbiased in the CIFAR-10 space"
    rule6 = f"holds when the exact expectation deviates from ∇θJ by at most {EXACT_TOLERANCE:g} in every case"
    rule7 = f"holds when the exact expectation deviates from ∇θJ by at most {EXACT_TOLERANCE:g} of ‖∇θJ‖ in every case"
    compared6 = "the exact expectation of the Eq. (6) estimate against ∇θJ, per (seed, point) case"
    compared7 = f"the exact expectation of {ours}'s Eq. (7) estimate against ∇θJ, per (seed, point) case"
    if not runs:
        why = "untested at this profile (no stored exact computation: chapter 7 names the command)"
        return [Verdict(claim=eq6, outcome=why, rule=rule6, comparison=compared6),
                Verdict(claim=eq7, outcome=why, rule=rule7, comparison=compared7)]
    rows = pd.concat([r.metrics for r in runs], ignore_index=True)
    missing = missing_sentence(cfg, runs, profile) if cfg is not None else ""
    untried = f" {missing}" if missing else ""
    worst6 = float(rows.theorem_4_2_max_error.max())
    unbiased7 = bool((rows.eq7_relative_bias <= EXACT_TOLERANCE).all())
    return [
        Verdict(claim=eq6, outcome="holds" if worst6 <= EXACT_TOLERANCE else "fails",
                evidence=f"Exact expectation over all {len(advantage_exact.all_cells(4)):,} cells at {_cases(rows)}: "
                         f"max |E[δ6] − ∇θJ| {worst6:.1e} (≤ {EXACT_TOLERANCE:g}: holds); its variance ÷ REINFORCE's "
                         f"with the mean baseline {_range(rows.var_ratio_eq6_mean_baseline)}.{untried}",
                rule=rule6, comparison=compared6, n=len(rows), estimate=worst6),
        Verdict(claim=eq7, outcome="holds" if unbiased7 else "fails",
                evidence=f"Exact, at {_cases(rows)}: ‖E[δ7] − ∇θJ‖ ÷ ‖∇θJ‖ "
                         f"{_range(rows.eq7_relative_bias)} (holds only at ≤ {EXACT_TOLERANCE:g}), cos(E[δ7], ∇θJ) "
                         f"{_range(rows.eq7_cosine)}; the bias's share of one draw's mean squared error "
                         f"{_range(rows.eq7_bias_share)}; Eq. (7)'s advantage against Eq. (6)'s, weighted by p(a): "
                         f"slope {_range(rows.a7_on_a6_slope)}, correlation {_range(rows.a7_a6_correlation)}, "
                         f"opposite signs on {_range(rows.sign_disagreement)} of the weight; tr Cov δ7 ÷ tr Cov δ6 "
                         f"{_range(rows.var_ratio_eq7_eq6)}.{untried}",
                rule=rule7, comparison=compared7, n=len(rows), estimate=float(rows.eq7_relative_bias.max())),
    ]


def table(runs: list[Run]) -> pd.DataFrame:
    """One row per (seed, point): the exact numbers behind the two verdicts."""
    columns = {"seed": "seed", "point": "point", "theorem_4_2_max_error": "max |E δ6 − ∇J|",
               "eq7_relative_bias": "‖E δ7 − ∇J‖ ÷ ‖∇J‖", "eq7_cosine": "cos(E δ7, ∇J)",
               "eq7_bias_share": "bias share of one draw's error", "a7_on_a6_slope": "slope A7 on A6",
               "a7_a6_correlation": "corr(A7, A6)", "sign_disagreement": "opposite signs (weight)",
               "var_ratio_eq7_eq6": "tr Cov δ7 ÷ δ6", "var_ratio_eq6_mean_baseline": "tr Cov δ6 ÷ mean baseline"}
    rows = pd.concat([r.metrics for r in runs], ignore_index=True)
    return rows[list(columns)].rename(columns=columns)


def stored_verdicts(cfg: GradientStudyConfig, profile: str) -> list[Verdict]:
    """The chapter's claims: the sampled study's (Sec. 4.3–4.4) and the exact moments' (Theorem
    4.2, Eq. 7), from its stored runs."""
    from . import experiment, study_report

    runs = experiment.run_all(cfg, profile, progress=False)
    metrics, _ = experiment.collect(runs)
    return (study_report.verdicts(study_report.with_norm_tests(metrics, runs))
            + verdicts(stored(cfg, profile), profile, cfg))
