"""The gradient study in the CIFAR-10 space: the batched loss of every cell, the exact gradient
of J, and the estimators measured against it (advnas/nb201/cell_enumeration.py,
advnas/gradients/study.py, experiment.py, study_report.py)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from advnas import distribution, strategies
from advnas.gradients import experiment, study
from advnas.gradients.config import GradientStudyConfig
from advnas.nb201.cell_enumeration import (all_cells, batched_logits, cell_index, cell_losses, exact_gradient,
                                           expected_loss, log_marginal_gradient, shared_first_cell)
from advnas.nb201.experiment import synthetic_data
from advnas.nb201.search import make_search
from advnas.nb201.supernet import SearchNetwork
from advnas.store import ResultsStore


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _network(cells_per_stage: int = 1, channels: int = 2, seed: int = 0):
    torch.manual_seed(seed)
    model = SearchNetwork(channels, cells_per_stage).train()
    images = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    labels = torch.randint(0, 10, (4,), generator=torch.Generator().manual_seed(seed + 1))
    return model, images, labels


def _single_losses(model, images, labels, choices):
    with torch.no_grad():
        return torch.stack([F.cross_entropy(model(images, distribution.one_hot(c, 4)), labels) for c in choices])


@pytest.mark.parametrize("cells_per_stage", [1, 2])
def test_batched_logits_equal_separate_forward_passes(cells_per_stage):
    """Per-cell batch norm and the shared first cell give each cell's own forward pass."""
    model, images, labels = _network(cells_per_stage)
    cells = all_cells(4)[torch.tensor([0, 7, 1365, 2730, 4095, 1000, 3333])]
    single = _single_losses(model, images, labels, cells)
    for first in (None, shared_first_cell(model, images, 4)):
        logits = batched_logits(model, images, cells, first)
        batched = torch.stack([F.cross_entropy(logits[k], labels) for k in range(len(cells))])
        torch.testing.assert_close(batched, single, rtol=1e-5, atol=1e-6)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batched_logits(model, images, cells)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "running statistics moved"


def test_cell_index_inverts_the_enumeration():
    cells = all_cells(4)
    assert cells.shape == (4096, 6)
    assert torch.equal(cell_index(cells, 4), torch.arange(4096))
    one_hot = distribution.enumerate_architectures(6, 4)
    assert torch.equal(one_hot.argmax(-1), cells)


@pytest.fixture(scope="module")
def smoke_table():
    """The loss of all 4,096 cells of the smoke-size network on 4 images."""
    torch.set_num_threads(1)
    model, images, labels = _network()
    return model, images, labels, cell_losses(model, images, labels, 4, chunk=512)


def test_enumerated_losses_are_the_cells_losses(smoke_table):
    model, images, labels, losses = smoke_table
    picked = torch.tensor([3, 500, 2048, 4000])
    single = _single_losses(model, images, labels, all_cells(4)[picked])
    torch.testing.assert_close(losses[picked].float(), single, rtol=1e-5, atol=1e-6)


def test_exact_gradient_is_autograd_of_the_enumerated_expected_loss(smoke_table):
    """On the smoke network: the finite sum sum_a p L (a - mu) against autograd of sum_a p L."""
    *_, losses = smoke_table
    theta = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    leaf = theta.double().requires_grad_(True)
    (reference,) = torch.autograd.grad(expected_loss(leaf, losses), leaf)
    torch.testing.assert_close(exact_gradient(theta, losses), reference, rtol=1e-10, atol=1e-12)
    # PARSEC's target, -grad log E[exp(-L)], equals sum_a w(a) (a - mu)... with w the posterior
    mu = distribution.probabilities(theta.double())
    p = distribution.architecture_probabilities(distribution.enumerate_architectures(6, 4), theta.double())
    posterior = p * torch.exp(-losses)
    posterior = posterior / posterior.sum()
    a = distribution.enumerate_architectures(6, 4)
    expected = -((posterior[:, None, None] * (a - mu)).sum(0))
    torch.testing.assert_close(log_marginal_gradient(theta, losses), expected, rtol=1e-9, atol=1e-12)


def _linear_point(seed: int = 0):
    """A fake search point whose loss is linear in the gates: L(a) = sum_i <c_i, a_i> + 2."""
    generator = torch.Generator().manual_seed(seed)
    c = torch.randn(6, 4, generator=generator)
    theta = torch.randn(6, 4, generator=generator) * 0.7
    task = SimpleNamespace(zero_op=None, loss=lambda batch, draw: (draw.gates * c).sum((-2, -1)) + 2.0)
    search = SimpleNamespace(theta=theta, epoch=3, theta_steps=10, task=task,
                             settings=SimpleNamespace(theta_steps=100))
    cells = all_cells(4)
    losses = (c[torch.arange(6), cells].sum(-1) + 2.0).double()
    return study.Point(search, None, None, losses)


