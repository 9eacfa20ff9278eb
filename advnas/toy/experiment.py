"""The toy regression search (Sec. 5.1, Fig. 1): theta only, weights fixed, trials stacked.

For each strategy, all trials (one per seed) run as one batched computation: theta has
shape (trials, edges, ops). Each trial has its own teacher, weights and data stream,
shared by every strategy (the space is rebuilt from the same seeds for each strategy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
import torch
from tqdm import tqdm

from .. import distribution, strategies
from ..device import default_device, synchronize
from ..search.seeds import derive_seed
from ..search.theta_step import theta_step
from ..store import ResultsStore, Run, RunContext
from . import gradient_study
from .config import ToyConfig
from .space import ToySpace



@dataclass
class _Contender:
    """One strategy's search state within the lockstep loop."""

    name: str
    strategy: strategies.Strategy
    theta: torch.Tensor
    optimizer: torch.optim.Optimizer
    seconds: float = 0.0  # its theta steps plus the shared minibatch preparation


def _contender(cfg: ToyConfig, name: str, seeds: list[int], device: torch.device) -> _Contender:
    # The strategy's own sampling stream, from the trial seeds and its name.
    generator = torch.Generator(device=device).manual_seed(derive_seed(seeds, name))
    strategy = strategies.make(name, cfg.iterations, generator, **cfg.options_for(name))
    theta = distribution.init_theta(cfg.n_edges, cfg.n_ops, batch=(len(seeds),), device=device)
    theta.requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    return _Contender(name, strategy, theta, optimizer)


def search(cfg: ToyConfig, names: str | list[str], device: torch.device | None = None,
           progress: bool = True) -> pd.DataFrame:
    """Run strategies on all trials; return the tidy test-loss table.

    The strategies advance in lockstep and share each minibatch and each test batch: every
    strategy sees exactly the data it would see alone (each trial's data stream depends
    only on its seed), and the inputs are drawn and prepared once instead of once per
    strategy. A strategy's time (``theta_seconds``) is what it would take alone: the shared
    preparation plus its own theta steps; evaluation is excluded."""
    names = [names] if isinstance(names, str) else list(names)
    device = device or default_device()
    seeds = list(cfg.seeds)
    space = ToySpace.create(len(seeds), cfg.n_edges, cfg.n_ops, seeds=seeds, device=device)
    test_generator = torch.Generator(device=device).manual_seed(seeds[0] + 12345)
    contenders = [_contender(cfg, name, seeds, device) for name in names]
    rows = []

    def evaluate(iteration: int) -> None:
        test = space.minibatch(space.sample_inputs(cfg.batch, generator=test_generator))
        with torch.no_grad():
            for c in contenders:
                losses = test.loss(distribution.argmax(c.theta.detach()), dense=False).tolist()
                rows.extend({"strategy": c.name, "seed": s, "iteration": iteration, "test_loss": l,
                             "theta_seconds": c.seconds} for s, l in zip(seeds, losses))

    label = names[0] if len(names) == 1 else f"{len(names)} strategies"
    for iteration in tqdm(range(cfg.iterations), desc=f"toy {label}", disable=not progress,
                          mininterval=2.0):
        if iteration % cfg.eval_every == 0:  # before the update of this iteration (official code: toy/toy.py, the theta optimisation)
            evaluate(iteration)
        synchronize(device)
        start = time.perf_counter()
        batch = space.minibatch(space.sample_inputs(cfg.batch))
        synchronize(device)
        shared = time.perf_counter() - start
        for c in contenders:
            start = time.perf_counter()
            theta_step(c.strategy, c.theta, c.optimizer, iteration,
                       lambda draw: batch.loss(draw.gates, draw.dense, draw.skipped))
            synchronize(device)
            c.seconds += shared + time.perf_counter() - start
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


def _compute(cfg: ToyConfig, names: list[str], progress: bool):
    def compute(ctx: RunContext):
        metrics = search(cfg, names, ctx.device, progress)
        per_strategy = {n: {"strategy": n, **summarise(metrics[metrics.strategy == n])} for n in names}
        summary = per_strategy[names[0]] if len(names) == 1 else {"strategies": per_strategy}
        return metrics, summary
    return compute


def run_at(cfg: ToyConfig, name: str, profile: str, folder, progress: bool = True, recompute: bool = False,
           wait: bool = False) -> Run:
    """One strategy, all seeds of ``cfg``, into an explicit folder (the command line's --out).
    Its summary.json holds ``per_seed`` results directly."""
    return ResultsStore().run_at(folder, "toy", profile, name, cfg.run_config(name), _compute(cfg, [name], progress),
                                 "toy", default_device(), recompute, wait)


def run_all(cfg: ToyConfig, profile: str, store: ResultsStore | None = None, recompute: bool = False) -> Run:
    """Every strategy of ``cfg`` in one lockstep run (Fig. 1), through the results store
    (``recompute``: afresh even when stored). Its summary.json holds one entry per strategy
    under ``strategies``."""
    config = {k: v for k, v in cfg.to_dict().items() if not k.startswith("study_")}
    config["strategy_options"] = {name: cfg.options_for(name) for name in cfg.strategies}
    return (store or ResultsStore()).run("toy", profile, "fig1", config, _compute(cfg, list(cfg.strategies), True),
                                         "toy", default_device(), recompute)


def job_runs(cfg: ToyConfig, strategy: None, seed: None, profile: str, progress: bool = False,
             recompute: bool = False) -> list[Run]:
    """The chapter's one job of the run list (``advnas.jobs``): Fig. 1's searches and the
    gradient study."""
    return [run_all(cfg, profile, recompute=recompute), gradient_study.run(cfg, profile, recompute=recompute)]


def golden() -> dict:
    """Behaviour fingerprint (``advnas/behaviour.py``): every strategy, 2 trials on a 3 x 4
    toy for 30 iterations; each strategy's test-loss table and summary are its outputs, keyed by
    its name (a strategy's own sampling stream and the shared data do not depend on which other
    strategies run beside it, so a stored toy run depends on its own strategies' part only)."""
    cfg = ToyConfig(n_edges=3, n_ops=4, batch=20, iterations=30, eval_every=10, seeds=(0, 1),
                    strategies=tuple(strategies.STRATEGIES))
    metrics = search(cfg, list(cfg.strategies), torch.device("cpu"), progress=False)
    return {n: {"metrics": metrics[metrics.strategy == n].drop(columns=["theta_seconds", "strategy"]).to_dict("records"),
                "summary": summarise(metrics[metrics.strategy == n])["per_seed"]} for n in cfg.strategies}
