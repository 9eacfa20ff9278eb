import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from advnas import strategies
from advnas.search.theta_step import theta_gradient
from advnas.toy import experiment, gradient_study
from advnas.toy.config import ToyConfig
from advnas.toy.space import ToySpace


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "advnas", *args], capture_output=True, text=True)


def test_strategies_json_lists_the_eight_names():
    rows = json.loads(_cli("strategies", "--json").stdout)
    assert {r["name"] for r in rows if r["in_paper"]} == {"advantage", "reinforce", "parsec", "proxyless",
                                                          "gdas", "darts", "snas", "nasp"}
    assert [r["name"] for r in rows if not r["in_paper"]] == ["random"]
    assert {r["name"]: r["options"] for r in rows}["parsec"] == {"samples": 8}
    for row in rows:
        assert row["propagation"] in ("sparse", "dense")
        assert isinstance(row["stochastic"], bool) and isinstance(row["theoretical_guarantee"], bool)


def test_toy_cli_writes_metrics_and_summary(tmp_path):
    out = tmp_path / "run"
    proc = _cli("toy", "--strategy", "advantage", "--seeds", "0-1", "--iterations", "30", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = pd.read_csv(out / "metrics.csv")
    assert {"strategy", "seed", "iteration", "test_loss"} <= set(metrics.columns)
    assert sorted(metrics.seed.unique()) == [0, 1] and metrics.iteration.max() == 30
    summary = json.loads((out / "summary.json").read_text())
    for seed in ("0", "1"):
        assert set(summary["per_seed"][seed]) >= {"iterations_to_recovery", "final_test_loss"}
    assert json.loads((out / "config.json").read_text())["config"]["seeds"] == [0, 1]


@pytest.mark.parametrize("args,needle", [
    (["--strategy", "enas"], "strategy must be one of darts, snas, nasp, proxyless, parsec, gdas, reinforce, advantage"),
    (["--strategy", "advantage", "--seeds", "a-b"], "--seeds must look like"),
    (["--strategy", "advantage", "--iterations", "0"], "iterations must be"),
])
def test_toy_cli_bad_input_is_one_line(tmp_path, args, needle):
    proc = _cli("toy", *args, "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1


def test_summary_finds_the_first_exact_recovery():
    metrics = pd.DataFrame({"strategy": "x", "seed": [0] * 4 + [1] * 4, "iteration": [0, 10, 20, 30] * 2,
                            "test_loss": [0.3, 0.0, 0.1, 0.0, 0.2, 0.1, 0.1, 0.1], "theta_seconds": 1.0})
    per_seed = experiment.summarise(metrics)["per_seed"]
    assert per_seed["0"] == {"iterations_to_recovery": 10, "final_test_loss": 0.0, "recovered_at_end": True}
    assert per_seed["1"]["iterations_to_recovery"] is None and per_seed["1"]["final_test_loss"] == 0.1


def test_every_strategy_runs_on_the_toy_and_the_run_is_reproducible():
    cfg = ToyConfig.from_dict({"iterations": 12, "seeds": [3, 4], "eval_every": 4})
    for name in cfg.strategies:
        first = experiment.search(cfg, name, torch.device("cpu"), progress=False)
        assert len(first) == 2 * 4 and first.test_loss.ge(0).all()
    again = experiment.search(cfg, "advantage", torch.device("cpu"), progress=False)
    pd.testing.assert_frame_equal(
        experiment.search(cfg, "advantage", torch.device("cpu"), progress=False).drop(columns="theta_seconds"),
        again.drop(columns="theta_seconds"))


def test_lockstep_search_equals_running_each_strategy_alone():
    cfg = ToyConfig.from_dict({"iterations": 15, "seeds": [1, 2], "eval_every": 5})
    names = ["advantage", "parsec", "darts"]
    together = experiment.search(cfg, names, torch.device("cpu"), progress=False)
    for name in names:
        alone = experiment.search(cfg, name, torch.device("cpu"), progress=False)
        pd.testing.assert_frame_equal(
            together[together.strategy == name].drop(columns="theta_seconds").reset_index(drop=True),
            alone.drop(columns="theta_seconds"))


def test_reinforce_on_the_toy_matches_the_enumerated_gradient():
    """Oracle on a tiny toy (2 edges x 3 ops, one fixed minibatch): E[delta] = 0.95 grad J."""
    base = ToySpace.create(1, 2, 3, seeds=[5], dtype=torch.float64)
    x = base.sample_inputs(20)
    theta0 = torch.randn(1, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    exact_theta = theta0.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad(base.expected_loss(exact_theta, x).sum(), exact_theta)
    n = 20_000
    stacked = gradient_study._stack(base, n)
    c = stacked.candidates(x.expand(n, *x.shape[1:]))
    target = stacked.teacher_output(c)
    strategy = strategies.make("reinforce", 10, torch.Generator().manual_seed(1))
    theta = theta0.expand(n, 2, 3).clone().requires_grad_(True)
    loss_of = lambda d: stacked.loss(c, d.gates, target, d.dense, d.skipped)  # noqa: E731
    theta_gradient(strategy, theta, 0, loss_of)
    grad, _ = theta_gradient(strategy, theta, 1, loss_of)
    mean, se = grad.mean(0), grad.std(0) / n ** 0.5
    assert torch.all((mean - 0.95 * exact[0]).abs() <= 4 * se + 1e-12)


def test_gradient_study_reports_every_strategy(tmp_path):
    cfg = ToyConfig.from_dict({"study_samples": 40, "study_pool": 100, "study_points": [0, 5],
                               "iterations": 50})
    table = gradient_study.measure(cfg)
    assert set(table.strategy) == set(cfg.strategies) and set(table.iteration) == {0, 5}
    assert (table.variance >= 0).all() and table.cosine.between(-1, 1).all()
