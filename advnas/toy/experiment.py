"""The toy regression search (Sec. 5.1, Fig. 1): theta only, weights fixed, trials stacked.

For each strategy, all trials (one per seed) run as one batched computation: theta has
shape (trials, edges, ops). Each trial has its own teacher, weights and data stream,
shared by every strategy (the space is rebuilt from the same seeds for each strategy).
"""

from __future__ import annotations

import hashlib
import time

import pandas as pd
import torch
from tqdm import tqdm

from .. import distribution, strategies
from ..device import default_device
from ..search.theta_step import theta_step
from ..store import ResultsStore, Run, RunContext
from .config import ToyConfig
from .space import ToySpace

CODE_MODULES = ["advnas.distribution", "advnas.strategies", "advnas.search", "advnas.toy.space",
                "advnas.toy.config", "advnas.toy.experiment"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _stream_seed(seeds: list[int], name: str) -> int:
    """A reproducible seed for the strategy's own sampling, from the trial seeds and its name."""
    return int(hashlib.sha256(f"{seeds}/{name}".encode()).hexdigest()[:8], 16)


def search(cfg: ToyConfig, name: str, device: torch.device | None = None,
           progress: bool = True) -> pd.DataFrame:
    """Run one strategy on all trials; return the tidy test-loss table."""
    device = device or default_device()
    seeds = list(cfg.seeds)
    space = ToySpace.create(len(seeds), cfg.n_edges, cfg.n_ops, seeds=seeds, device=device)
    generator = torch.Generator(device=device).manual_seed(_stream_seed(seeds, name))
    test_generator = torch.Generator(device=device).manual_seed(seeds[0] + 12345)
    strategy = strategies.make(name, cfg.iterations, generator, **cfg.strategy_options(name))
    theta = distribution.init_theta(cfg.n_edges, cfg.n_ops, batch=(len(seeds),), device=device)
    theta.requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    rows, elapsed = [], 0.0

    def evaluate(iteration: int) -> None:
        gates = distribution.argmax(theta.detach())
        losses = space.test_loss(gates, cfg.batch, generator=test_generator).tolist()
        rows.extend({"strategy": name, "seed": s, "iteration": iteration, "test_loss": l,
                     "theta_seconds": elapsed} for s, l in zip(seeds, losses))

    for iteration in tqdm(range(cfg.iterations), desc=f"toy {name}", disable=not progress,
                          mininterval=2.0):
        if iteration % cfg.eval_every == 0:  # before the update of this iteration (spec §1.5)
            evaluate(iteration)
        _sync(device)
        start = time.perf_counter()
        batch = space.minibatch(space.sample_inputs(cfg.batch))
        theta_step(strategy, theta, optimizer, iteration,
                   lambda draw: batch.loss(draw.gates, draw.dense, draw.skipped))
        _sync(device)
        elapsed += time.perf_counter() - start
    evaluate(cfg.iterations)
    return pd.DataFrame(rows)


def summarise(metrics: pd.DataFrame) -> dict:
    """Per seed: the first evaluated iteration with test loss exactly 0, and the final loss."""
    per_seed = {}
    for seed, group in metrics.groupby("seed"):
        group = group.sort_values("iteration")
        hits = group[group.test_loss == 0.0].iteration
        final = group.iloc[-1]
        per_seed[str(seed)] = {
            "iterations_to_recovery": int(hits.iloc[0]) if len(hits) else None,
            "final_test_loss": float(final.test_loss),
            "recovered_at_end": bool(final.test_loss == 0.0),
        }
    return {"per_seed": per_seed, "theta_seconds": float(metrics.theta_seconds.max())}


def _compute(cfg: ToyConfig, name: str, device: torch.device, progress: bool):
    def compute(ctx: RunContext):
        metrics = search(cfg, name, device, progress)
        return metrics, {"strategy": name, **summarise(metrics)}
    return compute


def run(cfg: ToyConfig, name: str, profile: str, store: ResultsStore | None = None,
        progress: bool = True) -> Run:
    """One strategy, all seeds of ``cfg``, through the results store."""
    store, device = store or ResultsStore(), default_device()
    config = {**cfg.to_dict(), "strategies": [name]}
    return store.run("toy", profile, name, config, _compute(cfg, name, device, progress), CODE_MODULES,
                     device)


def run_at(cfg: ToyConfig, name: str, profile: str, folder, progress: bool = True) -> Run:
    """``run`` into an explicit folder (the command line's --out)."""
    device = default_device()
    config = {**cfg.to_dict(), "strategies": [name]}
    return ResultsStore().run_at(folder, "toy", profile, name, config,
                                 _compute(cfg, name, device, progress), CODE_MODULES, device)


def run_all(cfg: ToyConfig, profile: str, store: ResultsStore | None = None) -> list[Run]:
    return [run(cfg, name, profile, store) for name in cfg.strategies]
