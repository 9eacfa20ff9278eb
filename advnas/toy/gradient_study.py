"""Measured bias and variance of each strategy's theta-gradient on a reduced toy task.

The paper argues about variance (Sec. 4.4) and unbiasedness (Theorem 4.2) but never
measures either for the strategies it compares. On a toy space small enough to enumerate
(few edges and operations), the objective J(theta) = E_{a ~ p_theta}[L(a; X)] over a fixed
input pool X and its exact gradient are finite sums. At a few points theta_k of one search,
each strategy's theta-gradient is drawn many times (fresh architecture draws and fresh
minibatches of the pool) and compared with that gradient.

Each draw is one trial of a stacked space, so the n draws are computed in one batch.
Strategies with state (REINFORCE's baseline) are first warmed up at theta_k. The statistics of
the draws (bias, variance, cosine) are those of every gradient study (``gradient_statistics``).
"""

from __future__ import annotations

import pandas as pd
import torch

from .. import distribution, gradient_statistics, strategies
from ..search.theta_step import theta_gradient, theta_step
from .config import ToyConfig
from .space import ToySpace

WARMUP_CALLS = 20  # baseline warm-up at a fixed theta before measuring


def _stack(space: ToySpace, n: int) -> ToySpace:
    return ToySpace(space.w7.expand(n, *space.w7.shape[1:]), space.w4.expand(n, *space.w4.shape[1:]),
                    space.teacher.expand(n, *space.teacher.shape[1:]), space.seeds * n,
                    space.data_generators * n)


def _trajectory(space: ToySpace, cfg: ToyConfig, pool: torch.Tensor, seed: int) -> dict[int, torch.Tensor]:
    """theta at the iterations ``cfg.study_points`` of an AdvantageNAS search on ``space``."""
    generator = torch.Generator().manual_seed(seed)
    strategy = strategies.make(strategies.PROPOSED, cfg.iterations, generator)
    theta = distribution.init_theta(space.n_edges, space.n_ops, batch=(1,)).requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    points = {}
    for step in range(max(cfg.study_points) + 1):
        if step in cfg.study_points:
            points[step] = theta.detach().clone()
        batch = space.minibatch(pool[:, torch.randint(pool.shape[1], (cfg.batch,), generator=generator)])
        theta_step(strategy, theta, optimizer, step, lambda d: batch.loss(d.gates, d.dense, d.skipped))
    return points


def measure(cfg: ToyConfig, seed: int | None = None) -> pd.DataFrame:
    """One row per (search point, strategy): bias, variance and alignment with grad J."""
    seed = cfg.seeds[0] if seed is None else seed
    base = ToySpace.create(1, cfg.study_edges, cfg.study_ops, seeds=[seed])
    data = torch.Generator().manual_seed(seed + 777)
    pool = base.sample_inputs(cfg.study_pool, generator=data)
    n = cfg.study_samples
    stacked = _stack(base, n)
    rows = []
    for step, theta_k in _trajectory(base, cfg, pool, seed).items():
        theta_exact = theta_k.clone().requires_grad_(True)
        (exact,) = torch.autograd.grad(base.expected_loss(theta_exact, pool).sum(), theta_exact)
        exact = exact[0]
        for name in cfg.strategies:
            generator = torch.Generator().manual_seed(seed * 1000 + step)
            strategy = strategies.make(name, cfg.iterations, generator, **cfg.options_for(name))
            theta = theta_k.expand(n, *theta_k.shape[1:]).clone().requires_grad_(True)
            for call in range(WARMUP_CALLS + 1 if strategy.keeps_statistics else 1):
                batch = stacked.minibatch(pool[0, torch.randint(pool.shape[1], (n, cfg.batch), generator=data)])
                grad, _ = theta_gradient(strategy, theta.detach().clone().requires_grad_(True), step,
                                         lambda d: batch.loss(d.gates, d.dense, d.skipped))
            found = gradient_statistics.describe(grad, exact)
            rows.append({
                "iteration": step, "strategy": name, "samples": n,
                "exact_gradient_norm": found["target_norm"],
                **{key: found[key] for key in ("bias_norm", "bias_se", "relative_bias", "cosine", "variance",
                                               "relative_variance")},
            })
    return pd.DataFrame(rows)


STUDY_FIELDS = ("seeds", "strategies", "iterations", "batch", "lr", "beta1", "beta2", "strategy_options",
                "study_edges", "study_ops", "study_pool", "study_samples", "study_points")


def run(cfg: ToyConfig, profile: str, store=None, recompute: bool = False):
    """The study through the results store (its config: the fields it depends on; ``recompute``:
    afresh even when stored)."""
    from ..store import ResultsStore

    config = {k: v for k, v in cfg.to_dict().items() if k in STUDY_FIELDS}
    config["strategy_options"] = {name: cfg.options_for(name) for name in cfg.strategies}
    store = store or ResultsStore()

    def compute(ctx):
        table = measure(cfg)
        return table, {"points": list(cfg.study_points), "samples": cfg.study_samples}

    return store.run("toy", profile, "gradient-study", config, compute, "toy-gradient-study", recompute=recompute)


def golden() -> list:
    """Behaviour fingerprint (``advnas/behaviour.py``): the study on a 2 x 3 toy, 40 draws."""
    cfg = ToyConfig(seeds=(0,), iterations=20, study_edges=2, study_ops=3, study_pool=50,
                    study_samples=40, study_points=(0, 5))
    return measure(cfg).to_dict("records")
