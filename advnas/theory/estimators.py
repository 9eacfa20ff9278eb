"""Per-sample architecture-gradient estimates delta(a) for a stack of architectures.

Each function returns delta of shape (N, n_edges, n_ops): the estimate of
grad_theta J(theta) = grad_theta E_{a ~ p_theta}[R(a)] that one sample a would give.
All of them have the form  delta_i = w_i(a) * (a_i - mu_i(theta_i))  (Eq. 4, Alg. 1 l. 9);
they differ only in the weight w_i(a).
"""

from __future__ import annotations

from typing import Callable

import torch

from .. import distribution

Reward = Callable[[torch.Tensor], torch.Tensor]
Estimator = Callable[[torch.Tensor, Reward, torch.Tensor], torch.Tensor]


def _times_score(weight: torch.Tensor, a: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    return weight.unsqueeze(-1) * distribution.score(a, theta)


def reinforce(a: torch.Tensor, reward: Reward, theta: torch.Tensor, baseline: float = 0.0) -> torch.Tensor:
    """Eq. (4): one scalar reward for every edge, w_i(a) = R(a) - b."""
    r = reward(a) - baseline
    return _times_score(r.unsqueeze(-1).expand(*a.shape[:-1]), a, theta)


def advantage_exact(a: torch.Tensor, reward: Reward, theta: torch.Tensor) -> torch.Tensor:
    """Eq. (6): w_i(a) = R(a) - R((s_i, 0)), edge i switched off. |I| extra rewards."""
    r = reward(a)
    weights = []
    for i in range(a.shape[-2]):
        off = a.clone()
        off[..., i, :] = 0
        weights.append(r - reward(off))
    return _times_score(torch.stack(weights, dim=-1), a, theta)


def advantage_first_order(a: torch.Tensor, reward: Reward, theta: torch.Tensor) -> torch.Tensor:
    """Eq. (7): w_i(a) = grad_{a_i} R(a)^T a_i, the first-order Taylor approximation of Eq. (6).

    In a network this is <dR/dO_i, O_i^j(x)>, available from one backward pass; here it is
    taken by autograd with respect to the gates a."""
    gates = a.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(reward(gates).sum(), gates)
    return _times_score((grad * a).sum(dim=-1), a, theta)


ESTIMATORS: dict[str, Estimator] = {
    "reinforce": reinforce,
    "advantage": advantage_exact,
    "advantage_first_order": advantage_first_order,
}
