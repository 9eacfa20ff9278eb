"""Oracle tests of the exact moments of AdvantageNAS's estimators (advnas/gradients/advantage_exact.py)
and of the enumeration they rest on (the zeroed-edge losses of Eq. 6, the advantage of Eq. 7)."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from advnas import behaviour, distribution
from advnas.gradients import advantage_exact, experiment
from advnas.gradients import report as exact_report
from advnas.gradients.config import GradientStudyConfig
from advnas.nb201.cell_enumeration import (advantage_chunk, all_cells, cell_index, cell_losses,
                                           first_order_advantages, zeroed_edge_losses)
from advnas.nb201.experiment import synthetic_data
from advnas.nb201.supernet import SearchNetwork
from advnas.store import ResultsStore
from advnas.strategies.base import Strategy


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Tiny synthetic spaces: the moments against brute-force enumeration -------------------------


def _state_table(n_edges: int, n_ops: int, generator: torch.Generator) -> torch.Tensor:
    """Random L((s_i, 0)): for each edge a random function of the other edges' choices only."""
    cells = all_cells(n_ops, n_edges)
    out = torch.empty(len(cells), n_edges, dtype=torch.float64)
    for i in range(n_edges):
        per_state = torch.randn(len(cells), generator=generator, dtype=torch.float64)
        state = cells.clone()
        state[:, i] = 0
        out[:, i] = per_state[cell_index(state, n_ops)]
    return out


def _brute_force(theta: torch.Tensor, losses: torch.Tensor, advantage: torch.Tensor):
    """(grad J by autograd of sum_a p(a) L(a); E[A_i(a) grad_{theta_i} ln p(a)] by loops)."""
    n_edges, n_ops = theta.shape
    leaf = theta.double().clone().requires_grad_(True)
    mu = torch.softmax(leaf, -1)
    cells = list(itertools.product(range(n_ops), repeat=n_edges))
    expected = sum(math.prod(mu[i, a[i]] for i in range(n_edges)) * losses[k] for k, a in enumerate(cells))
    (grad,) = torch.autograd.grad(expected, leaf)
    mu = mu.detach()
    mean = torch.zeros(n_edges, n_ops, dtype=torch.float64)
    for k, a in enumerate(cells):
        p = math.prod(float(mu[i, a[i]]) for i in range(n_edges))
        for i in range(n_edges):
            for j in range(n_ops):
                mean[i, j] += p * float(advantage[k, i]) * ((a[i] == j) - float(mu[i, j]))
    return grad, mean


@pytest.mark.parametrize("n_edges,n_ops", [(2, 3), (3, 2), (3, 3)])
def test_theorem_4_2_exact_advantage_is_unbiased(n_edges, n_ops):
    """E[A6_i(a) (a_i - mu_i)] = grad J to rounding, for any losses, as soon as L((s_i, 0))
    does not depend on a_i (App. A.2); and the brute-force means agree with ``analyse``'s."""
    g = torch.Generator().manual_seed(n_edges * 10 + n_ops)
    theta = torch.randn(n_edges, n_ops, generator=g, dtype=torch.float64)
    losses = torch.rand(n_ops ** n_edges, generator=g, dtype=torch.float64) * 3
    zeroed = _state_table(n_edges, n_ops, g)
    a7 = torch.randn(n_ops ** n_edges, n_edges, generator=g, dtype=torch.float64)
    result = advantage_exact.analyse(theta, losses, zeroed, a7)
    grad, mean6 = _brute_force(theta, losses, losses[:, None] - zeroed)
    _, mean7 = _brute_force(theta, losses, a7)
    torch.testing.assert_close(result["grad_J"], grad, rtol=0, atol=1e-10)
    torch.testing.assert_close(result["mean_eq6"], grad, rtol=0, atol=1e-10)
    torch.testing.assert_close(result["mean_eq7"], mean7, rtol=0, atol=1e-10)
    assert result["theorem_4_2_max_error"] < 1e-12
    assert result["eq7_relative_bias"] == pytest.approx(float((mean7 - grad).norm() / grad.norm()), rel=1e-9)


def test_a_zeroed_loss_that_depends_on_the_edge_is_biased():
    """The control: with L((s_i, 0)) replaced by a table that depends on a_i, the check fails."""
    g = torch.Generator().manual_seed(5)
    theta = torch.randn(3, 3, generator=g, dtype=torch.float64)
    losses = torch.rand(27, generator=g, dtype=torch.float64)
    zeroed = torch.randn(27, 3, generator=g, dtype=torch.float64)
    assert advantage_exact.analyse(theta, losses, zeroed, zeroed)["theorem_4_2_max_error"] > 1e-3


