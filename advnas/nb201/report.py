"""Tables and figures of the CIFAR-10 chapter (Table 2, Figs. 2, 4, 5), computed from stored
runs and shown beside the paper's values."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import paper
from ..strategies import strategy_class
from .network import parse_arch


def _mean_std(values: pd.Series) -> tuple[float, float]:
    values = values.dropna().astype(float)
    return (float(values.mean()), float(values.std(ddof=0))) if len(values) else (math.nan, math.nan)


def _fmt(mean: float, std: float, digits: int = 2) -> str:
    return "–" if math.isnan(mean) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def labelled(summaries: pd.DataFrame) -> pd.DataFrame:
    """The summaries with a ``label`` column (the method's name unless one is set already)."""
    default = summaries.strategy.map(lambda s: strategy_class(s).label)
    return summaries.assign(label=summaries["label"].fillna(default) if "label" in summaries else default)


def table2_numbers(summaries: pd.DataFrame) -> pd.DataFrame:
    """Per strategy (per label): mean and population std (np.std, as the paper's make_table,
    spec §2.9) over trials of the final accuracy and params, for argmax and process best."""
    rows = []
    for (name, label), group in labelled(summaries).groupby(["strategy", "label"], sort=False):
        row = {"strategy": name, "label": label, "trials": len(group)}
        for rule in ("argmax", "process_best"):
            row[f"{rule}_accuracy"], row[f"{rule}_accuracy_std"] = _mean_std(group[f"{rule}_accuracy"])
            row[f"{rule}_params_mb"], row[f"{rule}_params_std"] = _mean_std(group[f"{rule}_params_mb"])
        rows.append(row)
    return pd.DataFrame(rows)


def table2(summaries: pd.DataFrame, reference: dict | None = None) -> pd.DataFrame:
    """Table 2 (or Table 4 with ``reference=paper.TABLE4``): ours beside the paper's."""
    reference = reference or paper.TABLE2
    rows = []
    for _, r in table2_numbers(summaries).iterrows():
        ref = reference.get(r.strategy, {}) if r.label == strategy_class(r.strategy).label else {}
        row = {"method": r.label, "trials": r.trials}
        for rule, title in (("argmax", "argmax"), ("process_best", "process best")):
            theirs = ref.get(rule)
            row[f"{title} accuracy"] = _fmt(r[f"{rule}_accuracy"], r[f"{rule}_accuracy_std"])
            row[f"{title} accuracy (paper)"] = _fmt(theirs[0], theirs[1]) if theirs else "–"
            row[f"{title} params MB"] = _fmt(r[f"{rule}_params_mb"], r[f"{rule}_params_std"])
            row[f"{title} params MB (paper)"] = _fmt(theirs[2], theirs[3]) if theirs else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def search_curves(metrics: pd.DataFrame, column: str, how: str) -> pd.DataFrame:
    """``column`` against search epoch (0 = end of warm-up), aggregated over trials by
    ``how`` ("median" as Fig. 2, "mean" as Fig. 4); one column per strategy."""
    search = metrics[metrics.search_epoch >= 0]
    curves = search.groupby(["search_epoch", "strategy"], sort=False)[column].agg(how).unstack("strategy")
    return curves[[s for s in metrics.strategy.unique() if s in curves.columns]]


def _plot_curves(curves: pd.DataFrame, ax, ylabel: str) -> None:
    for name in curves.columns:
        style = dict(lw=2.4, color="black") if name == "advantage" else dict(lw=1.4)
        ax.plot(curves.index, curves[name], marker="o", ms=3, label=strategy_class(name).label, **style)
    ax.set_xlabel("search epoch (after the warm-up)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def figure2(metrics: pd.DataFrame, title: str):
    """Fig. 2: NAS-Bench-201 accuracy of the argmax architecture, median over trials."""
    fig, ax = plt.subplots(figsize=(7, 4))
    _plot_curves(search_curves(metrics, "argmax_accuracy", "median"), ax, "NAS-Bench-201 test accuracy (%)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def figure4(metrics: pd.DataFrame, n_ops: int, title: str):
    """Fig. 4 (App. H): entropy of mu(theta) averaged over edges, mean over trials."""
    fig, ax = plt.subplots(figsize=(7, 4))
    _plot_curves(search_curves(metrics, "entropy", "mean"), ax, "mean entropy of μ(θ) (nats)")
    ax.axhline(math.log(n_ops), color="grey", ls=":", lw=1)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


# Node positions of the 4-node cell drawing (Fig. 5).
_POSITIONS = {0: (0.0, 0.0), 1: (1.0, 0.9), 2: (2.0, -0.9), 3: (3.0, 0.0)}
_SHORT = {"skip_connect": "skip", "nor_conv_1x1": "conv 1×1", "nor_conv_3x3": "conv 3×3",
          "avg_pool_3x3": "avg pool 3×3", "none": "zero"}


def draw_cell(arch: str, ax, title: str = "") -> None:
    """A drawing of a cell: nodes 0-3, each edge labelled with its operation (Figs. 5, 6)."""
    for source, target, op in parse_arch(arch):
        if op == "none":
            continue
        (x0, y0), (x1, y1) = _POSITIONS[source], _POSITIONS[target]
        bend = 0.25 if (source, target) in ((0, 3), (0, 2), (1, 3)) else 0.0
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", lw=1.3, shrinkA=14, shrinkB=14,
                                    connectionstyle=f"arc3,rad={bend}"))
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        offset = bend * np.hypot(x1 - x0, y1 - y0) * 0.5
        nx, ny = (y0 - y1), (x1 - x0)
        norm = np.hypot(nx, ny) or 1.0
        ax.text(mx - offset * nx / norm, my - offset * ny / norm, _SHORT.get(op, op), fontsize=8,
                ha="center", va="center", bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="0.7"))
    for node, (x, y) in _POSITIONS.items():
        ax.add_patch(plt.Circle((x, y), 0.17, fc="#dde8f5" if node not in (0, 3) else "#f5e6c8", ec="black"))
        ax.text(x, y, str(node), ha="center", va="center", fontsize=11)
    ax.set_xlim(-0.4, 3.4)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def figure5(cells: list[tuple[str, str]]):
    """Drawings of several cells side by side: (arch, title) pairs."""
    fig, axes = plt.subplots(1, len(cells), figsize=(4.2 * len(cells), 3.2))
    for ax, (arch, title) in zip(np.atleast_1d(axes), cells):
        draw_cell(arch, ax, title)
    fig.tight_layout()
    return fig