def _within(draws: torch.Tensor, target: torch.Tensor, standard_errors: float = 4.0) -> None:
    n = draws.shape[0]
    mean, se = draws.mean(0), draws.std(0) / math.sqrt(n)
    deviation = (mean - target).abs()
    assert bool((deviation <= standard_errors * se + 1e-12).all()), \
        f"mean off by {(deviation / se.clamp_min(1e-30)).max():.1f} standard errors"


def test_advantage_mean_matches_exact_gradient_on_a_linear_loss():
    """Eq. (7) is exact for a loss linear in the gates, so AdvantageNAS is unbiased there:
    its mean over 4,000 draws lies within 4 standard errors of the enumerated grad J."""
    point = _linear_point()
    exact = exact_gradient(point.theta, point.losses)
    draws = study.draw_gradients("advantage", point, 4000, seed=0)
    _within(draws, exact)
    row = study.compare(draws, exact, exact)
    assert row["bias_p"] > 1e-4 and row["cosine"] > 0.95


def test_reinforce_estimates_its_own_target_and_gdas_is_biased():
    """The controls: REINFORCE's mean is (1 - gamma) grad J within 4 standard errors (its
    baseline is updated with the current loss first); random search's gradient is 0."""
    point = _linear_point(1)
    exact = exact_gradient(point.theta, point.losses)
    draws = study.draw_gradients("reinforce", point, 4000, seed=0)
    _within(draws, 0.95 * exact)
    assert torch.count_nonzero(study.draw_gradients("random", point, 50, seed=0)) == 0


def test_compare_reports_bias_variance_and_their_errors():
    generator = torch.Generator().manual_seed(0)
    target = torch.tensor([[1.0, -1.0], [0.5, 0.0]], dtype=torch.float64)
    draws = target + 0.1 * torch.randn(2000, 2, 2, generator=generator, dtype=torch.float64) + 0.05
    row = study.compare(draws, target, target)
    assert row["bias_norm"] == pytest.approx(0.1, abs=0.01)  # 0.05 on each of 4 components
    assert row["variance"] == pytest.approx(0.04, rel=0.1)  # 4 components of variance 0.01
    assert row["bias_p"] < 1e-6 and row["bias_components_tested"] == 4
    unbiased = study.compare(draws - 0.05, target, target)
    assert unbiased["bias_p"] > 0.01
    assert row["bias_se"] == pytest.approx(math.sqrt(row["variance"] / 2000))


def test_study_keeps_snapshots_that_reload_into_the_search(tmp_path):
    """One seed of the study on synthetic data through the store: a row per strategy, target
    and point; snapshots that reload to the same theta and the same cell losses."""
    cfg = GradientStudyConfig(channels=2, cells_per_stage=1, train_size=16, val_size=16, batch=4, epochs=2,
                              warmup_epochs=1, seeds=(0,), points=("end",), draws=4, chunk=512,
                              strategies=("advantage", "reinforce", "random"))
    data = synthetic_data(16)
    store = ResultsStore(tmp_path)
    run = store.run("gradients", "smoke", "advantage-seed0", experiment.run_config(cfg, 0),
                    lambda ctx: experiment._study(cfg, 0, data, ctx, False), "gradients",
                    torch.device("cpu"))
    assert set(zip(run.metrics.strategy, run.metrics.target)) == {
        ("advantage", "grad_J"), ("reinforce", "grad_J"), ("reinforce", "own"), ("random", "grad_J"),
        ("random", "own")}
    snapshot = run.folder / "snapshots" / "end"
    info = json.loads((snapshot / "search.json").read_text())
    assert info["epoch"] == 2 and info["strategy"] == "advantage"
    draws = torch.load(snapshot / "draws.pt", weights_only=True)
    assert set(draws) == {"advantage", "reinforce", "random"} and draws["advantage"].shape == (4, 6, 4)
    search, _, losses = experiment.load_snapshot(snapshot, torch.device("cpu"), data)
    assert search.epoch == 2 and losses.shape == (4096,)
    fresh = make_search(cfg.search_config(), "advantage", 0, data, torch.device("cpu"))
    fresh.run(progress=False)  # the same search, uninterrupted: measuring leaves its streams alone
    assert torch.equal(fresh.theta.detach(), search.theta.detach())
    images, labels = study.fixed_minibatch(search, 0, search.epoch)
    again = study.measure_losses(search, images, labels, chunk=512)
    torch.testing.assert_close(again, losses)
    from advnas.gradients import study_report

    tested = study_report.with_norm_tests(run.metrics, [run])
    assert tested.norm_p.notna().sum() == 3  # advantage and reinforce against grad J, reinforce against its own
    # recompute removes the snapshots with the rest of the run's files, and nothing else
    metrics, summary = run.metrics, run.summary
    store.run("gradients", "smoke", "advantage-seed0", experiment.run_config(cfg, 0),
              lambda ctx: (metrics, summary), "gradients", torch.device("cpu"), recompute=True)
    assert not (run.folder / "snapshots").exists()


