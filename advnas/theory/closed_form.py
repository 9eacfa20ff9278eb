"""Closed forms for the linear reward R(a) = sum_i r_i^T a_i of Sec. 4.4, per edge i.

Notation: mu = mu_i(theta_i), rbar_k = sum_j mu_k^j r_k^j (edge k's expected contribution),
s_i = a_i - mu_i, so E||s_i||^2 = 1 - ||mu_i||^2.

Exact results (derived here, verified against enumeration in tests/test_theory.py):
  grad_{theta_i} J         = mu_i * (r_i - rbar_i)
  E||delta_adv,i||^2       = sum_j mu^j (r^j)^2 (1 - 2 mu^j + ||mu||^2)            =: M_i
  Var[delta_adv,i]         = M_i - ||grad_{theta_i} J||^2
  REINFORCE with a constant baseline b, delta = (R - b) s_i and Y = sum_{k != i} r_k^T a_k:
  E||delta_base,i||^2      = M_i + 2 (E[Y] - b) B_i + E[(Y - b)^2] (1 - ||mu_i||^2),
        B_i = E[(r_i^T a_i) ||s_i||^2] = sum_j mu^j r^j (1 - 2 mu^j + ||mu||^2),
        E[Y] = sum_{k != i} rbar_k,  Var[Y] = sum_{k != i} (sum_j mu_k^j (r_k^j)^2 - rbar_k^2).

The paper's expressions (Sec. 4.4):
  ||grad_{theta_i} J||^2   = sum_j (r^j)^2 (mu^j)^2 (1 - mu^j)^2
  Var[delta_adv]           = sum_j mu^j (r^j)^2 (1 - 2 mu^j + ||mu||^2)
  Var[delta_base]          = Var[delta_adv] + (1 - ||mu_i||^2) sum_{k != i} sum_j (r_k^j)^2 mu_k^j
The paper's Var[delta_adv] is the second moment M_i (it omits - ||grad||^2), and its
Var[delta_base] is the second moment of REINFORCE exactly when rbar_k = 0 for every k != i
(then E[Y] = 0 and E[Y^2] = sum_k sum_j mu_k^j (r_k^j)^2). The *gap* between the two
variances is then exact as well. The paper's gradient norm drops the cross terms
-mu^k sum_{j != k} mu^j r^j of each component.
"""

from __future__ import annotations

import torch

from .. import distribution


def gradient(r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    mu = distribution.probabilities(theta)
    rbar = (mu * r).sum(-1, keepdim=True)
    return mu * (r - rbar)


def _second_moment_terms(r, mu):
    norm2 = (mu ** 2).sum(-1, keepdim=True)
    factor = 1 - 2 * mu + norm2
    second_adv = (mu * r ** 2 * factor).sum(-1)
    b = (mu * r * factor).sum(-1)
    return second_adv, b, 1 - norm2.squeeze(-1)


def advantage_variance(r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Exact Var[delta_adv,i] per edge (Eq. 6 = Eq. 7 for a linear reward)."""
    mu = distribution.probabilities(theta)
    second, _, _ = _second_moment_terms(r, mu)
    return second - (gradient(r, theta) ** 2).sum(-1)


def reinforce_variance(r: torch.Tensor, theta: torch.Tensor, baseline: float = 0.0) -> torch.Tensor:
    """Exact Var[delta_base,i] per edge for REINFORCE (Eq. 4) with a constant baseline b."""
    mu = distribution.probabilities(theta)
    second_adv, b_i, score_norm = _second_moment_terms(r, mu)
    rbar = (mu * r).sum(-1)
    var_k = (mu * r ** 2).sum(-1) - rbar ** 2
    mean_y = rbar.sum() - rbar - baseline  # E[Y - b] for every edge i
    second_y = (var_k.sum() - var_k) + mean_y ** 2  # E[(Y - b)^2]
    second = second_adv + 2 * mean_y * b_i + second_y * score_norm
    return second - (gradient(r, theta) ** 2).sum(-1)


def paper_gradient_norm(r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    mu = distribution.probabilities(theta)
    return (r ** 2 * mu ** 2 * (1 - mu) ** 2).sum(-1)


def paper_advantage_variance(r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    mu = distribution.probabilities(theta)
    return _second_moment_terms(r, mu)[0]


def paper_reinforce_variance(r: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    mu = distribution.probabilities(theta)
    second_adv, _, score_norm = _second_moment_terms(r, mu)
    others = (mu * r ** 2).sum(-1)
    return second_adv + score_norm * (others.sum() - others)
