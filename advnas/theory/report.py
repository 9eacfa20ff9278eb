"""``python -m advnas variance``: the exact moments of Sec. 4.4 for one random instance."""

from __future__ import annotations

from typing import Any

from .. import distribution
from . import closed_form, rewards


def variance_report(n_edges: int, n_ops: int, seed: int) -> dict[str, Any]:
    """r_i^j ~ N(0, 1) and theta ~ N(0, 1) (mu = softmax theta) drawn from ``seed``.

    ``mean`` is the exact expectation of each estimator (both are unbiased, so both equal
    grad_theta J) and ``variance[i]`` the exact E||delta_i - E delta_i||^2, from the closed
    forms of closed_form.py, which tests/test_theory.py checks against enumeration."""
    reward, theta = rewards.draw_linear(n_edges, n_ops, seed)
    r = reward.r
    gradient = closed_form.gradient(r, theta).tolist()
    return {
        "edges": n_edges,
        "ops": n_ops,
        "seed": seed,
        "r": r.tolist(),
        "mu": distribution.probabilities(theta).tolist(),
        "reinforce": {"mean": gradient, "variance": closed_form.reinforce_variance(r, theta).tolist()},
        "advantage": {"mean": gradient, "variance": closed_form.advantage_variance(r, theta).tolist()},
        "paper": {
            "reinforce_variance": closed_form.paper_reinforce_variance(r, theta).tolist(),
            "advantage_variance": closed_form.paper_advantage_variance(r, theta).tolist(),
            "gradient_norm2": closed_form.paper_gradient_norm(r, theta).tolist(),
        },
        "gradient_norm2": (closed_form.gradient(r, theta) ** 2).sum(-1).tolist(),
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
