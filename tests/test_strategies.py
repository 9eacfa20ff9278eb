"""Oracle and behaviour tests of the eight strategies on small synthetic search spaces.

The loss of an architecture is L(a) = -R(a) for the rewards of advnas.theory.rewards, so
the exact gradient of the expected loss is a finite sum over all architectures."""

import pytest
import torch

from advnas import distribution as D
from advnas.search.theta_step import theta_gradient, theta_step
from advnas import report, strategies
from advnas.strategies import STRATEGIES, Draw, Properties, Strategy, make, names, table1
from advnas.theory import moments, rewards

N = 40_000  # stacked independent samples


def _loss_of(reward):
    return lambda draw: -reward(draw.gates)


def _stacked(theta, n=N):
    return theta.expand(n, *theta.shape).clone().requires_grad_(True)


def _mean_and_se(samples):
    return samples.mean(0), samples.std(0) / samples.shape[0] ** 0.5


def _within(mean, se, target, k=4.0):
    assert torch.all((mean - target).abs() <= k * se + 1e-12), ((mean - target) / se).abs().max()


@pytest.fixture
def linear():
    reward, theta = rewards.draw_linear(3, 3, seed=3, shift=-1.0)
    return reward, theta, -moments.exact_gradient(reward, theta)  # gradient of E[L]


def test_reinforce_with_ema_baseline_is_unbiased_up_to_the_factor_1_minus_gamma(linear):
    reward, theta, exact = linear
    strategy = make("reinforce", 10, torch.Generator().manual_seed(0))
    stacked = _stacked(theta)
    theta_gradient(strategy, stacked, 0, _loss_of(reward))  # initialises b = L
    grad, _ = theta_gradient(strategy, stacked, 1, _loss_of(reward))
    # b includes the current loss: (L - b) = (1 - gamma)(L - b_prev), b_prev independent of a.
    _within(*_mean_and_se(grad), (1 - strategy.baseline_decay) * exact)


def test_advantage_is_unbiased_for_a_linear_loss(linear):
    reward, theta, exact = linear
    grad, _ = theta_gradient(make("advantage", 10, torch.Generator().manual_seed(1)),
                             _stacked(theta), 0, _loss_of(reward))
    _within(*_mean_and_se(grad), exact)


def test_advantage_has_lower_variance_than_reinforce(linear):
    reward, theta, _ = linear
    adv, _ = theta_gradient(make("advantage", 10, torch.Generator().manual_seed(2)),
                            _stacked(theta), 0, _loss_of(reward))
    strategy = make("reinforce", 10, torch.Generator().manual_seed(2))
    theta_gradient(strategy, _stacked(theta), 0, _loss_of(reward))
    rein, _ = theta_gradient(strategy, _stacked(theta), 1, _loss_of(reward))
    assert adv.var(0).sum() < rein.var(0).sum()


def test_advantage_uses_the_gate_gradient_of_the_selected_op():
    r = torch.randn(2, 4, dtype=torch.float64)
    reward = rewards.LinearReward(r)
    theta = torch.zeros(2, 4, dtype=torch.float64, requires_grad=True)
    strategy = make("advantage", 10, torch.Generator().manual_seed(0))
    grad, result = theta_gradient(strategy, theta, 0, _loss_of(reward))
    a = result.draw.gates.detach()
    expected = (-(r * a).sum(-1))[:, None] * (a - 0.25)  # Eq. (7) in loss units times the score
    torch.testing.assert_close(grad, expected)


def test_zero_op_advantage_is_the_worst_moving_average_of_the_other_ops():
    strategy = make("advantage", 10, zero_op=0, zero_op_decay=0.5)
    theta = torch.zeros(1, 3, dtype=torch.float64)
    first = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    strategy.gradient(theta, Draw(first), None, torch.tensor([[9.0, 2.0, 7.0]]), None)
    torch.testing.assert_close(strategy.ema, torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64))
    second = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)
    strategy.gradient(theta, Draw(second), None, torch.tensor([[0.0, 0.0, -4.0]]), None)
    torch.testing.assert_close(strategy.ema, torch.tensor([[0.0, 1.0, -2.0]], dtype=torch.float64))
    zero = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    grad = strategy.gradient(theta, Draw(zero), None, torch.zeros(1, 3), None)
    # worst (largest loss-unit) EMA among ops 1, 2 is 1.0 (after this step's EMA update, op 0 unchanged)
    torch.testing.assert_close(grad, 1.0 * (zero - 1 / 3))


