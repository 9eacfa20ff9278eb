"""Tables and figures of the theory chapter, built from the stored tidy table."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

LABELS = {
    "reinforce": "REINFORCE, Eq. (4)",
    "reinforce_mean_baseline": "REINFORCE, baseline b = J(θ)",
    "advantage": "advantage, Eq. (6) = Eq. (7)",
    "advantage_first_order": "first-order advantage, Eq. (7)",
}
REGIME_TITLES = {
    "centred": "centred: Σ_j μ_k^j r_k^j = 0 (paper's condition)",
    "standard": "standard: r ~ N(0, 1)",
    "shifted": "shifted: r ~ N({shift}, 1)",
}


def enumeration_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per regime, estimator and edge: variance by enumeration, exact closed form, paper."""
    part = metrics[(metrics.part == "enumeration") & (metrics.quantity == "variance")]
    wide = part.pivot_table(index=["regime", "estimator", "edge"], columns="source", values="value")
    wide = wide[["enumeration", "closed_form", "paper"]]
    wide["paper / exact"] = wide["paper"] / wide["enumeration"]
    return wide.reindex(["centred", "standard", "shifted"], level="regime")


def gradient_norm_table(metrics: pd.DataFrame) -> pd.DataFrame:
    part = metrics[(metrics.part == "enumeration") & (metrics.quantity == "gradient_norm2")]
    wide = part.pivot_table(index=["regime", "edge"], columns="source", values="value")
    wide["paper / exact"] = wide["paper"] / wide["enumeration"]
    return wide.reindex(["centred", "standard", "shifted"], level="regime")


def paper_gap_error(metrics: pd.DataFrame) -> pd.Series:
    """Per regime, the largest relative error of the paper's variance gap (REINFORCE - advantage)."""
    t = enumeration_table(metrics)
    exact = t["enumeration"].xs("reinforce", level="estimator") - t["enumeration"].xs("advantage", level="estimator")
    paper = t["paper"].xs("reinforce", level="estimator") - t["paper"].xs("advantage", level="estimator")
    return ((paper - exact).abs() / exact).groupby(level="regime").max()


def scaling_medians(metrics: pd.DataFrame) -> pd.DataFrame:
    part = metrics[(metrics.part == "scaling") & (metrics.quantity != "fraction_edges_lower")]
    return part.groupby(["regime", "estimator", "source", "n_edges"]).value.median().unstack("n_edges")


def scaling_figure(metrics: pd.DataFrame, shift: float):
    part = metrics[(metrics.part == "scaling") & (metrics.quantity == "variance")]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=False)
    for ax, regime in zip(axes, ["centred", "standard", "shifted"]):
        rows = part[part.regime == regime]
        for (estimator, source), group in rows.groupby(["estimator", "source"]):
            stats = group.groupby("n_edges").value.quantile([0.25, 0.5, 0.75]).unstack()
            label = LABELS[estimator] + (" — paper's formula" if source == "paper" else "")
            style = dict(ls="--", marker="x") if source == "paper" else dict(marker="o")
            line, = ax.plot(stats.index, stats[0.5], label=label, **style)
            if source != "paper":
                ax.fill_between(stats.index, stats[0.25], stats[0.75], color=line.get_color(), alpha=0.15)
        title = REGIME_TITLES[regime].format(shift=f"{shift:g}")
        ax.set(xscale="log", yscale="log", xlabel="number of edges |I|", title=title)
    axes[0].set_ylabel("per-edge variance E‖δ_i − E δ_i‖² (median, 25–75 %)")
    axes[-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def monte_carlo_table(metrics: pd.DataFrame) -> pd.DataFrame:
    part = metrics[metrics.part == "monte_carlo"].copy()
    part["z"] = (part.value - part.exact) / part.se
    part["relative error"] = (part.value - part.exact).abs() / part.exact
    return part.groupby(["regime", "n_edges", "estimator"]).agg(
        edges=("edge", "count"), exact_mean_variance=("exact", "mean"),
        mc_mean_variance=("value", "mean"), max_abs_z=("z", lambda z: np.abs(z).max()),
        max_relative_error=("relative error", "max"), mean_max_abs_z=("mean_max_abs_z", "max"))


def theorem42_table(metrics: pd.DataFrame) -> pd.DataFrame:
    part = metrics[metrics.part == "theorem42"]
    wide = part.pivot_table(index="estimator", columns="quantity", values="value")
    norm = wide.loc["exact", "gradient_norm"]
    wide = wide.drop(index="exact")[["bias_norm", "variance"]]
    wide["bias / ‖∇J‖"] = wide["bias_norm"] / norm
    wide.index = [LABELS[i] for i in wide.index]
    return wide


def theorem41_figure(metrics: pd.DataFrame):
    """Both sides of Eq. (5) against the step size, on the first instance checked."""
    part = metrics[(metrics.part == "theorem41") & (metrics.instance == 0)]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for estimator, group in part.groupby("estimator"):
        line, = ax.plot(group.step, group.value, label=f"{LABELS[estimator]}: E log J(θ+εδ) − log J(θ)")
        ax.plot(group.step, group.bound, ls="--", color=line.get_color(), label="  its lower bound, Eq. (5)")
    ax.axhline(0, color="grey", lw=0.5)
    lo = min(part.value.min(), part.bound.quantile(0.5))
    ax.set(xlabel="step size ε", ylabel="expected log-improvement", ylim=(lo, part.value.max() * 1.3))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
