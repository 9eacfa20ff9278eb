import json
import subprocess
import sys

import pytest
import torch

from advnas import distribution as D
from advnas.theory import bound, closed_form as C, estimators as E, moments as M, rewards, report

CASES = [(e, j, seed, regime) for e, j in [(1, 2), (2, 3), (3, 3), (4, 2)] for seed in (0, 1)
         for regime in ("standard", "shifted", "centred")]


def _instance(e, j, seed, regime):
    return rewards.draw_linear(e, j, seed, shift=-1.0 if regime == "shifted" else 0.0,
                               centred=regime == "centred")


@pytest.mark.parametrize("e,j,seed,regime", CASES)
def test_closed_forms_match_enumeration(e, j, seed, regime):
    reward, theta = _instance(e, j, seed, regime)
    truth = M.exact_gradient(reward, theta)
    torch.testing.assert_close(C.gradient(reward.r, theta), truth)
    for name, closed in [("reinforce", C.reinforce_variance), ("advantage", C.advantage_variance)]:
        m = M.exact_moments(E.ESTIMATORS[name], reward, theta)
        torch.testing.assert_close(m.mean, truth)  # unbiased (Eq. 4; Theorem 4.2)
        torch.testing.assert_close(m.variance, closed(reward.r, theta))


@pytest.mark.parametrize("baseline", [-2.0, 0.5, 3.0])
def test_reinforce_with_constant_baseline_matches_enumeration(baseline):
    reward, theta = _instance(3, 3, 4, "shifted")
    m = M.exact_moments(lambda a, r, t: E.reinforce(a, r, t, baseline=baseline), reward, theta)
    torch.testing.assert_close(m.mean, M.exact_gradient(reward, theta))
    torch.testing.assert_close(m.variance, C.reinforce_variance(reward.r, theta, baseline))


def test_paper_advantage_variance_is_the_second_moment():
    reward, theta = _instance(3, 3, 5, "standard")
    second = C.advantage_variance(reward.r, theta) + (C.gradient(reward.r, theta) ** 2).sum(-1)
    torch.testing.assert_close(C.paper_advantage_variance(reward.r, theta), second)
    assert torch.all(C.paper_advantage_variance(reward.r, theta) > C.advantage_variance(reward.r, theta))


def test_paper_variance_gap_is_exact_iff_other_edges_are_centred():
    def gaps(regime):
        reward, theta = _instance(4, 3, 6, regime)
        exact = C.reinforce_variance(reward.r, theta) - C.advantage_variance(reward.r, theta)
        paper = C.paper_reinforce_variance(reward.r, theta) - C.paper_advantage_variance(reward.r, theta)
        return exact, paper
    torch.testing.assert_close(*gaps("centred"))
    exact, paper = gaps("shifted")
    assert (exact - paper).abs().max() > 0.1


def test_paper_gradient_norm_differs_from_exact():
    reward, theta = _instance(3, 3, 0, "standard")
    exact = (C.gradient(reward.r, theta) ** 2).sum(-1)
    assert (C.paper_gradient_norm(reward.r, theta) - exact).abs().max() > 1e-3


def test_monte_carlo_matches_closed_form_within_4_standard_errors():
    reward, theta = _instance(30, 5, 7, "shifted")
    for name, closed in [("reinforce", C.reinforce_variance), ("advantage", C.advantage_variance)]:
        m = M.monte_carlo_moments(E.ESTIMATORS[name], reward, theta, 40_000, seed=11)
        z = (m.variance - closed(reward.r, theta)) / m.variance_se
        assert z.abs().max() < 4.5, name  # 30 edges: max |z| of 30 near-normal draws
        zm = (m.mean - C.gradient(reward.r, theta)) / m.mean_se
        assert zm.abs().max() < 5, name  # 150 components


