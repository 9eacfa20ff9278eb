import math

import pytest
import torch

from advnas import distribution as D


def test_init_theta_is_ones_with_tie_break_on_op0():
    theta = D.init_theta(6, 4)
    assert theta.shape == (6, 4)
    assert torch.all(theta[:, 1:] == 1)
    assert torch.all(theta[:, 0] > 1)
    assert torch.equal(D.argmax(theta), D.one_hot(torch.zeros(6, dtype=torch.long), 4))


def test_init_theta_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_ops"):
        D.init_theta(3, 1)


@pytest.mark.parametrize("official", [False, True])
def test_samples_are_one_hot_with_batch_dims(official):
    theta = torch.randn(5, 3, 4)
    a = D.sample(theta, torch.Generator().manual_seed(0), n_samples=7, official=official)
    assert a.shape == (7, 5, 3, 4)
    assert torch.all(a.sum(-1) == 1) and torch.all((a == 0) | (a == 1))


def test_sample_frequencies_match_mu_within_4_standard_errors():
    theta = torch.tensor([[0.0, 1.0, -1.0, 2.0], [3.0, 0.0, 0.0, -2.0]], dtype=torch.float64)
    n = 200_000
    freq = D.sample(theta, torch.Generator().manual_seed(1), n_samples=n).mean(0)
    mu = D.probabilities(theta)
    se = (mu * (1 - mu) / n).sqrt()
    assert torch.all((freq - mu).abs() < 4 * se)


def test_official_sampling_law_differs_from_p_theta_for_rare_ops():
    # Spec §0.2 / discrepancy 15: P(j) is about (p_j + 1e-3), so an op with p = 1e-7 is drawn.
    theta = torch.tensor([[0.0, -16.0]], dtype=torch.float64)
    n = 100_000
    gen = torch.Generator().manual_seed(2)
    exact = D.sample(theta, gen, n_samples=n)[:, 0, 1].sum().item()
    official = D.sample(theta, gen, n_samples=n, official=True)[:, 0, 1].sum().item()
    assert exact <= 3
    assert official > 30


def test_score_equals_autograd_of_log_prob():
    theta = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    a = D.sample(theta, torch.Generator().manual_seed(3))
    (grad,) = torch.autograd.grad(D.log_prob(a, theta), theta)
    torch.testing.assert_close(D.score(a, theta), grad)


def test_entropy_uniform_and_peaked():
    assert D.entropy(torch.zeros(3, 4)).item() == pytest.approx(math.log(4))
    assert D.entropy(torch.tensor([[50.0, 0.0, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)
    theta = torch.randn(2, 6, 5)
    mu = D.probabilities(theta)
    torch.testing.assert_close(D.entropy(theta), -(mu * mu.log()).sum(-1).mean(-1))


def test_enumeration_covers_the_space_once_and_probabilities_sum_to_one():
    archs = D.enumerate_architectures(3, 4)
    assert archs.shape == (64, 3, 4)
    assert len({tuple(a.argmax(-1).tolist()) for a in archs}) == 64
    theta = torch.randn(3, 4, dtype=torch.float64)
    assert D.architecture_probabilities(archs, theta).sum().item() == pytest.approx(1.0)
