"""The CIFAR-10 search loop (Alg. 1): optimiser semantics, the split, the schedule, process
best, and resume after an interruption (in process and by killing the command line)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from advnas.config import ConfigError
from advnas.nb201 import experiment
from advnas.nb201.search import SearchData, class_interleaved, make_search
from advnas.search.loop import SearchLoop
from advnas.nb201.search_config import NB201SearchConfig
from advnas.search.optim import ChainerNesterov, Hooked, cosine
from advnas.store import ResultsStore
from advnas.strategies import STRATEGIES, make

TINY = dict(seeds=[0], channels=4, cells_per_stage=1, train_size=128, val_size=128, batch=32,
            epochs=3, warmup_epochs=1)
TIME_COLUMNS = ["epoch_seconds", "wall_time_s"]


def fake_data(n: int = 128, seed: int = 0) -> SearchData:
    return experiment.synthetic_data(n, seed)



def tiny(**changes) -> NB201SearchConfig:
    return NB201SearchConfig.from_dict({**TINY, **changes})


def test_chainer_nesterov_matches_its_update_rule():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = ChainerNesterov([p], lr=0.1, momentum=0.9)
    v, expected = torch.zeros(2), p.detach().clone()
    for g in (torch.tensor([0.5, 1.0]), torch.tensor([-1.0, 2.0])):
        p.grad = g.clone()
        opt.step()
        v = 0.9 * v - 0.1 * g  # Chainer v4 NesterovAG: the new velocity is used
        expected = expected + 0.81 * v - 1.9 * 0.1 * g
        torch.testing.assert_close(p.detach(), expected)


def test_hooks_fill_missing_gradients_decay_then_clip():
    used, unused = torch.nn.Parameter(torch.tensor([3.0, 4.0])), torch.nn.Parameter(torch.tensor([1.0]))
    inner = torch.optim.SGD([used, unused], lr=1.0)
    opt = Hooked(inner, weight_decay=0.5, clip=1.0)
    used.grad = torch.tensor([1.0, 0.0])
    before = [used.detach().clone(), unused.detach().clone()]
    norm = opt.step()
    g = torch.tensor([1.0 + 1.5, 2.0, 0.5])  # grad + 0.5 p, the unused one starting from 0
    assert norm == pytest.approx(float(g.norm()))
    step = g / g.norm()  # clipped to norm 1, after the decay (official code: cifar10/search.py, the Chainer optimisers and hooks)
    torch.testing.assert_close(used.detach(), before[0] - step[:2])
    torch.testing.assert_close(unused.detach(), before[1] - step[2:])


def test_cosine_schedule_by_integer_epoch():
    assert cosine(0.1, 0, 100) == pytest.approx(0.1)
    assert cosine(0.1, 50, 100) == pytest.approx(0.05)
    assert cosine(3e-4, 40, 40) == pytest.approx(0.0)


def test_class_interleaved_order_balances_every_prefix():
    labels = torch.arange(10).repeat_interleave(50)  # sorted by class, as the JPEG copy
    order = class_interleaved(labels)
    assert sorted(order.tolist()) == list(range(500))
    first = labels[order][:100]
    assert torch.bincount(first, minlength=10).tolist() == [10] * 10
    assert labels[order][:10].tolist() == list(range(10))


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ConfigError, match="unknown"):
        NB201SearchConfig.from_dict({"epoch": 3})
    with pytest.raises(ConfigError, match="ops"):
        NB201SearchConfig.from_dict({"ops": "all"})
    with pytest.raises(ConfigError, match="warmup_epochs"):
        NB201SearchConfig.from_dict({"epochs": 10, "warmup_epochs": 10})


def test_paper_defaults():
    cfg = NB201SearchConfig()
    assert (cfg.epochs, cfg.warmup_epochs, cfg.batch, cfg.channels, cfg.cells_per_stage) == (100, 50, 64, 16, 5)
    assert (cfg.train_size, cfg.val_size, len(cfg.seeds), cfg.op_names) == (
        25_000, 25_000, 3, ("skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"))
    assert cfg.theta_steps == 50 * 390
    assert NB201SearchConfig(ops="with-none").options_for("advantage")["zero_op_treatment"] is True


def test_theta_frozen_during_warmup_then_searched():
    search = make_search(tiny(), "advantage", 0, fake_data(), torch.device("cpu"))
    initial = search.theta.detach().clone()
    search.run_epoch()
    assert torch.equal(search.theta.detach(), initial) and search.theta_steps == 0
    assert search.rows[-1]["phase"] == "warmup" and math.isnan(search.rows[-1]["theta_loss"])
    search.run_epoch()
    assert search.theta_steps == 128 // 32
    assert not torch.equal(search.theta.detach(), initial)
    assert search.rows[-1]["theta_lr"] == pytest.approx(3e-4)  # first search epoch: cosine at 0


@pytest.mark.parametrize("name", ["darts", "advantage", "gdas"])
def test_a_theta_step_forms_the_same_theta_gradient_with_no_weight_gradient(name):
    """The loop's theta step runs with the weights frozen (``loop.frozen``): theta's gradient is
    the one of the unfrozen network, no weight gradient is formed, and the weights are
    trainable again afterwards."""
    from advnas.search.loop import frozen
    from advnas.search.theta_step import theta_gradient

    search = make_search(tiny(), name, 0, fake_data(), torch.device("cpu"))
    batch = search.task.theta_batch()

    def gradient(freeze: bool):
        search.strategy.generator.manual_seed(7)
        with frozen(search.model) if freeze else contextlib.nullcontext():
            found, _ = theta_gradient(search.strategy, search.theta, 0, lambda draw: search.task.loss(batch, draw))
        return found

    search.model.eval()  # the same batch statistics twice
    torch.testing.assert_close(gradient(True), gradient(False), rtol=1e-5, atol=1e-7)
    search.model.zero_grad(set_to_none=True)
    search.theta_step(batch)
    assert all(p.grad is None and p.requires_grad for p in search.model.parameters())


def test_weight_draws_follow_each_strategy():
    theta = torch.zeros(6, 4)
    theta[:, 2] = 5.0
    nasp = make("nasp", 10, torch.Generator().manual_seed(0))
    assert torch.equal(nasp.weight_draw(theta, 0, warmup=False).gates.argmax(-1), torch.full((6,), 2))
    assert not nasp.weight_draw(theta, 0, warmup=False).dense  # sparse weight steps (Table 1's note)
    parsec = make("parsec", 10, torch.Generator().manual_seed(0))
    draw = parsec.weight_draw(theta, 0, warmup=False)
    assert draw.gates.shape == (6, 4) and not draw.gates.requires_grad
    darts = make("darts", 10)
    assert darts.weight_draw(theta, 0, warmup=True).dense


def test_process_best_is_the_lowest_validation_loss_sample():
    search = make_search(tiny(), "parsec", 0, fake_data(), torch.device("cpu"))
    gates = torch.eye(4)[torch.tensor([[0, 1, 2, 3, 0, 1], [2, 2, 2, 2, 2, 2]])]  # (2, 6, 4)
    draw = make("parsec", 1).draw(torch.zeros(6, 4), 0)
    draw.gates = gates
    search._track_process_best(draw, torch.tensor([2.0, 1.5]))
    assert search.best_loss == 1.5 and search.best_arch.count("nor_conv_3x3") == 6
    search._track_process_best(draw, torch.tensor([1.7, 1.6]))
    assert search.best_loss == 1.5  # not replaced by a worse minibatch loss
    proxyless = make_search(tiny(), "proxyless", 0, fake_data(), torch.device("cpu"))
    proxyless.run_epoch(), proxyless.run_epoch()
    assert proxyless.summary()["process_best_arch"] is None  # two-hot: undefined (Table 2's note)


@pytest.mark.parametrize("ops", ["nb201", "with-none"])
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_searches_and_logs_each_epoch(strategy, ops):
    """Every strategy on both search spaces (App. D's four operations; App. F's five)."""
    search = make_search(tiny(epochs=2, ops=ops), strategy, 0, fake_data(), torch.device("cpu"))
    search.run(progress=False)
    rows = pd.DataFrame(search.rows)
    assert rows.epoch.tolist() == [1, 2] and rows.phase.tolist() == ["warmup", "search"]
    assert rows.entropy.between(0, math.log(len(search.task.op_names)) + 1e-6).all()
    assert rows.argmax_accuracy.between(10, 95).all()
    summary = search.summary()
    assert summary["final_rule"] == STRATEGIES[strategy].properties.final
    assert summary["argmax_params_mb"] > 0


def _store_run(tmp_path, monkeypatch, stop_after=None):
    """One search through the store; ``stop_after`` epochs raises as a kill would."""
    monkeypatch.setattr(experiment, "_cifar", lambda data="full": None)
    monkeypatch.setattr(experiment, "split", lambda cifar, cfg, device: fake_data())
    if stop_after is not None:
        original = SearchLoop.run

        def interrupted(self, progress=True, after_epoch=None):
            def hook(search):
                after_epoch(search)
                if search.epoch == stop_after:
                    raise KeyboardInterrupt
            original(self, progress, hook)
        monkeypatch.setattr(SearchLoop, "run", interrupted)
    return experiment.SEARCHES.run(tiny(epochs=4), "advantage", 0, "smoke", ResultsStore(tmp_path), progress=False)


def test_interrupted_search_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    whole = _store_run(tmp_path / "a", monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        _store_run(tmp_path / "b", monkeypatch, stop_after=2)
    folder = next((tmp_path / "b").glob("nb201/smoke/*"))
    assert (folder / "checkpoint.pt").exists() and not (folder / "summary.json").exists()
    monkeypatch.undo()
    resumed = _store_run(tmp_path / "b", monkeypatch)
    pd.testing.assert_frame_equal(whole.metrics.drop(columns=TIME_COLUMNS),
                                  resumed.metrics.drop(columns=TIME_COLUMNS))
    drop = lambda s: {k: v for k, v in s.items() if k != "wall_time_s"}  # noqa: E731
    assert drop(whole.summary) == drop(resumed.summary)
    assert not (folder / "checkpoint.pt").exists()


def _cli(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "advnas", "nb201", "search", "--strategy", "advantage",
                             "--profile", "smoke", "--seed", "0", "--epochs", "6", "--quiet", "--out", str(out),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_command_line_search_killed_and_restarted_ends_as_uninterrupted(tmp_path):
    """A real kill (SIGKILL) after the first checkpoint; the rerun resumes from it."""
    killed = _cli(tmp_path / "killed")
    checkpoint = tmp_path / "killed" / "checkpoint.pt"
    deadline = time.time() + 180
    while not checkpoint.exists() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    if (tmp_path / "killed" / "summary.json").exists():
        pytest.skip("the search finished before it could be killed")
    assert checkpoint.exists(), killed.stderr.read()
    epochs_done = torch.load(checkpoint, weights_only=True)["epoch"]
    assert 1 <= epochs_done < 6
    resumed, whole = _cli(tmp_path / "killed", "--json"), _cli(tmp_path / "whole", "--json")
    out_resumed, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    out_whole, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    a, b = json.loads(out_resumed), json.loads(out_whole)
    for key in ("argmax_arch", "argmax_accuracy", "process_best_arch", "process_best_accuracy", "theta_steps"):
        assert a[key] == b[key], key
    metrics = pd.read_csv(tmp_path / "killed" / "metrics.csv")
    assert metrics.epoch.tolist() == list(range(1, 7))
    assert {"epoch", "argmax_accuracy", "entropy"} <= set(metrics.columns)


def test_command_line_rejects_a_bad_strategy(tmp_path):
    result = subprocess.run([sys.executable, "-m", "advnas", "nb201", "search", "--strategy", "enas",
                             "--profile", "smoke", "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: strategy must be one of {', '.join(STRATEGIES)}; got 'enas'"]


def test_search_space_with_the_zero_operation():
    search = make_search(tiny(ops="with-none", epochs=2), "advantage", 0, fake_data(), torch.device("cpu"))
    assert search.model.ops[-1] == "none" and search.theta.shape == (6, 5)
    assert search.strategy.zero_op == 4 and search.strategy.keeps_statistics  # Eq. (9) wired (App. B)
    search.run(progress=False)
    assert "none" in search.model.arch_string(torch.eye(5)[torch.tensor([4, 0, 0, 0, 0, 0])])
    assert search.rows[-1]["argmax_accuracy"] > 0
