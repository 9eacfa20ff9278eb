"""The architecture distribution of Sec. 4.1, shared by every strategy.

An architecture ``a`` is one one-hot vector ``a_i`` per edge ``i``. Each ``a_i`` follows
an independent categorical distribution ``p_{theta_i}`` with probabilities
``mu_i(theta_i) = softmax(theta_i)`` (Eq. 2), so ``p_theta(a) = prod_i p_{theta_i}(a_i)``.

All functions accept ``theta`` of shape ``(..., n_edges, n_ops)``; leading dimensions
(independent trials stacked for speed) are carried through unchanged.
"""

from __future__ import annotations

import torch

# The official code adds 1e-6 to column 0 of an all-ones theta (official code: util.py, Param, util.py:404-405),
# so the initial argmax architecture is operation 0 on every edge.
TIE_BREAK = 1e-6

# Sampling law of the official code (official code: util.py, the sampling functions, discrepancy 15): Gumbel-max on
# log(p + 1e-3) with the uniform noise clipped to [1e-3, 0.999].
OFFICIAL_PROB_SMOOTHING = 1e-3
OFFICIAL_UNIFORM_CLIP = (1e-3, 0.999)


def init_theta(n_edges: int, n_ops: int, *, batch: tuple[int, ...] = (), dtype=None,
               device=None) -> torch.Tensor:
    """theta = 1 everywhere, plus the official tie-break on operation 0 (App. D, official code: util.py, Param)."""
    if n_edges < 1 or n_ops < 2:
        raise ValueError(f"n_edges must be >= 1 and n_ops >= 2, got n_edges={n_edges}, n_ops={n_ops}")
    theta = torch.ones(*batch, n_edges, n_ops, dtype=dtype or torch.get_default_dtype(), device=device)
    theta[..., 0] += TIE_BREAK
    return theta


def probabilities(theta: torch.Tensor) -> torch.Tensor:
    """mu(theta): the softmax of Eq. (2), per edge."""
    return torch.softmax(theta, dim=-1)


def one_hot(index: torch.Tensor, n_ops: int, dtype=torch.float32) -> torch.Tensor:
    return torch.nn.functional.one_hot(index, n_ops).to(dtype)


def sample(theta: torch.Tensor, generator: torch.Generator | None = None,
           n_samples: int | None = None, official: bool = False) -> torch.Tensor:
    """Draw one-hot architectures a ~ p_theta.

    Returns shape ``theta.shape`` (or ``(n_samples, *theta.shape)``). With
    ``official=True`` the draw follows the official code's law instead of p_theta:
    Gumbel-max on log(mu + 1e-3) with clipped uniform noise (official code: util.py, the sampling functions, discrepancy 15).
    """
    shape = theta.shape if n_samples is None else (n_samples, *theta.shape)
    mu = probabilities(theta.detach())
    u = torch.rand(shape, generator=generator, dtype=mu.dtype, device=mu.device)
    if official:
        u = u.clamp(*OFFICIAL_UNIFORM_CLIP)
        logits = torch.log(mu + OFFICIAL_PROB_SMOOTHING)
    else:
        # Exact Gumbel-max: argmax(log mu - log(-log u)) ~ Categorical(mu). The clamp only
        # guards against u == 0 in floating point.
        u = u.clamp_min(torch.finfo(mu.dtype).tiny)
        logits = torch.log(mu)
    index = torch.argmax(logits - torch.log(-torch.log(u)), dim=-1)
    return one_hot(index, theta.shape[-1], dtype=theta.dtype)


def score(a: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """grad_theta log p_theta(a) = a - mu(theta) (Sec. 4.2, below Eq. 4)."""
    return a - probabilities(theta.detach())


def log_prob(a: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """log p_theta(a) = sum_i <a_i, log mu_i>; differentiable in theta."""
    return (a * torch.log_softmax(theta, dim=-1)).sum(dim=(-2, -1))


def entropy(theta: torch.Tensor) -> torch.Tensor:
    """Entropy of mu(theta) averaged over edges, in nats (App. H, official code: entropy_plot.py).

    Its maximum is log(n_ops)."""
    log_mu = torch.log_softmax(theta, dim=-1)
    return -(log_mu.exp() * log_mu).sum(dim=-1).mean(dim=-1)


def argmax(theta: torch.Tensor) -> torch.Tensor:
    """The "argmax" architecture: per edge, the operation with the largest mu (Sec. 5.2)."""
    return one_hot(torch.argmax(theta, dim=-1), theta.shape[-1], dtype=theta.dtype)


def enumerate_architectures(n_edges: int, n_ops: int, dtype=torch.float64) -> torch.Tensor:
    """All n_ops ** n_edges one-hot architectures, shape (n_ops ** n_edges, n_edges, n_ops)."""
    if n_ops ** n_edges > 2_000_000:
        raise ValueError(f"enumeration of {n_ops}**{n_edges} architectures is too large; "
                         "use Monte Carlo instead")
    grids = torch.cartesian_prod(*[torch.arange(n_ops)] * n_edges).reshape(-1, n_edges)
    return one_hot(grids, n_ops, dtype=dtype)


def architecture_probabilities(architectures: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """p_theta(a) for each architecture in a stack of shape (N, n_edges, n_ops)."""
    return log_prob(architectures, theta.to(architectures.dtype)).exp()