def test_zero_op_official_variant_clamps_at_zero():
    strategy = make("advantage", 10, zero_op=0, zero_op_variant="official")
    theta = torch.zeros(1, 3, dtype=torch.float64)
    gates = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64)
    strategy.gradient(theta, Draw(gates), None, torch.tensor([[0.0, -3.0, 0.0]]), None)
    zero = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    grad = strategy.gradient(theta, Draw(zero), None, torch.zeros(1, 3), None)
    torch.testing.assert_close(grad, torch.zeros(1, 3, dtype=torch.float64))  # max(0, -3) = 0


def test_parsec_moves_towards_the_lower_loss_samples():
    r = torch.tensor([[0.0, 5.0]], dtype=torch.float64)  # op 1 has the higher reward
    theta = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    grad, result = theta_gradient(make("parsec", 10, torch.Generator().manual_seed(0)), theta, 0,
                                  _loss_of(rewards.LinearReward(r)))
    assert result.draw.samples and result.draw.gates.shape == (8, 1, 2)
    assert grad[0, 1] < 0 < grad[0, 0]  # a descent step raises theta for op 1


def test_proxyless_binary_gate_gradient_and_rescale():
    theta = torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    reward = rewards.draw_quadratic(4, 5, seed=1)
    strategy = make("proxyless", 10, torch.Generator().manual_seed(0))
    grad, result = theta_gradient(strategy, theta, 0, _loss_of(reward))
    gates, pair = result.draw.gates.detach(), result.draw.extra
    assert torch.all(gates.sum(-1) == 2) and torch.all(pair[..., 0] != pair[..., 1])
    # oracle: autograd of sum_n g_n q_n(theta_pair)
    g = torch.func.grad(lambda a: -reward(a))(gates).gather(-1, pair)
    pair_theta = theta.detach().gather(-1, pair).requires_grad_(True)
    (auto,) = torch.autograd.grad((g * torch.softmax(pair_theta, -1)).sum(), pair_theta)
    torch.testing.assert_close(grad.gather(-1, pair), auto)
    mask = torch.ones_like(grad, dtype=torch.bool).scatter(-1, pair, False)
    assert torch.all(grad[mask] == 0)
    before = torch.logsumexp(theta.detach().gather(-1, pair), -1)
    with torch.no_grad():
        theta -= 0.3 * grad
        strategy.after_step(theta)
    torch.testing.assert_close(torch.logsumexp(theta.detach().gather(-1, pair), -1), before)


def test_gdas_is_one_hot_forward_with_gradient_to_theta():
    theta = torch.randn(3, 4, dtype=torch.float64).requires_grad_(True)
    strategy = make("gdas", 100, torch.Generator().manual_seed(0))
    grad, result = theta_gradient(strategy, theta, 0, _loss_of(rewards.draw_quadratic(3, 4, seed=0)))
    gates = result.draw.gates.detach()
    assert torch.all(gates.sum(-1) == 1) and torch.all((gates == 0) | (gates == 1))
    assert result.draw.skipped == "ones" and grad.abs().sum() > 0


def test_darts_gradient_is_autograd_through_softmax():
    reward = rewards.draw_quadratic(3, 4, seed=2)
    theta = torch.randn(3, 4, dtype=torch.float64).requires_grad_(True)
    grad, _ = theta_gradient(make("darts", 10), theta, 0, _loss_of(reward))
    (auto,) = torch.autograd.grad(-reward(torch.softmax(theta, -1)), theta)
    torch.testing.assert_close(grad, auto)


def test_nasp_keeps_theta_in_the_box_and_uses_dense_gate_gradients():
    reward = rewards.draw_quadratic(3, 4, seed=3)
    theta = (2 * torch.randn(3, 4, dtype=torch.float64)).requires_grad_(True)
    strategy = make("nasp", 10)
    optimizer = torch.optim.Adam([theta], lr=0.5)
    result = theta_step(strategy, theta, optimizer, 0, _loss_of(reward))
    assert result.draw.dense
    assert torch.all(result.draw.gates.sum(-1) == 1)
    assert theta.min() >= 0 and theta.max() <= 1


