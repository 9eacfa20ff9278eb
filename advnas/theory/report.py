"""``python -m advnas variance``: the exact moments of Sec. 4.4 for one random instance."""

from __future__ import annotations

from typing import Any

from .. import distribution
from ..verdict import Verdict
from . import closed_form, experiment, rewards
from .config import TheoryConfig


def variance_report(n_edges: int, n_ops: int, seed: int) -> dict[str, Any]:
    """r_i^j ~ N(0, 1) and theta ~ N(0, 1) (mu = softmax theta) drawn from ``seed``.

    ``mean`` is the exact expectation of each estimator (both are unbiased, so both equal
    grad_theta J) and ``variance[i]`` the exact E||delta_i - E delta_i||^2, from the closed
    forms of closed_form.py, which tests/test_theory.py checks against enumeration."""
    reward, theta = rewards.draw_linear(n_edges, n_ops, seed)
    r = reward.r
    gradient = closed_form.gradient(r, theta)
    return {
        "edges": n_edges,
        "ops": n_ops,
        "seed": seed,
        "r": r.tolist(),
        "mu": distribution.probabilities(theta).tolist(),
        "reinforce": {"mean": gradient.tolist(), "variance": closed_form.reinforce_variance(r, theta).tolist()},
        "advantage": {"mean": gradient.tolist(), "variance": closed_form.advantage_variance(r, theta).tolist()},
        "paper": {
            "reinforce_variance": closed_form.paper_reinforce_variance(r, theta).tolist(),
            "advantage_variance": closed_form.paper_advantage_variance(r, theta).tolist(),
            "gradient_norm2": closed_form.paper_gradient_norm(r, theta).tolist(),
        },
        "gradient_norm2": (gradient ** 2).sum(-1).tolist(),
    }


def format_text(result: dict[str, Any]) -> str:
    lines = [f"|I| = {result['edges']}, |J| = {result['ops']}, seed {result['seed']}",
             f"{'edge':>4} {'Var REINFORCE':>14} {'Var advantage':>14} {'paper REINF.':>13} {'paper adv.':>11}"]
    for i in range(result["edges"]):
        lines.append(f"{i:>4} {result['reinforce']['variance'][i]:>14.5g} "
                     f"{result['advantage']['variance'][i]:>14.5g} "
                     f"{result['paper']['reinforce_variance'][i]:>13.5g} "
                     f"{result['paper']['advantage_variance'][i]:>11.5g}")
    return "\n".join(lines)


# Sec. 4.4 says the advantage's variance reduction holds "typically": the claim holds when the
# advantage's gradient has the lower variance on at least this share of the edges of the random
# instances, in every regime of rewards drawn.
TYPICALLY = 0.9


def stored_verdicts(cfg: TheoryConfig, profile: str) -> list[Verdict]:
    """The chapter's claims (Sec. 4.4, Theorems 4.1 and 4.2), from its stored computation."""
    run = experiment.run(cfg, profile)
    summary = run.summary
    lower = summary["advantage_lower_fraction"]
    bias = summary["theorem42_bias"]
    shares = run.metrics[(run.metrics.part == "scaling") & (run.metrics.quantity == "fraction_edges_lower")
                         & (run.metrics.n_edges >= 2)]
    edges = {r: int(g.n_edges.sum()) for r, g in shares.groupby("regime")}
    instances = {r: int(g.instance.nunique()) for r, g in shares.groupby("regime")}
    t41 = run.metrics[(run.metrics.part == "theorem41") & (run.metrics.step > 0)]
    shares_text = ", ".join(f"{k} {v:.1%} (mean over {instances.get(k, 0)} instances, {edges.get(k, 0)} edge cases)"
                            for k, v in lower.items())
    return [
        Verdict(claim=f"Sec. 4.4: the advantage's gradient typically has a lower variance than REINFORCE's (on at "
                      f"least {TYPICALLY:.0%} of edges, in every regime of random linear rewards)",
                outcome="holds" if min(lower.values()) >= TYPICALLY else "fails",
                evidence=f"Share of edges where it is lower (exact moments, random linear rewards with 2 or more "
                         f"edges): {shares_text}; threshold for \"typically\": {TYPICALLY:.0%} in every regime.",
                rule=f"holds when the advantage's variance is the lower on at least {TYPICALLY:.0%} of the edges in "
                     "every regime, fails otherwise",
                comparison="the advantage's per-edge gradient variance against REINFORCE's, exact moments on random "
                           "instances; the estimate is the smallest share over the regimes",
                estimate=min(lower.values())),
        Verdict(claim="Theorem 4.2: the advantage's gradient is unbiased",
                outcome="holds" if abs(bias["advantage"]) < 1e-9 else "fails",
                evidence=f"Largest deviation from the exact gradient: {bias['advantage']:.1e} (REINFORCE "
                         f"{bias['reinforce']:.1e}); the first-order advantage of Eq. (7) deviates by "
                         f"{bias['advantage_first_order']:.3f}.",
                rule="holds when the exact expectation deviates from the exact gradient by less than 1e-9",
                comparison="the exact expectation of the advantage's gradient estimate against the exact gradient",
                estimate=bias["advantage"]),
        Verdict(claim="Theorem 4.1: the lower bound on the expected improvement holds on every random instance",
                outcome="holds" if summary["theorem41_min_slack"] >= 0 else "fails",
                evidence=f"Smallest slack {summary['theorem41_min_slack']:.2e} over {t41.instance.nunique()} random "
                         f"instances × {t41.step.nunique()} step sizes × {t41.estimator.nunique()} estimators "
                         f"({len(t41)} cases).",
                rule="holds when the expected improvement is at least its lower bound (slack ≥ 0) in every case",
                comparison="the expected improvement minus Theorem 4.1's lower bound, per instance, step size "
                           "and estimator",
                estimate=summary["theorem41_min_slack"]),
    ]
