"""The theory chapter's computation: one tidy table, stored through the results store.

Parts (column ``part``):
  enumeration  small instance: estimator means and variances by enumeration, beside the
               exact closed forms and the paper's expressions;
  scaling      per-edge variance against |I| from the exact closed forms;
  monte_carlo  large instances: Monte Carlo variances with standard errors vs closed forms;
  theorem42    a non-linear reward: bias of REINFORCE, Eq. (6) and Eq. (7) by enumeration;
  theorem41    both sides of Eq. (5) over a range of step sizes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from .. import distribution
from ..store import ResultsStore, Run, RunContext
from . import bound, closed_form, estimators, moments, rewards
from .config import TheoryConfig

REGIMES = ("centred", "standard", "shifted")


def _linear(cfg: TheoryConfig, regime: str, n_edges: int, n_ops: int, seed: int):
    shift = cfg.reward_shift if regime == "shifted" else 0.0
    return rewards.draw_linear(n_edges, n_ops, seed, shift=shift, centred=regime == "centred")


def _rows_enumeration(cfg: TheoryConfig) -> list[dict]:
    rows = []
    for regime in REGIMES:
        reward, theta = _linear(cfg, regime, cfg.small_edges, cfg.small_ops, cfg.seed)
        truth = moments.exact_gradient(reward, theta)
        exact = {"reinforce": closed_form.reinforce_variance(reward.r, theta),
                 "advantage": closed_form.advantage_variance(reward.r, theta)}
        paper = {"reinforce": closed_form.paper_reinforce_variance(reward.r, theta),
                 "advantage": closed_form.paper_advantage_variance(reward.r, theta)}
        base = {"part": "enumeration", "regime": regime, "n_edges": cfg.small_edges}
        for name in ("reinforce", "advantage"):
            m = moments.exact_moments(estimators.ESTIMATORS[name], reward, theta)
            for edge in range(cfg.small_edges):
                common = {**base, "estimator": name, "edge": edge}
                rows += [
                    {**common, "quantity": "variance", "source": "enumeration", "value": m.variance[edge].item()},
                    {**common, "quantity": "variance", "source": "closed_form", "value": exact[name][edge].item()},
                    {**common, "quantity": "variance", "source": "paper", "value": paper[name][edge].item()},
                    {**common, "quantity": "mean_abs_error", "source": "enumeration",
                     "value": (m.mean[edge] - truth[edge]).abs().max().item()},
                ]
        norms = {"enumeration": (truth ** 2).sum(-1),
                 "paper": closed_form.paper_gradient_norm(reward.r, theta)}
        for source, values in norms.items():
            rows += [{**base, "estimator": "exact", "edge": e, "quantity": "gradient_norm2",
                      "source": source, "value": values[e].item()} for e in range(cfg.small_edges)]
    return rows


def _rows_scaling(cfg: TheoryConfig) -> list[dict]:
    rows = []
    for regime in REGIMES:
        for n_edges in cfg.edge_counts:
            for instance in range(cfg.n_instances):
                reward, theta = _linear(cfg, regime, n_edges, cfg.n_ops, cfg.seed + 1000 * instance + n_edges)
                mean_reward = reward.expected(theta).item()
                values = {
                    ("reinforce", "closed_form"): closed_form.reinforce_variance(reward.r, theta),
                    ("reinforce_mean_baseline", "closed_form"):
                        closed_form.reinforce_variance(reward.r, theta, baseline=mean_reward),
                    ("advantage", "closed_form"): closed_form.advantage_variance(reward.r, theta),
                    ("reinforce", "paper"): closed_form.paper_reinforce_variance(reward.r, theta),
                    ("advantage", "paper"): closed_form.paper_advantage_variance(reward.r, theta),
                    ("exact", "gradient_norm2"): (closed_form.gradient(reward.r, theta) ** 2).sum(-1),
                }
                lower = values[("advantage", "closed_form")] < values[("reinforce", "closed_form")]
                base = {"part": "scaling", "regime": regime, "n_edges": n_edges, "instance": instance}
                rows.append({**base, "estimator": "advantage", "source": "closed_form",
                             "quantity": "fraction_edges_lower", "value": lower.double().mean().item()})
                for (estimator, source), per_edge in values.items():
                    quantity = "gradient_norm2" if estimator == "exact" else "variance"
                    rows.append({**base, "estimator": estimator,
                                 "source": "closed_form" if quantity == "gradient_norm2" else source,
                                 "quantity": quantity, "value": per_edge.mean().item()})
    return rows


def _rows_monte_carlo(cfg: TheoryConfig, progress: bool = True) -> list[dict]:
    rows = []
    jobs = [(regime, e, name) for regime in ("standard", "shifted") for e in cfg.mc_edge_counts
            for name in ("reinforce", "advantage")]
    with tqdm(total=len(jobs) * cfg.mc_samples, desc="Monte Carlo samples", unit="a",
              unit_scale=True, mininterval=2.0, disable=not progress) as bar:
        for regime, n_edges, name in jobs:
            reward, theta = _linear(cfg, regime, n_edges, cfg.n_ops, cfg.seed)
            exact = (closed_form.reinforce_variance if name == "reinforce"
                     else closed_form.advantage_variance)(reward.r, theta)
            truth = closed_form.gradient(reward.r, theta)
            m = moments.monte_carlo_moments(estimators.ESTIMATORS[name], reward, theta,
                                            cfg.mc_samples, seed=cfg.seed + n_edges, progress=bar.update)
            mean_z = ((m.mean - truth) / m.mean_se.clamp_min(1e-300)).abs().max(-1).values
            for edge in range(n_edges):
                rows.append({"part": "monte_carlo", "regime": regime, "n_edges": n_edges, "edge": edge,
                             "estimator": name, "quantity": "variance", "source": "monte_carlo",
                             "value": m.variance[edge].item(), "se": m.variance_se[edge].item(),
                             "exact": exact[edge].item(), "mean_max_abs_z": mean_z[edge].item()})
    return rows


def _rows_theorem42(cfg: TheoryConfig) -> list[dict]:
    reward = rewards.draw_quadratic(cfg.small_edges, cfg.small_ops, cfg.seed)
    theta = torch.randn(cfg.small_edges, cfg.small_ops, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(cfg.seed))
    truth = moments.exact_gradient(reward, theta)
    rows = []
    for name, estimator in estimators.ESTIMATORS.items():
        m = moments.exact_moments(estimator, reward, theta)
        rows += [
            {"part": "theorem42", "estimator": name, "quantity": "bias_norm", "source": "enumeration",
             "value": (m.mean - truth).norm().item()},
            {"part": "theorem42", "estimator": name, "quantity": "variance", "source": "enumeration",
             "value": m.variance.sum().item()},
        ]
    rows.append({"part": "theorem42", "estimator": "exact", "quantity": "gradient_norm",
                 "source": "autograd", "value": truth.norm().item()})
    return rows


def _rows_theorem41(cfg: TheoryConfig) -> list[dict]:
    """Both sides of Eq. (5) on ``n_instances`` random small linear instances, the first drawn
    from ``seed``. The theorem needs R(a) > 0 for every a: a draw with R(a) = offset + r^T a <= 0
    for some a is passed over, and the next seed drawn, so that every instance checked meets it."""
    archs = distribution.enumerate_architectures(cfg.small_edges, cfg.small_ops)
    steps = torch.linspace(0.0, 1.0, 41, dtype=torch.float64)
    rows, instance, seed = [], 0, cfg.seed
    while instance < cfg.n_instances:
        if seed - cfg.seed >= 20 * cfg.n_instances:
            raise ValueError("bound_offset too small: Theorem 4.1 needs R(a) > 0 for every a, and too few "
                             "random instances meet it; increase it")
        reward, theta = _linear(cfg, "standard", cfg.small_edges, cfg.small_ops, seed)
        reward = rewards.LinearReward(reward.r, offset=cfg.bound_offset)
        seed += 1
        if bool((reward(archs) <= 0).any()):
            continue
        for name in ("reinforce", "advantage"):
            lhs, rhs = bound.improvement_and_bound(estimators.ESTIMATORS[name], reward, theta, steps)
            rows += [{"part": "theorem41", "instance": instance, "estimator": name, "step": s,
                      "quantity": "improvement", "source": "enumeration", "value": l, "bound": r}
                     for s, l, r in zip(steps.tolist(), lhs.tolist(), rhs.tolist())]
        instance += 1
    return rows


def growth_exponent(table: pd.DataFrame, regime: str) -> float:
    """Slope of log(median variance gap, REINFORCE minus advantage) against log(|I| - 1).

    The gap comes from the |I| - 1 other edges (sum over k != i in Sec. 4.4): slope 1 means
    linear growth as the paper says, slope 2 quadratic growth."""
    scaling = table[(table.part == "scaling") & (table.regime == regime)
                    & (table.source == "closed_form") & (table.quantity == "variance")]
    wide = scaling.pivot_table(index=["n_edges", "instance"], columns="estimator", values="value")
    gap = (wide["reinforce"] - wide["advantage"]).groupby(level="n_edges").median()
    gap = gap[gap.index >= 2]
    if len(gap) < 2:
        return math.nan
    return float(np.polyfit(np.log(gap.index.to_numpy(float) - 1), np.log(gap.to_numpy()), 1)[0])


def compute(cfg: TheoryConfig, ctx: RunContext | None = None, progress: bool = True) -> tuple[pd.DataFrame, dict]:
    torch.manual_seed(cfg.seed)
    table = pd.DataFrame(_rows_enumeration(cfg) + _rows_scaling(cfg) + _rows_monte_carlo(cfg, progress)
                         + _rows_theorem42(cfg) + _rows_theorem41(cfg))
    enum = table[table.part == "enumeration"]
    var = enum[enum.quantity == "variance"].pivot_table(
        index=["regime", "estimator", "edge"], columns="source", values="value")
    mc = table[table.part == "monte_carlo"]
    t42 = table[(table.part == "theorem42") & (table.quantity == "bias_norm")].set_index("estimator").value
    t41 = table[(table.part == "theorem41") & (table.step > 0)]
    summary = {
        "enumeration_max_mean_error": float(enum[enum.quantity == "mean_abs_error"].value.max()),
        "enumeration_max_closed_form_error": float((var.enumeration - var.closed_form).abs().max()),
        "monte_carlo_max_abs_z_variance": float(((mc.value - mc.exact) / mc.se).abs().max()),
        "monte_carlo_max_abs_z_mean": float(mc.mean_max_abs_z.max()),
        "growth_exponent": {r: growth_exponent(table, r) for r in REGIMES},
        "advantage_lower_fraction": {
            r: float(table[(table.part == "scaling") & (table.quantity == "fraction_edges_lower")
                           & (table.regime == r) & (table.n_edges >= 2)].value.mean()) for r in REGIMES},
        "theorem42_bias": {k: float(v) for k, v in t42.items()},
        "theorem41_min_slack": float((t41.value - t41.bound).min()),
        "theorem41_instances": int(t41.instance.nunique()),
    }
    return table, summary


def run(cfg: TheoryConfig, profile: str, store: ResultsStore | None = None, recompute: bool = False) -> Run:
    """The chapter's computation through the store (``recompute``: afresh even when stored)."""
    return (store or ResultsStore()).run("theory", profile, "variance", cfg.to_dict(), lambda ctx: compute(cfg, ctx),
                                         "theory", recompute=recompute)


def job_runs(cfg: TheoryConfig, strategy: None, seed: None, profile: str, progress: bool = False,
             recompute: bool = False) -> list[Run]:
    """The chapter's one job of the run list (``advnas.jobs``)."""
    return [run(cfg, profile, recompute=recompute)]


def golden() -> dict:
    """Behaviour fingerprint (``advnas/behaviour.py``): the chapter's computation, reduced."""
    cfg = TheoryConfig(edge_counts=(1, 2, 5), n_instances=2, mc_edge_counts=(5,), mc_samples=500)
    table, summary = compute(cfg, progress=False)  # no bar on the pages that check staleness
    return {"table": table.to_dict("records"), "summary": summary}