def test_eq7_equal_to_eq6_has_no_bias():
    g = torch.Generator().manual_seed(1)
    theta = torch.randn(3, 3, generator=g, dtype=torch.float64)
    losses = torch.rand(27, generator=g, dtype=torch.float64)
    zeroed = _state_table(3, 3, g)
    r = advantage_exact.analyse(theta, losses, zeroed, losses[:, None] - zeroed)
    assert r["eq7_bias_norm"] < 1e-12 and r["eq7_bias_share"] < 1e-20
    assert r["eq7_cosine"] == pytest.approx(1.0, abs=1e-12)
    assert r["a7_on_a6_slope"] == pytest.approx(1.0) and r["a7_a6_correlation"] == pytest.approx(1.0)
    assert r["sign_disagreement"] == 0.0 and r["var_ratio_eq7_eq6"] == pytest.approx(1.0)


def test_variances_of_a_hand_computed_example():
    """Two edges, two operations, theta = 0 (every cell has p = 1/4), L(a) = c_0[a_0] + c_1[a_1]
    with c = [[1, 3], [2, 6]] and L((s_i, 0)) = c_k[a_k] (k != i), so A6_i(a) = c_i[a_i]; by hand
    (per edge, the two values of delta_i are +-(1/2, -1/2) times the advantage):
    tr Cov delta6 = 2 + 8 = 10; REINFORCE, L - E L = (-3, 1, -1, 3): 2 + 1/2 = 5/2; without
    baseline 20 + 18.5 = 38.5. A7 = 2 A6: E delta7 = 2 grad J, tr Cov = 40, the bias share
    ||grad J||^2 / (||grad J||^2 + 40) with ||grad J||^2 = 2 (1/4 + 1)."""
    c = torch.tensor([[1.0, 3.0], [2.0, 6.0]], dtype=torch.float64)
    cells = all_cells(2, 2)
    losses = c[0, cells[:, 0]] + c[1, cells[:, 1]]
    zeroed = torch.stack([c[1, cells[:, 1]], c[0, cells[:, 0]]], dim=1)
    a6 = losses[:, None] - zeroed
    r = advantage_exact.analyse(torch.zeros(2, 2), losses, zeroed, 2 * a6)
    assert r["var_eq6"] == pytest.approx(10.0)
    assert r["var_mean_baseline"] == pytest.approx(2.5)
    assert r["var_reinforce"] == pytest.approx(38.5)
    assert r["var_ratio_eq6_mean_baseline"] == pytest.approx(4.0)
    assert r["var_ratio_eq7_eq6"] == pytest.approx(4.0)
    assert r["grad_norm"] ** 2 == pytest.approx(2.5)
    assert r["eq7_relative_bias"] == pytest.approx(1.0) and r["eq7_cosine"] == pytest.approx(1.0)
    assert r["eq7_bias_share"] == pytest.approx(2.5 / 42.5)
    assert r["a7_on_a6_slope"] == pytest.approx(2.0) and r["a7_on_a6_intercept"] == pytest.approx(0.0, abs=1e-12)
    assert r["expected_loss"] == pytest.approx(6.0)


def test_sign_disagreement_is_weighted_by_the_cell_probabilities():
    """One edge, two operations, mu = (3/4, 1/4): A7 has the wrong sign on operation 1 only."""
    theta = torch.tensor([[math.log(3.0), 0.0]], dtype=torch.float64)
    losses = torch.tensor([1.0, 2.0], dtype=torch.float64)
    zeroed = torch.zeros(2, 1, dtype=torch.float64)
    r = advantage_exact.analyse(theta, losses, zeroed, torch.tensor([[1.0], [-2.0]], dtype=torch.float64))
    assert r["sign_disagreement"] == pytest.approx(0.25)


def test_noise_removed_bias_by_hand():
    """Draws 1 and 3 around 0: ||mean||^2 = 4, tr Cov / n = 2 / 2, the estimate 4 - 1 = 3."""
    out = advantage_exact.noise_removed_bias(torch.tensor([[1.0], [3.0]]), torch.tensor([0.0]))
    assert out == {"draws": 2, "bias_sq_naive": 4.0, "bias_sq_noise": 1.0, "bias_sq_noise_removed": 3.0}


# The enumeration on a 2-channel network (8x8 images: the network takes any size) -----------


def _network(seed: int = 0):
    torch.manual_seed(seed)
    model = SearchNetwork(2, 1).train()
    images = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
    labels = torch.randint(0, 10, (4,), generator=torch.Generator().manual_seed(seed + 1))
    return model, images, labels


PICKED = torch.tensor([0, 7, 1365, 2730, 4095, 1000, 3333])


