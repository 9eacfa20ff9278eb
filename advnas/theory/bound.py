"""Theorem 4.1 on a small instance: both sides of Eq. (5), computed exactly.

For an unbiased estimator delta of grad J and R(a) > 0 for every a,
  E_delta[log J(theta + eps delta)] - log J(theta)
      >= (eps / J(theta) - eps^2 / 2) ||grad J||^2 - eps^2 / 2 Var[delta].
delta takes one value per architecture, so the left-hand side is a finite sum.
"""

from __future__ import annotations

import torch

from .. import distribution
from .estimators import Estimator
from .rewards import LinearReward


def improvement_and_bound(estimator: Estimator, reward: LinearReward, theta: torch.Tensor,
                          steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(left-hand side, right-hand side) of Eq. (5) for each step size eps in ``steps``."""
    n_edges, n_ops = theta.shape
    archs = distribution.enumerate_architectures(n_edges, n_ops, dtype=theta.dtype)
    p = distribution.architecture_probabilities(archs, theta)
    if bool((reward(archs) <= 0).any()):
        raise ValueError("Theorem 4.1 needs R(a) > 0 for every architecture a")
    delta = estimator(archs, reward, theta).detach()
    j0 = reward.expected(theta)
    grad = (p.reshape(-1, 1, 1) * delta).sum(0)
    variance = (p.reshape(-1, 1, 1) * (delta - grad) ** 2).sum()
    lhs, rhs = [], []
    for eps in steps.tolist():
        moved = reward.expected(theta.unsqueeze(0) + eps * delta)
        lhs.append((p * torch.log(moved)).sum() - torch.log(j0))
        rhs.append((eps / j0 - eps ** 2 / 2) * (grad ** 2).sum() - eps ** 2 / 2 * variance)
    return torch.stack(lhs), torch.stack(rhs)
