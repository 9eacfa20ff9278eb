"""Gumbel noise and relaxed samples shared by GDAS, SNAS and ProxylessNAS."""

from __future__ import annotations

import math

import torch


def gumbel(shape, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, dtype=like.dtype, device=like.device)
    return -torch.log(-torch.log(u.clamp_min(torch.finfo(like.dtype).tiny)))


def gumbel_softmax(theta: torch.Tensor, tau: float, generator: torch.Generator | None) -> torch.Tensor:
    """softmax((log mu + g) / tau): a relaxed sample of Categorical(mu), differentiable in theta."""
    logits = torch.log_softmax(theta, dim=-1) + gumbel(theta.shape, theta, generator)
    return torch.softmax(logits / tau, dim=-1)


def top2_without_replacement(theta: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Indices (..., n_edges, 2) of two distinct operations drawn without replacement from mu
    (Gumbel-top-2), sorted ascending."""
    keys = torch.log_softmax(theta.detach(), dim=-1) + gumbel(theta.shape, theta, generator)
    return keys.topk(2, dim=-1).indices.sort(dim=-1).values


def linear_temperature(step: int, total: int, start: float, end: float) -> float:
    """GDAS: tau from ``start`` to ``end`` linearly over the run (App. C; official code: util.py, the sampling functions)."""
    return start - (start - end) * step / total


def cosine_temperature(step: int, total: int) -> float:
    """SNAS: tau = (cos(pi step / total) + 1) / 2, from 1 towards 0 (App. C; official code: util.py, the sampling functions)."""
    return (math.cos(math.pi * step / total) + 1) / 2
