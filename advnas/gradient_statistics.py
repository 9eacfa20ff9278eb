"""Bias and variance of a gradient estimator, from independent draws of it.

One function for every study that draws a strategy's theta-gradient many times at a fixed
point and compares the draws with a target gradient (the toy study of chapter 2, the
CIFAR-10 study of chapter 7):

  bias      ||mean of the draws - target||, with its standard error sqrt(tr Var / n);
  variance  tr Var = E||delta - E delta||^2, estimated without bias (divisor n - 1), with
            the standard error of that estimate;
  cosine    between the mean draw and the target.

Variances are also given relative to ||grad J||^2 (``exact``), whatever the target.
"""

from __future__ import annotations

import math

import torch


def describe(draws: torch.Tensor, target: torch.Tensor, exact: torch.Tensor | None = None) -> dict[str, float]:
    """Bias, variance and cosine of ``draws`` (n draws along the first axis) against ``target``;
    ``exact`` (default: the target) is the gradient the relative variance is scaled by."""
    n = draws.shape[0]
    if n < 2:
        raise ValueError(f"draws must hold at least 2 draws along its first axis; got {n}")
    flat = draws.detach().double().flatten(1).cpu()
    target = target.detach().double().flatten().cpu()
    exact = target if exact is None else exact.detach().double().flatten().cpu()
    mean = flat.mean(0)
    bias = mean - target
    deviations = ((flat - mean) ** 2).sum(1) * n / (n - 1)  # unbiased per-draw contributions to tr Var
    variance = deviations.mean()
    norm, target_norm = exact.norm(), target.norm()
    cosine = torch.nn.functional.cosine_similarity(mean, target, dim=0) if target_norm > 0 else torch.tensor(math.nan)
    return {
        "draws": n,
        "target_norm": float(target_norm),
        "bias_norm": float(bias.norm()),
        "bias_se": float((variance / n).sqrt()),
        "relative_bias": float(bias.norm() / target_norm) if target_norm > 0 else math.nan,
        "cosine": float(cosine),
        "variance": float(variance),
        "variance_se": float(deviations.std(correction=1) / math.sqrt(n)),
        "relative_variance": float(variance / norm ** 2),
    }


def component_bias(draws: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean - target, unbiased variance) per component of the flattened draws."""
    flat = draws.detach().double().flatten(1).cpu()
    return flat.mean(0) - target.detach().double().flatten().cpu(), flat.var(0, correction=1)