def test_theorem_4_2_on_a_nonlinear_reward():
    reward = rewards.draw_quadratic(3, 3, seed=1)
    theta = torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    truth = M.exact_gradient(reward, theta)
    for name in ("reinforce", "advantage"):
        torch.testing.assert_close(M.exact_moments(E.ESTIMATORS[name], reward, theta).mean, truth)
    first_order = M.exact_moments(E.advantage_first_order, reward, theta).mean
    assert (first_order - truth).norm() > 1e-3 * truth.norm()  # Eq. (7) is biased here


def test_first_order_advantage_equals_exact_advantage_for_linear_reward():
    reward, theta = _instance(3, 4, 2, "standard")
    a = D.sample(theta, torch.Generator().manual_seed(0), n_samples=50)
    torch.testing.assert_close(E.advantage_first_order(a, reward, theta), E.advantage_exact(a, reward, theta))


@pytest.mark.parametrize("name", ["reinforce", "advantage"])
def test_theorem_4_1_bound_holds(name):
    reward, theta = _instance(3, 3, 3, "standard")
    reward = rewards.LinearReward(reward.r, offset=4.0)
    lhs, rhs = bound.improvement_and_bound(E.ESTIMATORS[name], reward, theta, torch.linspace(0, 2, 21))
    assert torch.all(lhs >= rhs - 1e-12)


def test_theorem_4_1_needs_positive_rewards():
    reward, theta = _instance(2, 2, 0, "shifted")
    with pytest.raises(ValueError, match="R\\(a\\) > 0"):
        bound.improvement_and_bound(E.reinforce, reward, theta, torch.tensor([0.1]))


def test_variance_report_matches_enumeration():
    result = report.variance_report(3, 2, seed=4)
    reward = rewards.LinearReward(torch.tensor(result["r"], dtype=torch.float64))
    theta = torch.tensor(result["mu"], dtype=torch.float64).log()
    for name in ("reinforce", "advantage"):
        m = M.exact_moments(E.ESTIMATORS[name], reward, theta)
        torch.testing.assert_close(torch.tensor(result[name]["mean"], dtype=torch.float64), m.mean)
        torch.testing.assert_close(torch.tensor(result[name]["variance"], dtype=torch.float64), m.variance)


def test_variance_cli_prints_the_documented_json():
    out = subprocess.run([sys.executable, "-m", "advnas", "variance", "--edges", "4", "--ops", "3",
                          "--seed", "2", "--json"], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert len(result["r"]) == 4 and len(result["mu"][0]) == 3
    for key in ("reinforce", "advantage"):
        assert len(result[key]["mean"]) == 4 and len(result[key]["variance"]) == 4
    assert set(result["paper"]) >= {"reinforce_variance", "advantage_variance"}


@pytest.mark.parametrize("args,needle", [(["--edges", "0", "--ops", "3"], "--edges"),
                                         (["--edges", "2", "--ops", "1"], "--ops")])
def test_variance_cli_rejects_bad_input_in_one_line(args, needle):
    proc = subprocess.run([sys.executable, "-m", "advnas", "variance", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr


def test_theorem41_is_checked_on_n_instances_random_instances_with_positive_rewards():
    """Theorem 4.1 needs R(a) > 0: each of the n_instances instances meets it, the first is the
    draw of ``seed``, and the bound holds on all of them (the slack is non-negative)."""
    import pandas as pd

    from advnas.theory import experiment as theory_experiment
    from advnas.theory.config import TheoryConfig

    cfg = TheoryConfig(n_instances=6, bound_offset=3.0)
    rows = pd.DataFrame(theory_experiment._rows_theorem41(cfg))
    assert sorted(rows.instance.unique()) == list(range(6))
    assert (rows.groupby("instance").size() == 2 * 41).all()
    moved = rows[rows.step > 0]
    assert (moved.value - moved.bound).min() >= 0
    with pytest.raises(ValueError, match="bound_offset too small"):
        theory_experiment._rows_theorem41(TheoryConfig(n_instances=6, bound_offset=1e-3))
