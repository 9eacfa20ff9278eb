"""Speed of the toy search (Sec. 5.1): batched trials, and AdvantageNAS's theta-step cost.

Measures, side by side in one process:
  * the whole Fig. 1 run: every strategy, all trials stacked, all iterations (target: <= 2 min
    on 2 CPU cores), and the time per trial-iteration, batched against one trial at a time;
  * AdvantageNAS's theta-step time divided by REINFORCE's (target: <= 1.05; the paper says the
    advantage costs nothing extra). REINFORCE needs no backward pass; the official code runs
    one anyway, so both ratios are reported.
Results go through the results store (results/benchmarks/<profile>/toy-speed-*/).

    python benchmarks/toy_speed.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import statistics
import time

import pandas as pd
import torch

from advnas import distribution, strategies
from advnas.device import default_device
from advnas.runlist import notebook
from advnas.search.theta_step import theta_step
from advnas.toy import experiment
from advnas.toy.space import ToySpace

SETTINGS = {  # profile -> (iterations for the full run, repeats and steps of the ratio timing)
    "smoke": {"iterations": 20, "single_iterations": 10, "repeats": 3, "steps": 5},
    "cpu": {"iterations": 2000, "single_iterations": 200, "repeats": 41, "steps": 25},
    "paper": {"iterations": 2000, "single_iterations": 200, "repeats": 101, "steps": 25},
}


def full_run(cfg, device) -> list[dict]:
    """The whole Fig. 1 computation as the chapter runs it: all strategies in lockstep."""
    start = time.perf_counter()
    metrics = experiment.search(cfg, list(cfg.strategies), device, progress=False)
    wall = time.perf_counter() - start
    rows = [{"measurement": "full_run", "strategy": "all", "trials": len(cfg.seeds),
             "iterations": cfg.iterations, "wall_seconds": wall}]
    for name, group in metrics.groupby("strategy"):
        rows.append({"measurement": "alone_estimate", "strategy": name, "trials": len(cfg.seeds),
                     "iterations": cfg.iterations, "theta_seconds": group.theta_seconds.max()})
    return rows


def _timed_steps(batches, strategy, theta, optimizer, start_step, device) -> float:
    """Seconds per theta step (draw, forward, backward if needed, gradient, update)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for k, batch in enumerate(batches):
        theta_step(strategy, theta, optimizer, start_step + k,
                   lambda d: batch.loss(d.gates, d.dense, d.skipped))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / len(batches)


def step_ratio(cfg, repeats: int, steps: int, device) -> list[dict]:
    """Interleaved timing of theta steps on the same prepared minibatches: AdvantageNAS,
    REINFORCE (no backward pass: it needs none), REINFORCE with a backward pass (as the
    official code runs one). The order of the three is shuffled in every repeat."""
    space = ToySpace.create(len(cfg.seeds), cfg.n_edges, cfg.n_ops, seeds=list(cfg.seeds), device=device)
    contenders = {}
    for variant, name, backward in [("advantage", "advantage", True), ("reinforce", "reinforce", False),
                                    ("reinforce+backward", "reinforce", True)]:
        strategy = strategies.make(name, 10**6, torch.Generator(device=device).manual_seed(0))
        strategy.needs_gate_gradient = backward
        theta = distribution.init_theta(cfg.n_edges, cfg.n_ops, batch=(len(cfg.seeds),),
                                        device=device).requires_grad_(True)
        contenders[variant] = (strategy, theta, torch.optim.Adam([theta], lr=cfg.lr))
    order = torch.Generator().manual_seed(0)
    rows = []
    for repeat in range(repeats):
        batches = [space.minibatch(space.sample_inputs(cfg.batch)) for _ in range(steps)]
        names = list(contenders)
        for i in torch.randperm(len(names), generator=order).tolist():
            strategy, theta, optimizer = contenders[names[i]]
            seconds = _timed_steps(batches, strategy, theta, optimizer, repeat * steps, device)
            rows.append({"measurement": "theta_step", "strategy": names[i], "repeat": repeat,
                         "seconds_per_step": seconds})
    return rows