def test_stored_studies_are_found_by_the_cpu_profile():
    """The chapter's configuration names the stored studies (a setting added later with its
    default, such as ``data``, does not change a study's identity)."""
    from pathlib import Path

    from advnas.provenance import config_hash
    from advnas.runlist import notebook

    cfg = notebook("gradients").resolve("cpu")
    root = Path(__file__).resolve().parents[1] / "results" / "gradients" / "cpu"
    stored = {p.name for p in root.iterdir()} if root.is_dir() else set()
    wanted = {f"{cfg.source}-seed{s}-{config_hash(experiment.run_config(cfg, s))}" for s in cfg.seeds}
    assert wanted <= stored, f"the cpu profile would recompute {sorted(wanted - stored)}"


def test_config_rejects_bad_points_and_sources():
    from advnas.config import ConfigError

    with pytest.raises(ConfigError, match="points must be"):
        GradientStudyConfig.from_dict({"points": ["start"]})
    with pytest.raises(ConfigError, match="source must be"):
        GradientStudyConfig.from_dict({"source": "darts"})
    with pytest.raises(ConfigError, match="draws must be"):
        GradientStudyConfig.from_dict({"draws": 1})
    cfg = GradientStudyConfig.from_dict({"epochs": 16, "warmup_epochs": 8})
    assert [cfg.point_epoch(p) for p in ("warmup_end", "middle", "end")] == [8, 12, 16]
    assert cfg.search_config().strategies == (strategies.PROPOSED,)


def test_command_line_rejects_bad_input(tmp_path, capsys):
    from advnas.cli import main

    assert main(["nb201", "gradients", "--strategy", "darts", "--checkpoint", str(tmp_path)]) != 0
    assert "--strategy must be one of" in capsys.readouterr().err
    assert main(["nb201", "gradients", "--strategy", "advantage", "--checkpoint", str(tmp_path / "no")]) != 0
    assert "--checkpoint must be a folder" in capsys.readouterr().err
    assert main(["nb201", "gradients", "--strategy", "advantage", "--checkpoint", str(tmp_path)]) != 0
    assert "holds neither" in capsys.readouterr().err


def _metrics(ours_variance: float, ours_p: float, cases: int = 3):
    import pandas as pd

    rows = []
    for k in range(cases):
        seed, point = k % 2, ("warmup_end", "middle", "end")[k % 3]
        for name, variance, p in (("advantage", ours_variance * (1 + 0.01 * k), ours_p), ("reinforce", 1.0, 0.5)):
            rows.append({"seed": seed, "point": point, "strategy": name, "target": "grad_J", "draws": 200,
                         "variance": variance, "variance_se": 0.01, "bias_p": p, "relative_bias": 0.1,
                         "cosine": 0.9, "bias_norm": 0.1, "bias_se": 0.1, "relative_variance": variance})
        rows.append({"seed": seed, "point": point, "strategy": "reinforce", "target": "own", "draws": 200,
                     "variance": 1.0, "variance_se": 0.01, "bias_p": 0.5, "relative_bias": 0.1, "cosine": 0.9,
                     "bias_norm": 0.1, "bias_se": 0.1, "relative_variance": 1.0})
    return pd.DataFrame(rows)


def test_verdicts_follow_the_intervals_and_the_tests():
    from advnas.gradients import study_report

    lower, biased = study_report.verdicts(_metrics(0.5, 1e-9))
    assert lower.outcome == "holds" and biased.outcome == "fails"
    assert lower.interval[1] < 1 and lower.estimate == pytest.approx(0.5, rel=0.05)  # the geometric mean ratio
    assert "bias detected in 0 of 3 cases" in biased.evidence  # the REINFORCE control
    higher, unbiased = study_report.verdicts(_metrics(2.0, 0.4))
    assert higher.outcome == "fails" and unbiased.outcome == "inconclusive at n = 200" and unbiased.n == 200
    (mixed, _) = study_report.verdicts(_metrics(1.0, 0.4, cases=2).assign(
        variance=lambda f: f.variance.where(~((f.strategy == "advantage") & (f.seed == 0)), 0.5)))
    assert mixed.outcome == "inconclusive at n = 2" and mixed.n == 2


def test_norm_test_holds_its_level_where_a_component_is_a_rare_event():
    """Draws whose components are rare events (as when mu has concentrated): the norm test
    rejects a true mean about 5 % of the time at the 5 % level, and finds a shifted one."""
    from advnas.gradients.study_report import norm_test

    generator = torch.Generator().manual_seed(0)
    mu = torch.tensor([0.97, 0.01, 0.01, 0.01], dtype=torch.float64)
    rejected = 0
    for trial in range(200):
        index = torch.multinomial(mu, 200, replacement=True, generator=generator)
        draws = torch.nn.functional.one_hot(index, 4).double() - mu  # the score a - mu: mean 0
        rejected += norm_test(draws, torch.zeros(4), simulations=2000, seed=trial) < 0.05
    assert rejected <= 20  # 5 % of 200 is 10; a binomial 95 % bound is about 16
    index = torch.multinomial(mu, 200, replacement=True, generator=generator)
    draws = torch.nn.functional.one_hot(index, 4).double() - mu
    assert norm_test(draws, torch.full((4,), 0.05, dtype=torch.float64), simulations=2000) < 0.01