def test_zeroed_edge_losses_are_forward_passes_with_that_edge_zero():
    """Column i: the loss of the cell with edge i's output 0 in every cell of the network, i.e.
    a dense forward pass whose gates on edge i are all 0; it does not depend on a_i."""
    model, images, labels = _network()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    zeroed = zeroed_edge_losses(model, images, labels, 4, chunk=512)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "the network changed"
    assert all("forward" not in vars(m) for m in model.modules()), "a patched forward was left behind"
    cells = all_cells(4)
    for k in PICKED.tolist():
        for i in range(6):
            gates = distribution.one_hot(cells[k], 4)
            gates[i] = 0
            with torch.no_grad():
                direct = F.cross_entropy(model(images, gates, dense=True), labels)
            assert float(zeroed[k, i]) == pytest.approx(float(direct), rel=1e-5, abs=1e-6)
            other = cells[k].clone()
            other[i] = (other[i] + 1) % 4
            assert zeroed[cell_index(other, 4), i] == zeroed[k, i]


def test_eq7_is_the_gate_gradient_the_strategy_uses():
    """advantage_chunk's A7 equals Strategy.per_edge_advantage of the search network's own
    sparse (lean) forward and backward, and its losses are the cells' losses."""
    model, images, labels = _network(1)
    cells = all_cells(4)[PICKED]
    losses, a7 = advantage_chunk(model, images, labels, cells)
    for k, cell in enumerate(cells):
        gates = distribution.one_hot(cell, 4).requires_grad_(True)
        loss = F.cross_entropy(model(images, gates), labels)
        (gate_grad,) = torch.autograd.grad(loss, gates)
        reference = Strategy.per_edge_advantage(gates, gate_grad).double()
        torch.testing.assert_close(a7[k], reference, rtol=1e-4, atol=1e-6)  # float32 passes
        assert float(losses[k]) == pytest.approx(float(loss.detach()), rel=1e-6)
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
    every_losses, every_a7 = first_order_advantages(model, images, labels, 4, chunk=1024)
    torch.testing.assert_close(every_a7[PICKED], a7, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(every_losses, cell_losses(model, images, labels, 4, chunk=1024), rtol=1e-5, atol=1e-6)


# End to end: a gradient-study snapshot through the store -------------------------------------


def test_run_on_a_stored_study_snapshot(tmp_path, monkeypatch):
    """A 1-channel study (batch 2, one point, 50 AdvantageNAS draws) through the store, then
    ``run``: Theorem 4.2 holds at the point; the losses are the study's stored ones (same
    minibatch); the study's draws of the strategy's own code scatter around the exact E[delta7]."""
    monkeypatch.setattr(behaviour, "digest", lambda name, part=None: "test")  # no golden run
    cfg = GradientStudyConfig(channels=1, cells_per_stage=1, train_size=8, val_size=8, batch=2, epochs=2,
                              warmup_epochs=1, seeds=(0,), points=("end",), draws=50, chunk=1024,
                              strategies=("advantage",))
    data = synthetic_data(8)
    store = ResultsStore(tmp_path)
    store.run("gradients", "smoke", "advantage-seed0", experiment.run_config(cfg, 0),
              lambda ctx: experiment._study(cfg, 0, data, ctx, False), "gradients", torch.device("cpu"))
    (run,) = advantage_exact.run(cfg, "smoke", store=store, chunk=1024, progress=False, data=data)
    assert run.computed and run.info["name"] == "advantage-exact-seed0-end"
    row = run.summary["row"]
    assert row["point"] == "end" and row["epoch"] == 2 and not row["zero_op_in_space"]
    assert row["theorem_4_2_max_error"] < 1e-12
    assert row["stored_losses_max_difference"] < 1e-5
    assert 0 < row["eq7_bias_share"] < 1 and -1 <= row["eq7_cosine"] <= 1
    assert row["mc_draws"] == 50 and row["mc_vs_exact_ratio"] < 10
    tables = torch.load(run.folder / "snapshots" / "end" / advantage_exact.TABLES, weights_only=True)
    assert tables["a7"].shape == (4096, 6) and tables["zeroed_losses"].shape == (4096, 6)
    (again,) = advantage_exact.run(cfg, "smoke", store=store, chunk=1024, progress=False, data=data)
    assert not again.computed and again.metrics.shape[0] == 1
    # The report reads the stored cases; a seed added to the study leaves them stored and
    # names what is missing and its price.
    assert [r.folder for r in exact_report.stored(cfg, "smoke", store)] == [run.folder]
    eq6, eq7 = exact_report.verdicts(exact_report.stored(cfg, "smoke", store), "smoke", cfg)
    assert eq6.outcome == "holds" and eq6.n == 1 and "not computed" not in eq6.evidence
    more = dataclasses.replace(cfg, seeds=(0, 1))
    assert [r.folder for r in exact_report.stored(more, "smoke", store)] == [run.folder]
    eq6, _ = exact_report.verdicts(exact_report.stored(more, "smoke", store), "smoke", more)
    assert eq6.n == 1 and "1 of the study's 2 (seed, point) cases are not computed yet (seed 1)" in eq6.evidence
    with pytest.raises(ValueError, match="seeds must be among"):
        advantage_exact.run(cfg, "smoke", store=store, seeds=[3], data=data)