def single_vs_batched(cfg, iterations: int, device) -> list[dict]:
    rows = []
    for trials in (1, len(cfg.seeds)):
        sub = cfg.replace(seeds=list(cfg.seeds[:trials]), iterations=iterations, strategies=["advantage"])
        metrics = experiment.search(sub, ["advantage"], device, progress=False)
        rows.append({"measurement": "per_trial_iteration", "strategy": "advantage", "trials": trials,
                     "ms_per_trial_iteration": 1e3 * metrics.theta_seconds.max() / (trials * iterations)})
    return rows


def _quartiles(table: pd.DataFrame, a: str, b: str) -> list[float]:
    steps = table[table.measurement == "theta_step"].pivot(index="repeat", columns="strategy",
                                                            values="seconds_per_step")
    return [float(q) for q in statistics.quantiles(steps[a] / steps[b], n=4)]


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    settings, device = SETTINGS[profile], default_device()
    cfg = notebook("toy").resolve("paper", {"iterations": settings["iterations"]})
    rows = full_run(cfg, device)
    rows += single_vs_batched(cfg, settings["single_iterations"], device)
    rows += step_ratio(cfg, settings["repeats"], settings["steps"], device)
    table = pd.DataFrame(rows)
    medians = table[table.measurement == "theta_step"].groupby("strategy").seconds_per_step.median()
    per = table[table.measurement == "per_trial_iteration"].set_index("trials").ms_per_trial_iteration
    full = table[table.measurement == "full_run"]
    summary = {
        "device": str(device), "torch_threads": torch.get_num_threads(),
        "full_run_seconds": float(full.wall_seconds.sum()),
        "strategies_one_by_one_seconds": float(
            table[table.measurement == "alone_estimate"].theta_seconds.sum()),
        "full_run_target_seconds": 120,
        "ms_per_trial_iteration_batched": float(per[len(cfg.seeds)]),
        "ms_per_trial_iteration_single": float(per[1]),
        "median_theta_step_seconds": {k: float(v) for k, v in medians.items()},
        "advantage_over_reinforce": float(medians["advantage"] / medians["reinforce"]),
        "advantage_over_reinforce_with_backward": float(medians["advantage"] / medians["reinforce+backward"]),
        "ratio_target": 1.05,
        # ratio of medians is noisy too: the spread of per-repeat ratios
        "ratio_per_repeat_quartiles": _quartiles(table, "advantage", "reinforce"),
        "ratio_with_backward_per_repeat_quartiles": _quartiles(table, "advantage", "reinforce+backward"),
    }
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the losses of the timed
    theta steps (AdvantageNAS, REINFORCE with and without a backward pass) on a small toy."""
    cfg = notebook("toy").resolve("paper", {"iterations": 5, "seeds": [0, 1], "n_edges": 3, "n_ops": 4})
    device = torch.device("cpu")
    space = ToySpace.create(len(cfg.seeds), cfg.n_edges, cfg.n_ops, seeds=list(cfg.seeds), device=device)
    losses = {}
    for variant, name, backward in [("advantage", "advantage", True), ("reinforce", "reinforce", False),
                                    ("reinforce+backward", "reinforce", True)]:
        strategy = strategies.make(name, 10**6, torch.Generator().manual_seed(0))
        strategy.needs_gate_gradient = backward
        theta = distribution.init_theta(cfg.n_edges, cfg.n_ops, batch=(len(cfg.seeds),)).requires_grad_(True)
        optimizer = torch.optim.Adam([theta], lr=cfg.lr)
        batch = space.minibatch(space.sample_inputs(cfg.batch, generator=torch.Generator().manual_seed(1)))
        losses[variant] = [theta_step(strategy, theta, optimizer, k, lambda d: batch.loss(d.gates, d.dense, d.skipped))
                           .loss.tolist() for k in range(3)]
    return {"settings": SETTINGS, "losses": losses}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("toy-speed", profile, SETTINGS, measure, "toy-speed-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "toy-speed", SETTINGS, measure, "toy-speed-benchmark")
