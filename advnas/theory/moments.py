"""Mean and variance of an estimator: exactly by enumeration, or by Monte Carlo.

"Variance" of edge i is the trace variance E||delta_i - E delta_i||^2, as in Sec. 4.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import distribution
from .estimators import Estimator, Reward


@dataclass(frozen=True)
class Moments:
    mean: torch.Tensor  # (n_edges, n_ops): E[delta]
    variance: torch.Tensor  # (n_edges,): E||delta_i - E delta_i||^2
    mean_se: torch.Tensor | None = None  # standard errors (Monte Carlo only)
    variance_se: torch.Tensor | None = None
    n_samples: int | None = None  # None: exact


def exact_gradient(reward: Reward, theta: torch.Tensor) -> torch.Tensor:
    """grad_theta J(theta), J = sum_a p_theta(a) R(a) over all architectures, by autograd.

    Independent of every estimator: the oracle they are checked against."""
    n_edges, n_ops = theta.shape
    archs = distribution.enumerate_architectures(n_edges, n_ops, dtype=theta.dtype)
    theta = theta.detach().clone().requires_grad_(True)
    expected = (distribution.architecture_probabilities(archs, theta) * reward(archs)).sum()
    (grad,) = torch.autograd.grad(expected, theta)
    return grad


def exact_moments(estimator: Estimator, reward: Reward, theta: torch.Tensor) -> Moments:
    """E[delta] and the per-edge variance as finite sums over all |J|^|I| architectures."""
    n_edges, n_ops = theta.shape
    archs = distribution.enumerate_architectures(n_edges, n_ops, dtype=theta.dtype)
    p = distribution.architecture_probabilities(archs, theta).reshape(-1, 1, 1)
    delta = estimator(archs, reward, theta).detach()
    mean = (p * delta).sum(dim=0)
    variance = (p * (delta - mean) ** 2).sum(dim=(0, 2))
    return Moments(mean, variance)


def monte_carlo_moments(estimator: Estimator, reward: Reward, theta: torch.Tensor, n_samples: int,
                        seed: int, chunk: int = 4096, progress=None) -> Moments:
    """Sample means with standard errors, accumulated in chunks so large spaces fit in memory.

    ``progress``, if given, is called with the number of samples done after each chunk."""
    gen = torch.Generator().manual_seed(seed)
    n_edges, n_ops = theta.shape
    s1 = torch.zeros(n_edges, n_ops, dtype=theta.dtype)
    s2 = torch.zeros(n_edges, n_ops, dtype=theta.dtype)
    q1 = torch.zeros(n_edges, dtype=theta.dtype)  # sums of ||delta_i||^2 and of its square
    q2 = torch.zeros(n_edges, dtype=theta.dtype)
    done = 0
    while done < n_samples:
        n = min(chunk, n_samples - done)
        a = distribution.sample(theta, gen, n_samples=n)
        delta = estimator(a, reward, theta).detach()
        norms = (delta ** 2).sum(dim=-1)
        s1 += delta.sum(0)
        s2 += (delta ** 2).sum(0)
        q1 += norms.sum(0)
        q2 += (norms ** 2).sum(0)
        done += n
        if progress is not None:
            progress(n)
    mean = s1 / n_samples
    mean_se = ((s2 / n_samples - mean ** 2).clamp_min(0) / n_samples).sqrt()
    second = q1 / n_samples
    variance = second - (mean ** 2).sum(-1)
    # The error of the variance estimate is dominated by that of the second moment;
    # the error of ||mean||^2 is O(1/n) smaller.
    variance_se = ((q2 / n_samples - second ** 2).clamp_min(0) / n_samples).sqrt()
    return Moments(mean, variance, mean_se, variance_se, n_samples)