def best_cell(summaries: pd.DataFrame, strategy: str = "advantage") -> pd.Series:
    """The strategy's final cell with the highest NAS-Bench-201 accuracy over trials (Fig. 5
    shows AdvantageNAS's best trial)."""
    group = summaries[summaries.strategy == strategy]
    return group.loc[group.final_accuracy.idxmax()]


def timing(summaries: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Measured wall time per strategy: whole search, warm-up epoch and search epoch (medians)."""
    rows = []
    for name, group in metrics.groupby("strategy", sort=False):
        warm = group[group.phase == "warmup"].epoch_seconds
        search = group[group.phase == "search"].epoch_seconds
        runs = summaries[summaries.strategy == name].wall_time_s
        rows.append({"method": strategy_class(name).label, "median search wall time (s)": runs.median(),
                     "median warm-up epoch (s)": warm.median(), "median search epoch (s)": search.median()})
    table = pd.DataFrame(rows).set_index("method")
    if "AdvantageNAS" in table.index:
        table["search epoch ÷ AdvantageNAS"] = (table["median search epoch (s)"]
                                                / table.at["AdvantageNAS", "median search epoch (s)"])
    return table.round(2)


def verdicts(summaries: pd.DataFrame, metrics: pd.DataFrame) -> list[str]:
    """The paper's CIFAR-10 claims, each checked on these runs (a sentence per claim)."""
    numbers = table2_numbers(summaries).set_index("strategy")
    out = []
    if "advantage" not in numbers.index:
        return out
    adv = numbers.loc["advantage"]
    others = numbers.drop(index="advantage")
    for rule, title in (("argmax", "argmax"), ("process_best", "process best")):
        col = f"{rule}_accuracy"
        rivals = others[col].dropna()
        if rivals.empty or math.isnan(adv[col]):
            continue
        best_rival = rivals.idxmax()
        holds = adv[col] > rivals.max()
        out.append(f"{title}: AdvantageNAS {adv[col]:.2f} % against the best other strategy "
                   f"({strategy_class(best_rival).label}) {rivals.max():.2f} %: the paper's claim that "
                   f"AdvantageNAS outperforms every SP-NAS {'holds' if holds else 'does not hold'} in these runs.")
    both = numbers.dropna(subset=["argmax_accuracy", "process_best_accuracy"])
    better = (both.argmax_accuracy >= both.process_best_accuracy)
    out.append(f"argmax ≥ process best for {int(better.sum())} of {len(both)} strategies "
               f"({', '.join(strategy_class(s).label for s in both.index[better]) or 'none'}); the paper "
               "reports argmax better for all.")
    curves = search_curves(metrics, "argmax_accuracy", "median")
    if len(curves) > 1:
        area = curves.iloc[1:].mean()
        ranked = ", ".join(f"{strategy_class(s).label} {v:.2f}" for s, v in area.sort_values(ascending=False).items())
        out.append(f"Mean over search epochs of the median argmax accuracy (Fig. 2's curves): {ranked}.")
    entropy = search_curves(metrics, "entropy", "mean").iloc[-1].sort_values()
    out.append("Final mean entropy, lowest first (Fig. 4): "
               + ", ".join(f"{strategy_class(s).label} {v:.3f}" for s, v in entropy.items()) + ".")
    return out


def provenance_table(runs) -> pd.DataFrame:
    """One row per stored run: what produced it, where, how long, and whether it is stale."""
    return pd.DataFrame([{
        "strategy": r.summary["strategy"], "seed": r.summary["seed"], "profile": r.info["profile"],
        "commit": r.info["git_commit"], "device": r.info["device"], "torch": r.info["torch"],
        "data": r.summary["data_variant"], "wall time (s)": round(r.info["wall_time_s"], 1),
        "finished": r.info["finished_at"], "stale": r.is_stale(),
        "folder": str(r.folder.relative_to(r.folder.parents[3]))} for r in runs])


def runs_table(summaries: pd.DataFrame) -> pd.DataFrame:
    """The final cells of every trial, with their NAS-Bench-201 accuracy and size."""
    columns = ["strategy", "seed", "argmax_arch", "argmax_accuracy", "argmax_params_mb", "process_best_arch",
               "process_best_accuracy", "process_best_params_mb", "final_rule"]
    table = summaries[columns].copy()
    table["strategy"] = table.strategy.map(lambda s: strategy_class(s).label)
    return table.set_index(["strategy", "seed"])


def benchmark_table(run) -> pd.DataFrame:
    """The speed benchmark's ratios per network size, beside their targets."""
    rows = []
    for size, values in run.summary["sizes"].items():
        for key, label, target in [
                ("search_iteration_over_plain_step", "search iteration ÷ plain training step", "≤ 2.2"),
                ("advantage_over_reinforce", "AdvantageNAS θ-step ÷ REINFORCE θ-step (no backward)", "≤ 1.05"),
                ("advantage_over_reinforce_with_backward",
                 "AdvantageNAS θ-step ÷ REINFORCE θ-step with a backward pass", "≤ 1.05"),
                ("augment_share_of_iteration", "augmentation ÷ search iteration", "≪ 1")]:
            v = values[key]
            rows.append({"network": size, "measurement": label, "median": f"{v['median']:.3f}",
                         "quartiles": f"{v['quartiles'][0]:.3f}–{v['quartiles'][1]:.3f}", "target": target})
    return pd.DataFrame(rows).set_index(["network", "measurement"])


def none_share(summaries: pd.DataFrame) -> pd.DataFrame:
    """Share of edges whose operation is `none` in the final cells (argmax and process best),
    mean over trials: App. F's collapse towards the zero operation, if it happens."""
    def share(arch) -> float:
        return math.nan if not isinstance(arch, str) else sum(op == "none" for *_, op in parse_arch(arch)) / 6

    summaries = labelled(summaries)
    table = summaries.assign(argmax=summaries.argmax_arch.map(share),
                             process_best=summaries.process_best_arch.map(share))
    out = table.groupby("label", sort=False)[["argmax", "process_best"]].mean()
    out.columns = ["share of `none` (argmax)", "share of `none` (process best)"]
    return out.round(3)


def figure3(metrics: pd.DataFrame, x: str, title: str):
    """Fig. 3 (App. G): argmax accuracy (median over trials) against measured search time
    (``x="time"``: seconds since the end of the warm-up, median over trials) or search epoch."""
    fig, ax = plt.subplots(figsize=(7, 4))
    search = metrics[metrics.search_epoch >= 0].copy()
    start = search[search.search_epoch == 0].set_index(["strategy", "seed"]).wall_time_s
    search["search_seconds"] = search.wall_time_s.values - start.loc[list(zip(search.strategy, search.seed))].values
    for name, group in search.groupby("strategy", sort=False):
        curve = group.groupby("search_epoch").agg(acc=("argmax_accuracy", "median"),
                                                  seconds=("search_seconds", "median"))
        xs = curve.seconds / 60 if x == "time" else curve.index
        style = dict(lw=2.4, color="black") if name == "advantage" else dict(lw=1.4)
        ax.plot(xs, curve.acc, marker="o", ms=3, label=strategy_class(name).label, **style)
    ax.set_xlabel("measured search time (minutes, after the warm-up)" if x == "time" else "search epoch")
    ax.set_ylabel("NAS-Bench-201 test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def memory_table(run) -> pd.DataFrame:
    """Peak memory and time per search iteration of every strategy on the same sampled cell,
    with ratios to AdvantageNAS and to plain training of that cell."""
    table = run.metrics
    base = table[(table.extra_conv3x3 == 0) & (table.cell_seed == 0)].set_index("strategy")
    out = pd.DataFrame({
        "method": [strategy_class(s).label if s != "plain" else "plain training (one sampled cell)"
                   for s in base.index],
        "peak memory (MiB)": base.peak_bytes / 2**20,
        "÷ AdvantageNAS": base.peak_bytes / base.at["advantage", "peak_bytes"],
        "÷ plain": base.peak_bytes / base.at["plain", "peak_bytes"],
        "seconds per iteration": base.seconds_per_iteration,
    })
    if "peak_rss_bytes" in base and base.peak_rss_bytes.notna().all():
        out["peak RSS increase (MiB)"] = base.peak_rss_bytes / 2**20
    return out.set_index("method").round(3)


def memory_per_cell(run) -> pd.DataFrame:
    """AdvantageNAS against plain training, cell by cell (the same sampled cell in both)."""
    table = run.metrics
    rows = table[(table.extra_conv3x3 == 0) & table.strategy.isin(["advantage", "plain"])]
    wide = rows.pivot(index="cell_seed", columns="strategy", values="peak_bytes")
    cells = rows.drop_duplicates("cell_seed").set_index("cell_seed").cell
    out = pd.DataFrame({"cell": cells, "AdvantageNAS (MiB)": wide.advantage / 2**20,
                        "plain (MiB)": wide.plain / 2**20, "÷ plain": wide.advantage / wide.plain})
    return out.rename_axis("cell seed").round(3)


def memory_figure(run):
    """Peak memory against the number of candidate operations |J| (extra conv 3x3 copies)."""
    table = run.metrics
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name in ("advantage", "darts", "plain"):
        rows = table[(table.strategy == name) & (table.cell_seed == 0)].sort_values("n_ops")
        if len(rows) > 1:
            label = strategy_class(name).label if name != "plain" else "plain training"
            ax.plot(rows.n_ops, rows.peak_bytes / 2**20, marker="o", label=label)
    ax.set_xlabel("candidate operations per edge |J|")
    ax.set_ylabel("peak memory (MiB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
