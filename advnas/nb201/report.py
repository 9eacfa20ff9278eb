"""Tables and figures of the CIFAR-10 chapters (Table 2, Table 4, Figs. 2-5, App. F and G),
computed from stored runs and shown beside the paper's values, with the chapters' verdicts."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import cells, paper, stats, strategies
from ..data.nb201_table import nb201_percentile
from ..report import (ADVANTAGE_OVER_PLAIN_MEMORY_TARGET, DENSE_OVER_SPARSE_MEMORY_TARGET, ENTROPY_DROP_TESTABLE,
                      NON_NEGATIVE, NOT_AVAILABLE, PERCENT, PROPOSED, SEARCH_OVER_PLAIN_TARGET,
                      THETA_STEP_RATIO_TARGET, Comparison, ci, compare, comparison_text, difference_text,
                      format_pm, label, learns_theta, line_style, mean_spread, order, ordered, paired_claim,
                      paired_rule, paired_verdict, proposed_label, rivals, searchers, target_text, target_word,
                      within)
from ..verdict import Verdict, interval_fields
from .search_config import OP_SETS
from ..cost.memory import PLAIN
from .network import parse_arch


def labelled(summaries: pd.DataFrame) -> pd.DataFrame:
    """The summaries with a ``label`` column (the method's name unless one is set already),
    in the registry's order (a labelled variant right after its strategy's own rows)."""
    default = summaries.strategy.map(label)
    out = summaries.assign(label=summaries["label"].fillna(default) if "label" in summaries else default)
    return ordered(out.assign(_variant=out.label != default).sort_values("_variant", kind="stable")
                   ).drop(columns="_variant")


def table2_numbers(summaries: pd.DataFrame) -> pd.DataFrame:
    """Per strategy (per label): trials, mean and population spread (``report.mean_spread``)
    of the final accuracy and params, for argmax and process best."""
    rows = []
    for (name, method), group in labelled(summaries).groupby(["strategy", "label"], sort=False):
        row = {"strategy": name, "label": method, "trials": len(group)}
        for rule in ("argmax", "process_best"):
            row[f"{rule}_accuracy"], row[f"{rule}_accuracy_std"] = mean_spread(group[f"{rule}_accuracy"])
            row[f"{rule}_params_mb"], row[f"{rule}_params_std"] = mean_spread(group[f"{rule}_params_mb"])
        rows.append(row)
    return pd.DataFrame(rows)


def with_percentiles(summaries: pd.DataFrame) -> pd.DataFrame:
    """The summaries with each chosen cell's percentile among every NAS-Bench-201 cell of the
    searched space (``argmax_percentile``, ``process_best_percentile``, ``final_percentile``)."""
    out = summaries.copy()
    ops = out["ops"] if "ops" in out else pd.Series("nb201", index=out.index)
    for rule in ("argmax", "process_best", "final"):
        archs = out[f"{rule}_arch"] if f"{rule}_arch" in out else pd.Series(None, index=out.index)
        out[f"{rule}_percentile"] = [nb201_percentile(arch, OP_SETS[space]) if isinstance(arch, str) else math.nan
                                     for arch, space in zip(archs, ops)]
    return out


def table2(summaries: pd.DataFrame, reference: dict | None = None) -> pd.DataFrame:
    """Table 2 (or Table 4 with ``reference=paper.TABLE4``): per method, n trials and the mean with its
    95 % t interval (``report.ci``, clipped to the quantity's range) of the NAS-Bench-201 accuracy, the
    parameters and the cell's percentile in the space, for argmax and process best, beside the paper's
    mean ± standard deviation. Random search's argmax columns are empty (``learns_theta``)."""
    reference = reference or paper.TABLE2
    rows = []
    for (name, method), group in labelled(with_percentiles(summaries)).groupby(["strategy", "label"], sort=False):
        ref = reference.get(name, {}) if method == label(name) else {}
        row = {"method": method, "n": len(group)}
        for rule, title in (("argmax", "argmax"), ("process_best", "process best")):
            theirs = ref.get(rule)
            if rule == "argmax" and not learns_theta(name):  # theta never moves: no argmax choice
                group = group.assign(argmax_accuracy=math.nan, argmax_percentile=math.nan, argmax_params_mb=math.nan)
            row[f"{title} accuracy [95 % CI]"] = ci(group[f"{rule}_accuracy"], within=PERCENT)
            row[f"{title} accuracy (paper)"] = format_pm(theirs[0], theirs[1]) if theirs else NOT_AVAILABLE
            row[f"{title} percentile"] = ci(group[f"{rule}_percentile"], 1, within=PERCENT)
            row[f"{title} params MB"] = ci(group[f"{rule}_params_mb"], within=NON_NEGATIVE)
            row[f"{title} params MB (paper)"] = format_pm(theirs[2], theirs[3]) if theirs else NOT_AVAILABLE
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def search_curves(metrics: pd.DataFrame, column: str, how: str) -> pd.DataFrame:
    """``column`` against search epoch (0 = end of warm-up), aggregated over trials by
    ``how`` ("median" as Fig. 2, "mean" as Fig. 4); one column per strategy, registry order."""
    search = metrics[metrics.search_epoch >= 0]
    curves = search.groupby(["search_epoch", "strategy"], sort=False)[column].agg(how).unstack("strategy")
    return curves[[s for s in order(metrics.strategy) if s in curves.columns]]


def _finish(ax, fig, xlabel: str, ylabel: str, title: str):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _curve_figure(curves: pd.DataFrame, xs: pd.DataFrame | None = None):
    """One line per strategy (AdvantageNAS highlighted); x: the index, or ``xs``'s column."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in curves.columns:
        x = curves.index if xs is None else xs[name].reindex(curves.index)
        ax.plot(x, curves[name], marker="o", ms=3, label=label(name), **line_style(name))
    return fig, ax


def figure2(metrics: pd.DataFrame, title: str):
    """Fig. 2: NAS-Bench-201 accuracy of the argmax architecture, median over trials."""
    fig, ax = _curve_figure(search_curves(searchers(metrics), "argmax_accuracy", "median"))
    return _finish(ax, fig, "search epoch (after the warm-up)", "NAS-Bench-201 test accuracy (%)", title)


def figure4(metrics: pd.DataFrame, n_ops: int, title: str):
    """Fig. 4 (App. H): entropy of mu(theta) averaged over edges, mean over trials."""
    fig, ax = _curve_figure(search_curves(metrics, "entropy", "mean"))
    ax.axhline(math.log(n_ops), color="grey", ls=":", lw=1)
    return _finish(ax, fig, "search epoch (after the warm-up)", "mean entropy of μ(θ) (nats)", title)


def figure3(metrics: pd.DataFrame, x: str, title: str):
    """Fig. 3 (App. G): argmax accuracy (median over trials) against measured search time
    (``x="time"``: seconds since the end of the warm-up, median over trials) or search epoch."""
    search = _search_seconds(metrics)
    curves = search_curves(metrics, "argmax_accuracy", "median")
    minutes = search.groupby(["search_epoch", "strategy"]).search_seconds.median().unstack("strategy") / 60
    fig, ax = _curve_figure(curves, minutes if x == "time" else None)
    return _finish(ax, fig, "measured search time (minutes, after the warm-up)" if x == "time" else "search epoch",
                   "NAS-Bench-201 test accuracy (%)", title)


def _search_seconds(metrics: pd.DataFrame) -> pd.DataFrame:
    """The search epochs' rows, with ``search_seconds``: the wall time since the end of the trial's warm-up."""
    search = metrics[metrics.search_epoch >= 0].copy()
    start = search[search.search_epoch == 0].set_index(["strategy", "seed"]).wall_time_s
    search["search_seconds"] = search.wall_time_s.values - start.loc[list(zip(search.strategy, search.seed))].values
    return search


#: App. G's "comparable" time efficiency: the paired difference of accuracy at the time budget
#: lies within this many points of zero (both ends of its 95 % interval).
COMPARABLE_MARGIN = 1.0


def accuracy_at_budget(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per (strategy, seed): the argmax accuracy at the seed's time budget, the search time
    (after the warm-up) of the fastest strategy of that seed: the accuracy of the last search
    epoch that ended within it (the end of the warm-up at the latest)."""
    search = _search_seconds(metrics)
    budget = search.groupby(["seed", "strategy"]).search_seconds.max().groupby("seed").min()
    within = search[search.search_seconds <= search.seed.map(budget) + 1e-9]
    last = within.sort_values("search_epoch").groupby(["strategy", "seed"], as_index=False).tail(1)
    return last[["strategy", "seed", "argmax_accuracy", "search_seconds"]]


def time_efficiency_verdicts(metrics: pd.DataFrame) -> list[Verdict]:
    """App. G's claim: AdvantageNAS's time efficiency is comparable to SNAS's (the paired
    difference of accuracy at the time budget within ±``COMPARABLE_MARGIN`` points) and better
    than DARTS's and NASP's (the difference above zero)."""
    at_budget = accuracy_at_budget(metrics)
    ours, out = proposed_label(), []
    measure = "argmax accuracy at the fastest strategy's search time, paired by seed"
    out += paired_claim(at_budget, "argmax_accuracy", ["darts", "nasp"],
                        f"App. G: at equal search time {ours} outperforms DARTS and NASP",
                        f"Argmax accuracy at the fastest strategy's search time (per seed), {ours} minus: ",
                        f"{ours} minus DARTS and minus NASP, {measure}", unit=" points")
    snas = compare(at_budget, "argmax_accuracy", PROPOSED, ["snas"])
    if snas:
        verdict, iv = stats.equivalence(snas[0].difference, COMPARABLE_MARGIN)
        out.append(Verdict(
            claim=f"App. G: {ours}'s time efficiency is comparable to SNAS's (within ±{COMPARABLE_MARGIN:g} point)",
            outcome=verdict,
            evidence=f"Equivalence by two one-sided tests at 5 % each: {ours} minus SNAS, paired by seed, "
                     f"{iv.text()} points (90 % interval, n = {iv.n}); holds when the interval lies inside "
                     f"±{COMPARABLE_MARGIN:g}, fails when it lies outside, inconclusive when it overlaps a margin.",
            rule=f"holds when the 90 % interval lies inside ±{COMPARABLE_MARGIN:g} point, fails when it lies "
                 "outside, inconclusive otherwise (two one-sided tests at 5 %)",
            comparison=f"{ours} minus SNAS, {measure}", n=iv.n, **interval_fields(iv)))
    return out


# The drawing of the 4-node cell (Fig. 5): nodes 0-3 on a line, input node 0 and output node 3
# in another colour; the edges between neighbours straight, (0, 2) and (0, 3) arcs above (nested),
# (1, 3) an arc below, so that no two edges cross and every label sits alone at its edge's middle
# (``cells.text_overlaps`` finds none, even with the longest label on every edge).
CELL_STYLE = cells.CellStyle(
    positions={0: (0.0, 0.0), 1: (2.0, 0.0), 2: (4.0, 0.0), 3: (6.0, 0.0)},
    node_colours={0: "#f5e6c8", 1: "#dde8f5", 2: "#dde8f5", 3: "#f5e6c8"},
    short={"skip_connect": "skip", "nor_conv_1x1": "conv 1×1", "nor_conv_3x3": "conv 3×3",
           "avg_pool_3x3": "avg pool 3×3", "none": "zero"},
    hidden=frozenset({"none"}), bends={(0, 2): -0.36, (0, 3): -0.42, (1, 3): 0.36},
    margin=0.45)


def draw_cell(arch: str, ax, title: str = "") -> None:
    """A drawing of a cell: nodes 0-3, each edge labelled with its operation (zero edges left out)."""
    cells.draw_cell(ax, parse_arch(arch), CELL_STYLE, title)


def figure5(cell_list: list[tuple[str, str]]):
    """Drawings of several cells side by side: (arch, title) pairs."""
    fig, axes = plt.subplots(1, len(cell_list), figsize=(4.8 * len(cell_list), 2.6))
    for ax, (arch, title) in zip(np.atleast_1d(axes), cell_list):
        draw_cell(arch, ax, title)
    fig.tight_layout()
    return fig


def best_cell_figure(summaries: pd.DataFrame, profile: str):
    """Fig. 5 as the chapter shows it: the best AdvantageNAS cell of these runs (``best_cell``)
    beside the paper's."""
    best = best_cell(summaries)
    return figure5([(best.final_arch, f"ours (profile {profile}, seed {best.seed}): {best.final_accuracy:.2f} %"),
                    (paper.FIG5_ARCH, f"paper's Fig. 5: {paper.FIG5_ACCURACY:.2f} %")])


def best_cell(summaries: pd.DataFrame, strategy: str = PROPOSED) -> pd.Series:
    """The strategy's final cell with the highest NAS-Bench-201 accuracy over trials (Fig. 5
    shows AdvantageNAS's best trial)."""
    group = summaries[summaries.strategy == strategy]
    return group.loc[group.final_accuracy.idxmax()]


def timing(summaries: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Measured wall time per strategy: whole search, warm-up epoch and search epoch (medians)."""
    rows = []
    for name in order(metrics.strategy):
        group = metrics[metrics.strategy == name]
        warm = group[group.phase == "warmup"].epoch_seconds
        search = group[group.phase == "search"].epoch_seconds
        runs = summaries[summaries.strategy == name].wall_time_s
        rows.append({"method": label(name), "median search wall time (s)": runs.median(),
                     "median warm-up epoch (s)": warm.median(), "median search epoch (s)": search.median()})
    table = pd.DataFrame(rows).set_index("method")
    ours = proposed_label()
    if ours in table.index:
        table[f"search epoch ÷ {ours}"] = (table["median search epoch (s)"]
                                          / table.at[ours, "median search epoch (s)"])
    return table.round(2)


def final_and_timing(summaries: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """App. G's comparison: each strategy's final argmax architecture beside its measured times."""
    final = table2(summaries)[["n", "argmax accuracy [95 % CI]", "argmax params MB"]]
    return final.join(timing(summaries, metrics))


def verdicts(summaries: pd.DataFrame, metrics: pd.DataFrame) -> list[Verdict]:
    """The paper's CIFAR-10 claims, each with a computed verdict: AdvantageNAS minus each rival
    (``report.rivals``), paired by seed, with the 95 % t interval of the difference (``report.compare``)."""
    out, name = [], proposed_label()
    if PROPOSED not in set(summaries.strategy):
        return out
    others = rivals("nb201", summaries.strategy)
    for rule, title in (("argmax", "argmax"), ("process_best", "process best")):
        out += paired_claim(
            summaries, f"{rule}_accuracy", others, f"{title}: {name} outperforms every SP-NAS (Table 2)",
            f"Accuracy difference, {name} minus: ",
            f"{name} minus each rival, NAS-Bench-201 accuracy of the {title} cell, paired by seed", unit=" points")
    if "random" in set(summaries.strategy):
        out += paired_claim(
            summaries, "final_accuracy", ["random"], f"{name} beats random search at the same budget", "",
            f"{name} minus random search, NAS-Bench-201 accuracy of the final cell, paired by seed", unit=" points",
            untested=True)
    rows = []
    for strategy, best in searchers(summaries).dropna(subset=["process_best_accuracy"]).groupby("strategy"):
        argmax = best.dropna(subset=["argmax_accuracy"])
        if len(argmax):
            d = stats.paired(dict(zip(argmax.seed, argmax.argmax_accuracy)),
                             dict(zip(best.seed, best.process_best_accuracy)))
            rows.append(Comparison(strategy, d, stats.verdict(d)))
    if rows:
        out.append(paired_verdict(
            "argmax is better than process best for every strategy", rows,
            "argmax minus process best, per strategy: " + comparison_text(rows, " points").replace("against ", "")
            + ".", "argmax minus process best accuracy, per strategy, paired by seed"))
    by_trial = ["strategy", "seed"]
    curve = metrics[metrics.phase == "search"].groupby(by_trial, as_index=False).argmax_accuracy.mean()
    out += paired_claim(  # the mean over the search epochs: the area under a Fig. 2 curve, divided by its length
        curve, "argmax_accuracy", others,
        f"Fig. 2: {name}'s argmax is more accurate during the search",
        f"Mean over search epochs of the argmax accuracy, {name} minus: ",
        f"{name} minus each rival, mean argmax accuracy over the search epochs, paired by seed", unit=" points")
    fig4 = [r for r in others if r != "proxyless"]  # the paper names REINFORCE, GDAS and PARSEC
    last = metrics.sort_values("epoch").groupby(by_trial, as_index=False).tail(1)  # each trial's last epoch
    return out + paired_claim(
        last, "entropy", fig4,
        f"Fig. 4: {name}'s entropy falls faster than REINFORCE's, GDAS's and PARSEC's",
        f"Final entropy, {name} minus: ",
        f"{name} minus each rival, mean entropy of μ(θ) at the last epoch, paired by seed", unit=" nats", digits=3,
        claimed="less")


def entropy_drop(metrics: pd.DataFrame, n_ops: int, theta_steps: int) -> str:
    """How far the mean entropy fell from its maximum ln |J| by the end of the search, beside
    the paper's Fig. 4 (its range, and the theta steps of the paper's setting)."""
    from .search_config import NB201SearchConfig

    entropy = search_curves(searchers(metrics), "entropy", "mean")  # random search's theta never moves
    drop = math.log(n_ops) - entropy.iloc[-1]
    theirs = NB201SearchConfig()
    low, high = paper.FIG4_ENTROPY_RANGE
    return (f"At the end of the search the mean entropy has fallen from its maximum ln {n_ops} = "
            f"{math.log(n_ops):.3f} by {drop.min():.4f} to {drop.max():.4f} nats depending on the strategy "
            f"({entropy.index.max()} search epochs, {theta_steps:,} θ steps; the paper's Fig. 4 spans "
            f"{low}–{high} over {theirs.epochs - theirs.warmup_epochs} search epochs, {theirs.theta_steps:,} "
            "θ steps)."
            + (" A drop this small means μ(θ) is still close to uniform: the argmax architecture is decided by "
               "small differences in θ, and Fig. 4's claim cannot be tested at this scale."
               if drop.max() < ENTROPY_DROP_TESTABLE else ""))


def data_note(summaries: pd.DataFrame, detail: bool = True) -> str | None:
    """A note (MyST markdown) when the runs used the JPEG copy of CIFAR-10 or its shipped
    sample; None otherwise."""
    if "jpeg-sample" in set(summaries.data_variant):
        return ("```{note}\nThese results come from the **CIFAR-10 sample shipped with advnas** (`data: sample`, "
                "the smoke profile's data: a few hundred images of the JPEG copy, `cifar10-sample` in the "
                "registry), not from the full dataset: they check that the chapter runs, not the paper's numbers.\n```")
    if "jpeg" not in set(summaries.data_variant):
        return None
    if not detail:
        return "```{note}\nThese results come from the **JPEG copy** of CIFAR-10 (see chapter 3).\n```"
    return ("```{note}\nThese results come from the **JPEG copy** of CIFAR-10 (a lossy re-encoding of the "
            "original images, `cifar10-jpeg` in the data folder), not from the official files. Its training images "
            "are sorted by class, so they were put in class-interleaved order before the 25,000/25,000 split "
            "(`advnas/nb201/search.py`, `split`); D and V then hold every class in equal numbers.\n```")


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
    table = ordered(summaries)[columns].copy()
    table["strategy"] = table.strategy.map(label)
    return table.set_index(["strategy", "seed"])


def benchmark_table(run) -> pd.DataFrame:
    """The speed benchmark's ratios per network size, beside their targets."""
    rows = []
    ours, theirs = proposed_label(), label("reinforce")
    for size, values in run.summary["sizes"].items():
        for key, text, target in [
                ("search_iteration_over_plain_step", "search iteration ÷ plain training step",
                 target_text(SEARCH_OVER_PLAIN_TARGET)),
                ("advantage_over_reinforce", f"{ours} θ-step ÷ {theirs} θ-step (no backward)",
                 target_text(THETA_STEP_RATIO_TARGET)),
                ("advantage_over_reinforce_with_backward",
                 f"{ours} θ-step ÷ {theirs} θ-step with a backward pass", target_text(THETA_STEP_RATIO_TARGET)),
                ("augment_share_of_iteration", "augmentation ÷ search iteration", "≪ 1")]:
            v = values[key]
            rows.append({"network": size, "measurement": text, "median": f"{v['median']:.3f}",
                         "quartiles": f"{v['quartiles'][0]:.3f}–{v['quartiles'][1]:.3f}", "target": target})
    return pd.DataFrame(rows).set_index(["network", "measurement"])


def augment_sentence(run) -> str:
    """The speed benchmark's augmentation throughput per batch size, on its device."""
    aug = run.summary["augment_images_per_second"]
    return (f"Augmentation throughput on {run.summary['device']}: "
            + ", ".join(f"{float(v):,.0f} images/s at batch {k}" for k, v in aug.items()) + ".")


def benchmark_lines(run) -> str:
    """Per network size, the search iteration in plain training steps against its target
    (``report.SEARCH_OVER_PLAIN_TARGET``) and how it splits into θ step and weight step."""
    lines = []
    for size, v in run.summary["sizes"].items():
        sec = v["median_seconds"]
        ratio = v["search_iteration_over_plain_step"]["median"]
        lines.append(
            f"* {size}: a search iteration takes {ratio:.2f} plain steps "
            f"({'within' if within(ratio, SEARCH_OVER_PLAIN_TARGET) else 'above'} the "
            f"{SEARCH_OVER_PLAIN_TARGET:g} target). Its θ step alone takes "
            f"{sec[f'theta_step:{PROPOSED}'] / sec['plain_step']:.2f} plain steps and its weight step the "
            f"remaining {(sec['search_iteration'] - sec[f'theta_step:{PROPOSED}']) / sec['plain_step']:.2f} "
            f"(medians of separately timed tasks): beyond the two forward-backward passes, the supernet's gated "
            f"outputs (so that the θ step keeps no more than plain training, the ReLU before each convolution "
            f"and a skip connection's source are recomputed in the backward pass), the update of every parameter (Chainer's semantics: unused operations get weight decay "
            f"and momentum) and the θ update.")
    return "\n".join(lines)


def none_share(summaries: pd.DataFrame) -> pd.DataFrame:
    """Share of edges whose operation is `none` in the final cells (argmax and process best),
    mean over trials: App. F's collapse towards the zero operation, if it happens."""
    def share(arch) -> float:
        if not isinstance(arch, str):
            return math.nan
        edges = parse_arch(arch)
        return sum(op == "none" for *_, op in edges) / len(edges)

    summaries = labelled(summaries)
    table = summaries.assign(argmax=summaries.argmax_arch.map(share),
                             process_best=summaries.process_best_arch.map(share))
    out = table.groupby("label", sort=False)[["argmax", "process_best"]].mean()
    out.columns = ["share of `none` (argmax)", "share of `none` (process best)"]
    return out.round(3)


def zero_op_change_lines(with_zero: pd.DataFrame, without: pd.DataFrame) -> list[str]:
    """A line per row of Table 4 (label): its argmax accuracy and parameters with `none` and without it
    (Table 2's row of the same strategy; a labelled variant is compared with its strategy's own row),
    and the mean change."""
    base = table2_numbers(without)
    base = base[base.label == base.strategy.map(label)].set_index("strategy")
    lines = []
    for _, r in table2_numbers(with_zero).iterrows():
        if r.strategy in base.index:
            b = base.loc[r.strategy]
            lines.append(f"{r.label}: argmax {r.argmax_accuracy:.2f} % with `none` against {b.argmax_accuracy:.2f} % "
                         f"without (mean change {r.argmax_accuracy - b.argmax_accuracy:+.2f} points); params "
                         f"{r.argmax_params_mb:.2f} MB against {b.argmax_params_mb:.2f} MB.")
    return lines


def zero_op_verdicts(with_zero: pd.DataFrame, without: pd.DataFrame) -> list[Verdict]:
    """App. F's and Table 4's claims, paired by seed: AdvantageNAS outperforms every SP-NAS when `none` is
    a candidate; adding `none` costs it less accuracy than it costs each rival; Eq. (9) helps it (App. B's
    treatment against the control without it)."""
    ours, out = proposed_label(), []
    named = labelled(with_zero)
    plain = named[named.label == named.strategy.map(label)]
    out += paired_claim(
        plain, "argmax_accuracy", rivals("zero_op", plain.strategy),
        f"Table 4: {ours} outperforms every SP-NAS with `none` among the candidates",
        f"Argmax accuracy, {ours} minus: ",
        f"{ours} minus each rival, argmax accuracy with `none` among the candidates, paired by seed", unit=" points")
    paired = plain.merge(without[["strategy", "seed", "argmax_accuracy"]], on=["strategy", "seed"],
                         suffixes=("", "_without"))
    paired["change"] = paired.argmax_accuracy - paired.argmax_accuracy_without
    out += paired_claim(
        paired, "change", rivals("zero_op", paired.strategy),
        f"App. F: adding `none` costs {ours} less accuracy than it costs each rival",
        f"Change of argmax accuracy, {ours}'s minus: ",
        f"{ours}'s change of argmax accuracy (with `none` minus without) minus each rival's, paired by seed",
        unit=" points")
    control = named[(named.strategy == PROPOSED) & (named.label != label(PROPOSED))]
    if not control.empty:
        both = pd.concat([plain[plain.strategy == PROPOSED].assign(strategy="with"),
                          control.assign(strategy="without")])
        found = compare(both, "argmax_accuracy", "with", ["without"])
        if found:
            d = found[0].difference
            out.append(Verdict(
                claim=f"App. F: Eq. (9) (the zero operation's treatment) improves {ours}", outcome=found[0].verdict,
                evidence=f"Argmax accuracy with Eq. (9) minus without: "
                         f"{difference_text(d, one_pair='one pair, no interval')} points (n = {d.n}).",
                rule=paired_rule(several=False),
                comparison=f"{ours}'s argmax accuracy with Eq. (9) minus without it, paired by seed",
                n=d.n, **interval_fields(d)))
    return out


def memory_table(run) -> pd.DataFrame:
    """Peak memory and time per search iteration of every strategy on the same sampled cell,
    with ratios to AdvantageNAS and to plain training of that cell."""
    table = run.metrics
    base = ordered(table[(table.extra_conv3x3 == 0) & (table.cell_seed == 0)]).set_index("strategy")
    out = pd.DataFrame({
        "method": [label(s) if s != PLAIN else "plain training (one sampled cell)" for s in base.index],
        "peak memory (MiB)": base.peak_bytes / 2**20,
        f"÷ {proposed_label()}": base.peak_bytes / base.at[PROPOSED, "peak_bytes"],
        "÷ plain": base.peak_bytes / base.at[PLAIN, "peak_bytes"],
        "seconds per iteration": base.seconds_per_iteration,
    })
    if "peak_rss_bytes" in base and base.peak_rss_bytes.notna().all():
        out["peak RSS increase (MiB)"] = base.peak_rss_bytes / 2**20
    return out.set_index("method").round(3)


def memory_verdict(run) -> list[str]:
    """The memory benchmark against its targets (``report.DENSE_OVER_SPARSE_MEMORY_TARGET``,
    ``report.ADVANTAGE_OVER_PLAIN_MEMORY_TARGET``), and what REINFORCE's peak says about the rest."""
    s, ours, reinforce = run.summary, proposed_label(), label("reinforce")
    dense = ", ".join(label(n) for n in strategies.DENSE)
    n_sparse = len(strategies.SPARSE)
    dense_word = target_word(s["dense_over_sparse_median"], DENSE_OVER_SPARSE_MEMORY_TARGET, at_least=True)
    plain_word = target_word(s["advantage_over_plain_max"], ADVANTAGE_OVER_PLAIN_MEMORY_TARGET)
    peaks = s["peak_bytes"]
    return [
        f"Dense ÷ sparse peak memory (median of {dense} over median of the {n_sparse} sparse strategies): "
        f"**{s['dense_over_sparse_median']:.2f}** (target "
        f"{target_text(DENSE_OVER_SPARSE_MEMORY_TARGET, at_least=True)}: {dense_word}); {label('darts')} ÷ "
        f"{ours} **{s['darts_over_advantage']:.2f}**. {ours} ÷ plain training of the same cell, "
        f"over {len(s['advantage_over_plain_per_cell'])} sampled cells: at most "
        f"**{s['advantage_over_plain_max']:.3f}** (target {target_text(ADVANTAGE_OVER_PLAIN_MEMORY_TARGET)}: "
        f"{plain_word}). Measured on {s['device']} ({s['method']}).",
        f"{reinforce}, whose θ step runs no backward pass, peaks at {peaks['reinforce'] / peaks[PLAIN]:.3f}× "
        f"plain training and {ours} at {peaks[PROPOSED] / peaks[PLAIN]:.3f}×: what remains above plain "
        f"training is in {reinforce}'s peak too (the supernet holds the weights, gradients and optimiser states "
        f"of every candidate operation; plain training holds one cell's), not the θ step's activations.",
    ]


def memory_per_cell(run) -> pd.DataFrame:
    """AdvantageNAS against plain training, cell by cell (the same sampled cell in both)."""
    table = run.metrics
    rows = table[(table.extra_conv3x3 == 0) & table.strategy.isin([PROPOSED, PLAIN])]
    wide = rows.pivot(index="cell_seed", columns="strategy", values="peak_bytes")
    cell_archs = rows.drop_duplicates("cell_seed").set_index("cell_seed").cell
    out = pd.DataFrame({"cell": cell_archs, f"{proposed_label()} (MiB)": wide[PROPOSED] / 2**20,
                        "plain (MiB)": wide[PLAIN] / 2**20, "÷ plain": wide[PROPOSED] / wide[PLAIN]})
    return out.rename_axis("cell seed").round(3)


def memory_figure(run):
    """Peak memory (left) and time per search iteration (right) against the number of
    candidate operations |J| (extra conv 3x3 copies), as the memory benchmark measured them."""
    table = run.metrics
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for name in (PROPOSED, strategies.DENSE[0], PLAIN):
        rows = table[(table.strategy == name) & (table.cell_seed == 0)].sort_values("n_ops")
        if len(rows) > 1:
            text = label(name) if name != PLAIN else "plain training"
            axes[0].plot(rows.n_ops, rows.peak_bytes / 2**20, marker="o", label=text, **line_style(name))
            axes[1].plot(rows.n_ops, rows.seconds_per_iteration, marker="o", label=text, **line_style(name))
    for ax, ylabel in zip(axes, ("peak memory (MiB)", "seconds per search iteration")):
        ax.set_xlabel("candidate operations per edge |J|")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cost_growth(run) -> pd.DataFrame:
    """Peak memory and seconds per iteration at each |J|, with the growth per added operation
    (least-squares slope) of the proposed method and DARTS: how cost grows with |J|."""
    table = run.metrics
    rows = []
    for name in (PROPOSED, strategies.DENSE[0]):
        sub = table[(table.strategy == name) & (table.cell_seed == 0)].sort_values("n_ops")
        if len(sub) < 2:
            continue
        slope = lambda y: float(np.polyfit(sub.n_ops, y, 1)[0])  # noqa: E731
        rows.append({"method": label(name), "|J| measured": ", ".join(str(int(n)) for n in sub.n_ops),
                     "MiB per added operation": slope(sub.peak_bytes / 2**20),
                     "seconds per added operation": slope(sub.seconds_per_iteration),
                     f"seconds at |J| = {int(sub.n_ops.max())} ÷ at {int(sub.n_ops.min())}":
                         float(sub.seconds_per_iteration.iloc[-1] / sub.seconds_per_iteration.iloc[0])})
    return pd.DataFrame(rows).set_index("method").round(3)


# This library against AutoDL-Projects (benchmarks/peers.py) ---------------------------------

PEER_LABELS = {"xautodl-gdas": "xautodl TinyNetworkGDAS", "xautodl-darts": "xautodl TinyNetworkDarts (1st order)"}


def peers_table(run) -> pd.DataFrame:
    """Median seconds per search iteration and peak memory of each contender."""
    s = run.summary
    names = [*order(n for n in s["median_seconds"] if n not in PEER_LABELS), *PEER_LABELS]
    return pd.DataFrame({
        "contender": [PEER_LABELS.get(n, f"advnas {label(n)}") for n in names],
        "seconds per iteration (median)": [s["median_seconds"][n] for n in names],
        "peak memory (MiB)": [s["peak_bytes"][n] / 2**20 for n in names],
    }).set_index("contender").round(3)


def peers_verdicts(run) -> list[str]:
    """Each ratio (median of per-repeat time ratios, with quartiles; memory) against its target."""
    s, lines = run.summary, []
    names = {"gdas_over_xautodl_gdas": (label("gdas"), "xautodl's GDAS"),
             "darts_over_xautodl_darts": (label("darts"), "xautodl's DARTS"),
             "advantage_over_xautodl_gdas": (proposed_label(), "xautodl's GDAS")}
    for key, (ours, theirs) in names.items():
        t, target, memory = s["time"][key], s["targets"][key], s["memory"][key]
        extra = (f"; memory {memory:.2f}× ({target_word(memory, 1.0)}: ≤ 1)"
                 if key == "advantage_over_xautodl_gdas" else f"; memory {memory:.2f}×")
        lines.append(f"* our {ours} ÷ {theirs}: time {t['median']:.2f}× (quartiles {t['quartiles'][0]:.2f}–"
                     f"{t['quartiles'][1]:.2f}; target {target_text(target)}: {target_word(t['median'], target)})"
                     + extra + "." + _limit(s, key))
    return lines


def _limit(summary: dict, key: str) -> str:
    """What bounds a time ratio: our network kernels alone against the peer's iteration, and
    the share of our iteration spent outside them (benchmarks/peers.py: kernel_split)."""
    floor, kernels = summary.get("kernel_floor", {}).get(key), summary.get("kernel_seconds")
    if floor is None or not kernels:
        return ""
    ours = kernels[key.split("_over_")[0]]
    rest = ours["rest"] / (ours["rest"] + ours["network_kernels"])
    profiled = summary.get("profiled_iterations", 1)
    where = "one profiled iteration" if profiled == 1 else f"the medians of {profiled} profiled iterations"
    return (f" Our network's own kernels (convolution, batch norm, pooling, ReLU) alone take {floor:.2f}× "
            f"the peer's whole iteration ({where}); {rest:.0%} of our iteration runs outside them (gate "
            "mixing, node sums and their gradients, sampling, optimisers), which is what limits the ratio.")


def operator_table(run, top: int = 10) -> pd.DataFrame | None:
    """Where one search iteration and one plain step spend their time (benchmarks/nb201_speed.py,
    torch.profiler's self CPU time per operator) at the largest measured network."""
    profiles = run.summary.get("profile")
    if not profiles:
        return None
    size = max(profiles, key=lambda k: [int(x) for x in k.replace(",", "=").split("=")[1::2]])
    frames = []
    for task, column in (("search_iteration", "search iteration"), ("plain_step", "plain step")):
        rows = pd.DataFrame(profiles[size].get(task, []))
        if rows.empty:
            continue
        frames.append(rows.set_index("operator")[["calls", "self_cpu_ms", "share"]]
                      .rename(columns=lambda c: f"{column}: {c.replace('_', ' ')}"))
    table = pd.concat(frames, axis=1)
    table = table.sort_values(table.columns[1], ascending=False).head(top)
    return table.rename_axis(f"operator ({size})").round(3)