@pytest.mark.parametrize("name", names())
def test_every_strategy_reduces_the_expected_loss_on_a_linear_task(name):
    reward, theta0, _ = rewards.draw_linear(4, 3, seed=5) + (None,)
    theta = _stacked(D.init_theta(4, 3, dtype=torch.float64), 8)
    strategy = make(name, 300, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam([theta], lr=0.05)
    for step in range(300):
        theta_step(strategy, theta, optimizer, step, _loss_of(reward))
    best = reward.r.argmax(-1)
    share = (D.argmax(theta.detach()).argmax(-1) == best).double().mean()
    assert share > 0.9, share


def test_nasp_with_clipping_ties_at_the_bound():
    reward, _ = rewards.draw_linear(4, 3, seed=5)
    theta = D.init_theta(4, 3, dtype=torch.float64).requires_grad_(True)
    strategy = make("nasp", 100, projection="clip")
    optimizer = torch.optim.Adam([theta], lr=0.05)
    for step in range(100):
        theta_step(strategy, theta, optimizer, step, _loss_of(reward))
    at_bound = (theta.detach() == 1).sum(-1)
    assert torch.all(at_bound == (reward.r > 0).sum(-1).clamp_min(1))


def test_unknown_strategy_lists_the_names():
    with pytest.raises(ValueError, match="strategy must be one of darts, snas, nasp, proxyless"):
        make("enas", 10)


PAPER_TABLE1 = {  # the paper's Table 1 (ENAS = REINFORCE)
    "darts": ("dense", "n-hot", False, False), "snas": ("dense", "n-hot", True, False),
    "nasp": ("dense", "1-hot", False, True), "proxyless": ("sparse", "2-hot", True, False),
    "parsec": ("sparse", "1-hot", True, False), "gdas": ("sparse", "1-hot", True, False),
    "reinforce": ("sparse", "1-hot", True, False), "advantage": ("sparse", "1-hot", True, True),
}


def test_table1_matches_the_paper():
    rows = [row for row in table1() if row["in_paper"]]
    assert len(rows) == 8
    for row in rows:
        assert (row["propagation"], row["a_i"], row["stochastic"], row["theoretical_guarantee"]) \
            == PAPER_TABLE1[row["name"]]


def test_only_random_search_is_outside_the_paper_and_leaves_theta_still():
    assert [row["name"] for row in table1() if not row["in_paper"]] == ["random"]
    assert [row["name"] for row in table1()] == names(paper_only=False) == [*names(), "random"]
    assert [n for n, c in STRATEGIES.items() if not c.learns_theta] == ["random"]
    assert names("sparse") == strategies.SPARSE and "random" in names("sparse", paper_only=False)


class _Ninth(Strategy):
    """A strategy added later: one class with no declarations beyond the required three."""

    name = "ninth"
    label = "Ninth"
    properties = Properties("sparse", "1-hot", True, False, "argmax")

    def draw(self, theta, step):
        return Draw(D.sample(theta.detach(), self.generator))

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return torch.zeros_like(theta)


def test_a_new_strategy_is_listed_after_the_papers_and_is_no_rival(monkeypatch):
    monkeypatch.setattr(strategies, "STRATEGIES", {"ninth": _Ninth, **STRATEGIES})  # registered first
    assert not _Ninth.in_paper and _Ninth.learns_theta  # the defaults
    assert names("sparse", paper_only=False) == [*strategies.SPARSE, "ninth", "random"]
    assert "ninth" not in names() and names("sparse") == strategies.SPARSE
    assert {row["name"]: row["in_paper"] for row in table1()}["ninth"] is False
    ours = strategies.PROPOSED
    assert report.order(["random", "ninth", ours, "darts"]) == ["darts", ours, "ninth", "random"]
    assert all("ninth" not in report.rivals(e) for e in report.paper.RIVALS)
    assert isinstance(strategies.make("ninth", 10), _Ninth)


def test_random_search_samples_uniformly_and_never_moves_theta():
    theta = D.init_theta(3, 4, dtype=torch.float64).requires_grad_(True)
    start = theta.detach().clone()
    strategy = make("random", 10, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam([theta], lr=0.5, weight_decay=0.1)
    picks = torch.zeros(3, 4, dtype=torch.float64)
    for step in range(400):
        result = theta_step(strategy, theta, optimizer, step, _loss_of(rewards.draw_linear(3, 4, seed=1)[0]))
        picks += result.draw.gates
    assert torch.equal(theta.detach(), start)
    # uniform: each operation 100 of 400 times per edge, binomial sd = sqrt(400 / 4 * 3 / 4) = 8.7
    assert (picks - 100).abs().max() < 4 * 8.7
    assert STRATEGIES["random"].properties.final == "process_best" and not STRATEGIES["random"].learns_theta
