"""Exact moments of AdvantageNAS's gradient estimators in the CIFAR-10 space, by enumeration.

The paper makes two claims. Theorem 4.2 (Sec. 4.3, proof in App. A.2): with the exact
advantage of Eq. (6),

    A_i(a) = r(a) - r((s_i, 0)),   r((s_i, 0)) the reward with edge i's output set to zero,

the estimate A_i(a) grad_{theta_i} ln p_theta(a) is unbiased for grad_{theta_i} J. The
contribution (Sec. 1; Sec. 4.3, "keeping the policy gradient unbiased") is about what the
method computes: the first-order advantage of Eq. (7), dr/da_i^T a_i = <dr/dO_i, O_i^j(x)>.

At a stored point of a search (weights w, theta, one fixed minibatch V: a snapshot of the
gradient study, ``advnas/gradients/experiment.py``) every quantity is a finite sum over
the |J|^6 cells, so both claims are measured without sampling noise:

  * L(a) and A7_i(a) of every cell (one forward and one backward pass per chunk of cells,
    ``cell_enumeration.first_order_advantages``); L((s_i, 0)) of every cell and edge
    (``cell_enumeration.zeroed_edge_losses``);
  * with p(a) = prod_i mu_i(a_i) and the score grad_theta ln p(a) = a - mu (Sec. 4.2), the
    expectation and the trace of the covariance of delta6 = A6_i(a) (a_i - mu_i),
    delta7 = A7_i(a) (a_i - mu_i), and of REINFORCE's delta = (L(a) - b)(a - mu) with b = 0
    (Eq. 4) and with b = E L (the mean baseline), against the exact grad_theta J.

Signs follow the chapter (``gradients/study.py``, ``strategies/base.py``): the code minimises
the loss L (r = -L), advantages are in loss units (A6 = L(a) - L((s_i, 0)), A7 = dL/da_i^T a_i,
what ``Strategy.per_edge_advantage`` returns) and every gradient is that of the expected
LOSS, J = E[L], i.e. the descent direction the searches put in theta.grad. Negating both the
reward and the advantage leaves every comparison unchanged.

In a space with a zero operation, AdvantageNAS replaces the zero operation's advantage by a
moving average (App. B, Eq. 9), which is not a function of the cell: A7 here is Eq. (7)
itself there (0 for the zero operation), and the run records that Eq. (9) is not modelled.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .. import distribution
from ..device import default_device
from ..store import SNAPSHOTS, ResultsStore, Run, RunContext
from ..nb201.cell_enumeration import (all_cells, exact_gradient, first_order_advantages, per_cell,
                                      zeroed_edge_losses)
from ..nb201.search import SearchData
from . import experiment, study
from .config import GradientStudyConfig

EXPERIMENT = "gradients"  # stored beside the gradient study, and made stale by what makes it stale
NAME = "advantage-exact"
TABLES = "tables.pt"
# Cells per pass on a CPU: the forward and backward pass of Eq. (7) at the cpu profile's size
# (C = 8, one cell per stage, batch 64) took 0.20 s per cell in chunks of 8, 0.22 in chunks of
# 4 and 0.25 in chunks of 16 (2 busy cores, one thread).
CPU_CHUNK = 8  # per point: theta, L, L((s_i, 0)), A7, kept under the run's snapshots/


# The estimators' exact moments (pure functions of the enumerated tables) ---------------------


def scores(theta: torch.Tensor) -> torch.Tensor:
    """grad_theta ln p_theta(a) = a - mu(theta) (Sec. 4.2, below Eq. 4) of every cell,
    shape (|J|^|I|, |I|, |J|) float64."""
    n_edges, n_ops = theta.shape
    one_hot = distribution.one_hot(all_cells(n_ops, n_edges), n_ops, dtype=torch.float64)
    return one_hot - distribution.probabilities(theta.detach().double().cpu())


def exact_advantage(losses: torch.Tensor, zeroed_losses: torch.Tensor) -> torch.Tensor:
    """Eq. (6) in loss units: A6_i(a) = L(a) - L((s_i, 0)) = -(r(a) - r((s_i, 0))), (N, |I|)."""
    return losses.double()[:, None] - zeroed_losses.double()


def moments(p: torch.Tensor, deltas: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(E[delta], tr Cov[delta]) under the cell probabilities ``p`` (N,) of one estimate per
    cell ``deltas`` (N, |I|, |J|)."""
    mean = (p[:, None, None] * deltas).sum(0)
    spread = ((deltas - mean) ** 2).sum((1, 2))
    return mean, float((p * spread).sum())


