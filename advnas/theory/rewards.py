"""Reward functions R(a) on stacks of architectures, shape (N, n_edges, n_ops) -> (N,).

They accept any real-valued a, including an edge switched off (a_i = 0) as Eq. (6) needs,
and are written with torch operations so that the first-order advantage of Eq. (7) can be
taken by autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import distribution


@dataclass(frozen=True)
class LinearReward:
    """R(a) = r^T a = sum_i r_i^T a_i: the example of Sec. 4.4 (plus an optional constant)."""

    r: torch.Tensor  # (n_edges, n_ops)
    offset: float = 0.0

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        return self.offset + (a * self.r).sum(dim=(-2, -1))

    def expected(self, theta: torch.Tensor) -> torch.Tensor:
        """J(theta) = E_{a ~ p_theta}[R(a)] in closed form; differentiable in theta."""
        return self.offset + (distribution.probabilities(theta) * self.r).sum(dim=(-2, -1))


@dataclass(frozen=True)
class QuadraticReward:
    """R(a) = r^T a + a^T Q a: edges interact, so Eq. (7) is no longer equal to Eq. (6)."""

    r: torch.Tensor  # (n_edges, n_ops)
    q: torch.Tensor  # (n_edges * n_ops, n_edges * n_ops)

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        flat = a.flatten(start_dim=-2)
        return (a * self.r).sum(dim=(-2, -1)) + ((flat @ self.q) * flat).sum(dim=-1)


def draw_linear(n_edges: int, n_ops: int, seed: int, shift: float = 0.0,
                centred: bool = False) -> tuple[LinearReward, torch.Tensor]:
    """A random linear reward and random architecture parameters theta.

    r_i^j ~ N(shift, 1) and theta_i^j ~ N(0, 1), drawn from ``seed``. With ``centred`` the
    contribution of every edge is shifted to have zero mean under mu, sum_j mu_i^j r_i^j = 0,
    which is the condition under which the paper's closed forms hold (see closed_form.py).
    """
    gen = torch.Generator().manual_seed(seed)
    theta = torch.randn(n_edges, n_ops, generator=gen, dtype=torch.float64)
    r = shift + torch.randn(n_edges, n_ops, generator=gen, dtype=torch.float64)
    if centred:
        mu = distribution.probabilities(theta)
        r = r - (mu * r).sum(dim=-1, keepdim=True)
    return LinearReward(r), theta


def draw_quadratic(n_edges: int, n_ops: int, seed: int, interaction: float = 1.0) -> QuadraticReward:
    gen = torch.Generator().manual_seed(seed)
    r = torch.randn(n_edges, n_ops, generator=gen, dtype=torch.float64)
    size = n_edges * n_ops
    q = interaction * torch.randn(size, size, generator=gen, dtype=torch.float64) / size ** 0.5
    return QuadraticReward(r, (q + q.T) / 2)
