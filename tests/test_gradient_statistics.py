"""The one gradient-statistics function of the toy and CIFAR-10 gradient studies."""

import math

import pytest
import torch

from advnas import gradient_statistics


def test_exact_answers_on_two_draws():
    draws = torch.tensor([[1.0, 2.0], [-1.0, 2.0]])
    found = gradient_statistics.describe(draws, target=torch.tensor([0.0, 1.0]), exact=torch.tensor([0.0, 2.0]))
    assert found["draws"] == 2
    assert found["bias_norm"] == pytest.approx(1.0)  # mean (0, 2) minus target (0, 1)
    assert found["variance"] == pytest.approx(2.0)  # the unbiased sample variance of (1, -1), plus 0
    assert found["bias_se"] == pytest.approx(1.0)  # sqrt(tr Var / n)
    assert found["relative_variance"] == pytest.approx(2.0 / 4.0)  # scaled by ||exact||^2
    assert found["cosine"] == pytest.approx(1.0)
    assert found["relative_bias"] == pytest.approx(1.0)


def test_variance_is_unbiased_over_many_small_samples():
    """E[estimate] = tr Cov for n = 3 draws: the mean over 20,000 independent estimates lies
    within 4 standard errors of the true trace."""
    generator = torch.Generator().manual_seed(0)
    scale = torch.tensor([1.0, 2.0, 0.5])
    true_trace = float((scale ** 2).sum())
    estimates = torch.tensor([gradient_statistics.describe(torch.randn(3, 3, generator=generator) * scale,
                                                           torch.zeros(3))["variance"] for _ in range(20_000)])
    se = float(estimates.std() / math.sqrt(len(estimates)))
    assert abs(float(estimates.mean()) - true_trace) < 4 * se


def test_one_draw_is_refused():
    with pytest.raises(ValueError, match="at least 2 draws"):
        gradient_statistics.describe(torch.zeros(1, 3), torch.zeros(3))