def weighted_fit(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> dict[str, float]:
    """Least squares of y on x with weights w (summing to 1): the slope and intercept, the
    slope through the origin, and the weighted correlation."""
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    cov = (w * (x - mx) * (y - my)).sum()
    slope = cov / vx if vx > 0 else torch.tensor(math.nan)
    return {"slope": float(slope), "intercept": float(my - slope * mx),
            "slope_through_origin": float((w * x * y).sum() / (w * x * x).sum()),
            "correlation": float(cov / (vx * vy).sqrt()) if vx > 0 and vy > 0 else math.nan}


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    norms = a.norm() * b.norm()
    return float((a * b).sum() / norms) if norms > 0 else math.nan


def analyse(theta: torch.Tensor, losses: torch.Tensor, zeroed_losses: torch.Tensor,
            a7: torch.Tensor) -> dict[str, Any]:
    """Exact bias and variance of the estimators with Eq. (6) and Eq. (7) at one point.

    ``theta`` (|I|, |J|); ``losses`` L(a) (N,), ``zeroed_losses`` L((s_i, 0)) (N, |I|) and
    ``a7`` Eq. (7) in loss units (N, |I|), N = |J|^|I| in the order of ``all_cells``.
    Returns scalars (floats) and, under ``grad_J``, ``mean_eq6``, ``mean_eq7``, tensors.

    * Theorem 4.2: ``theorem_4_2_max_error`` = max |E[delta6] - grad J| (0 to rounding);
    * Eq. (7): bias, relative bias and cosine against grad J; ``eq7_bias_share``, the share of
      one draw's mean squared error E||delta7 - grad J||^2 that is bias;
    * A7 against A6 over (a, i), weighted by p(a): least-squares slope, correlation, the
      weight of the pairs where their signs differ;
    * tr Cov of delta6, delta7, REINFORCE without baseline (Eq. 4) and with the mean baseline
      E[L], and their ratios."""
    theta, losses = theta.detach().double().cpu(), losses.double().cpu()
    zeroed_losses, a7 = zeroed_losses.double().cpu(), a7.double().cpu()
    p = per_cell(distribution.probabilities(theta)).prod(-1)  # p_theta(a) = prod_i mu_i(a_i) (Eq. 2)
    score = scores(theta)
    grad = exact_gradient(theta, losses).cpu()
    a6 = exact_advantage(losses, zeroed_losses)
    expected = float((p * losses).sum())
    mean6, var6 = moments(p, a6[..., None] * score)
    mean7, var7 = moments(p, a7[..., None] * score)
    _, var_reinforce = moments(p, losses[:, None, None] * score)
    _, var_baseline = moments(p, (losses - expected)[:, None, None] * score)
    bias7 = float((mean7 - grad).norm())
    norm = float(grad.norm())
    w = (p[:, None] / a6.shape[1]).expand_as(a6).flatten()
    fit = weighted_fit(a6.flatten(), a7.flatten(), w)
    disagree = float((w * (torch.sign(a7.flatten()) != torch.sign(a6.flatten()))).sum())
    return {
        "expected_loss": expected, "grad_norm": norm,
        "theorem_4_2_max_error": float((mean6 - grad).abs().max()),
        "eq6_relative_bias": float((mean6 - grad).norm()) / norm if norm > 0 else math.nan,
        "eq7_bias_norm": bias7, "eq7_relative_bias": bias7 / norm if norm > 0 else math.nan,
        "eq7_cosine": _cosine(mean7, grad),
        "eq7_bias_share": bias7 ** 2 / (bias7 ** 2 + var7) if bias7 ** 2 + var7 > 0 else math.nan,
        "a7_on_a6_slope": fit["slope"], "a7_on_a6_intercept": fit["intercept"],
        "a7_on_a6_slope_through_origin": fit["slope_through_origin"], "a7_a6_correlation": fit["correlation"],
        "sign_disagreement": disagree,
        "var_eq6": var6, "var_eq7": var7, "var_reinforce": var_reinforce, "var_mean_baseline": var_baseline,
        "relative_var_eq6": var6 / norm ** 2 if norm > 0 else math.nan,
        "relative_var_eq7": var7 / norm ** 2 if norm > 0 else math.nan,
        "var_ratio_eq7_eq6": var7 / var6 if var6 > 0 else math.nan,
        "var_ratio_eq6_mean_baseline": var6 / var_baseline if var_baseline > 0 else math.nan,
        "var_ratio_eq7_mean_baseline": var7 / var_baseline if var_baseline > 0 else math.nan,
        "grad_J": grad, "mean_eq6": mean6, "mean_eq7": mean7,
    }


def noise_removed_bias(draws: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """For n Monte-Carlo draws (n, ...) of an estimator: ||mean - target||^2, its part due to
    sampling noise tr Cov / n (unbiased sample covariance), and their difference, an unbiased
    estimate of the squared bias ||E[delta] - target||^2."""
    n = draws.shape[0]
    flat, target = draws.double().flatten(1), target.double().flatten().cpu()
    naive = float(((flat.mean(0) - target) ** 2).sum())
    noise = float(flat.var(0, correction=1).sum()) / n
    return {"draws": n, "bias_sq_naive": naive, "bias_sq_noise": noise, "bias_sq_noise_removed": naive - noise}


# Enumeration at a stored snapshot --------------------------------------------------------


def snapshot_folder(run_folder: Path | str, point: str) -> Path:
    """Where the gradient study keeps ``point`` of one of its runs."""
    return Path(run_folder) / SNAPSHOTS / point


def _monte_carlo(folder: Path, grad: torch.Tensor, mean7: torch.Tensor) -> dict[str, float]:
    """The study's stored AdvantageNAS draws at the point against grad J (bias with sampling
    noise removed) and against the exact E[delta7] (``mc_vs_exact_ratio``: ||mean - E delta7||^2
    over tr Cov / n, about 1 when the draws estimate E[delta7])."""
    path = folder / experiment.DRAWS
    draws = torch.load(path, weights_only=True).get("advantage") if path.is_file() else None
    if draws is None:
        return {}
    against_j, against_exact = noise_removed_bias(draws, grad), noise_removed_bias(draws, mean7)
    return {"mc_draws": against_j["draws"], "mc_bias_sq_naive": against_j["bias_sq_naive"],
            "mc_bias_sq_noise_removed": against_j["bias_sq_noise_removed"],
            "mc_vs_exact_ratio": against_exact["bias_sq_naive"] / against_exact["bias_sq_noise"]}


def measure(run_folder: Path | str, point: str, chunk: int = 8, device: torch.device | None = None,
            data: SearchData | None = None, progress: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """(one row of numbers, the tables) at ``point`` of a gradient study run (``run_folder``): the
    tables L(a) (N,), L((s_i, 0)) (N, 6), A7 (N, 6) and theta (6, |J|), float64 on the CPU, are
    enumerated on the study's fixed minibatch there (``study.fixed_minibatch``), ``chunk`` cells
    per pass."""
    folder = snapshot_folder(run_folder, point)
    info = json.loads((folder / experiment.SEARCH).read_text())
    start = time.perf_counter()
    search, _, _ = experiment.load_snapshot(folder, device, data)
    images, labels = study.fixed_minibatch(search, info["seed"], search.epoch)
    n_ops = search.theta.shape[-1]
    losses, a7 = first_order_advantages(search.model, images, labels, n_ops, chunk, progress)
    zeroed = zeroed_edge_losses(search.model, images, labels, n_ops, chunk, progress)
    theta = search.theta.detach().double().cpu()
    seconds = time.perf_counter() - start
    result = analyse(theta, losses, zeroed, a7)
    stored = folder / experiment.LOSSES
    row = {"source": Path(run_folder).name, "seed": info["seed"], "point": point, "epoch": info["epoch"],
           **{k: v for k, v in result.items() if not isinstance(v, torch.Tensor)}, "seconds": seconds,
           "stored_losses_max_difference": float((torch.load(stored, weights_only=True).double() - losses).abs().max())
           if stored.is_file() else math.nan,
           "zero_op_in_space": info["config"].get("ops") == "with-none",  # then Eq. (9) is not modelled
           **_monte_carlo(folder, result["grad_J"], result["mean_eq7"])}
    tables = {"theta": theta, "losses": losses, "zeroed_losses": zeroed, "a7": a7,
              **{k: v for k, v in result.items() if isinstance(v, torch.Tensor)}}
    return row, tables


# Through the results store ---------------------------------------------------------------


def study_folders(cfg: GradientStudyConfig, profile: str, store: ResultsStore) -> dict[int, Path]:
    """The gradient study's run folders of ``cfg`` (one per seed), where its snapshots are."""
    return {seed: store.folder(experiment.EXPERIMENT, profile, f"{cfg.source}-seed{seed}",
                               experiment.run_config(cfg, seed)) for seed in cfg.seeds}


def run_name(seed: int, point: str) -> str:
    """One run per (seed, point): a case is the unit of work (about 18 CPU-minutes at the `cpu`
    profile), so the cases spread over workers and an added seed adds runs, leaving the others."""
    return f"{NAME}-seed{seed}-{point}"


def run_config(source: Path | str, point: str) -> dict[str, Any]:
    return {"source": Path(source).name, "point": point}


def _compute(ctx: RunContext | None, source: Path, point: str, chunk: int,
             data: SearchData | None, progress: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One (source run, point); its tables kept as the run's snapshot."""
    device = ctx.device if ctx is not None else torch.device("cpu")
    row, tables = measure(source, point, chunk, device, data, progress)
    if ctx is not None:
        ctx.save_snapshot(point, {TABLES: tables})
    return pd.DataFrame([row]), {"source": source.name, "point": point, "chunk": chunk, "row": row}


def run(cfg: GradientStudyConfig, profile: str, snapshot_folders: dict[int, Path | str] | None = None,
        points: tuple[str, ...] | list[str] | None = None, store: ResultsStore | None = None,
        chunk: int | None = None, progress: bool = True, recompute: bool = False,
        data: SearchData | None = None, seeds: list[int] | None = None) -> list[Run]:
    """The exact moments at every point of the gradient study's runs, one stored run per (seed,
    point) (``run_name``) of experiment ``gradients``. ``snapshot_folders``: the study's run
    folders by seed (default: those of ``cfg`` at ``profile``); ``seeds``: some of them only;
    ``points``: default ``cfg.points``; ``chunk``: cells per batched pass (default ``cfg.chunk``
    on a GPU, ``CPU_CHUNK`` on a CPU)."""
    store = store or ResultsStore()
    sources = {seed: Path(f) for seed, f in (snapshot_folders if snapshot_folders is not None
                                              else study_folders(cfg, profile, store)).items()}
    if seeds is not None:
        unknown = sorted(set(seeds) - set(sources))
        if unknown:
            raise ValueError(f"seeds must be among the gradient study's {sorted(sources)}, got {unknown}")
        sources = {seed: sources[seed] for seed in seeds}
    points = list(points if points is not None else cfg.points)
    missing = [str(snapshot_folder(f, p)) for f in sources.values() for p in points if not snapshot_folder(f, p).is_dir()]
    if missing:
        raise FileNotFoundError(f"no gradient-study snapshot at {', '.join(missing)}: run the gradient study first")
    chunk = chunk or (cfg.chunk if default_device().type == "cuda" else CPU_CHUNK)
    return [store.run(EXPERIMENT, profile, run_name(seed, point), run_config(source, point),
                      lambda ctx, source=source, point=point: _compute(ctx, source, point, chunk, data, progress),
                      EXPERIMENT, default_device(), recompute)
            for seed, source in sources.items() for point in points]
