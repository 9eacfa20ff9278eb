"""Tables and figures of the toy chapter (Fig. 1 and what the paper does not show)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from .. import paper
from ..strategies import STRATEGIES, table1

SPARSE_RIVALS = ("reinforce", "parsec", "gdas")  # those the paper says AdvantageNAS beats


def label(name: str) -> str:
    return STRATEGIES[name].label


def table1_beside_paper() -> pd.DataFrame:
    """Table 1 generated from the strategies' declared properties, with the paper's row."""
    rows = []
    for row in table1():
        paper_name = "ENAS" if row["name"] == "reinforce" else row["method"]
        ours = (row["propagation"], row["a_i"], row["stochastic"], row["theoretical_guarantee"])
        rows.append({"method": row["method"], "propagation": ours[0], "a_i": ours[1],
                     "stochastic": ours[2], "theoretical guarantee": ours[3],
                     "final architecture (paper's experiments)": row["final_architecture"],
                     "paper's Table 1 row": paper.TABLE1[paper_name],
                     "agrees": ours == paper.TABLE1[paper_name]})
    return pd.DataFrame(rows).set_index("method")


def _quantiles(metrics: pd.DataFrame, x: str) -> pd.DataFrame:
    return metrics.groupby(["strategy", "iteration"]).agg(
        x=(x, "median"), median=("test_loss", "median"),
        q25=("test_loss", lambda s: s.quantile(0.25)), q75=("test_loss", lambda s: s.quantile(0.75)))


def figure1(metrics: pd.DataFrame, window: int | None = None, x: str = "iteration"):
    """Median test loss of the argmax architecture over trials, with the 25-75 % band."""
    stats = _quantiles(metrics, x)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for ax, (title, names) in zip(axes, [("sparse propagation", [n for n in STRATEGIES
                                                                  if STRATEGIES[n].properties.propagation == "sparse"]),
                                         ("dense propagation, with AdvantageNAS", ["darts", "snas", "nasp", "advantage"])]):
        for name in names:
            if name not in stats.index.get_level_values(0):
                continue
            s = stats.loc[name]
            if window is not None:
                s = s[s.index <= window]
            line, = ax.plot(s.x, s["median"], label=label(name), lw=2 if name == "advantage" else 1.2)
            ax.fill_between(s.x, s.q25, s.q75, color=line.get_color(), alpha=0.15)
        ax.set(title=title, xlabel="θ iterations" if x == "iteration" else "measured θ-step time (s)",
               ylabel="test MSE of the argmax architecture", yscale="symlog", )
        ax.set_yscale("symlog", linthresh=1e-4)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def recovery_table(run) -> pd.DataFrame:
    """Per strategy: iterations until the argmax architecture is the teacher (test loss 0)."""
    rows = []
    summaries = run.summary["strategies"]
    for name, summary in ((n, summaries[n]) for n in STRATEGIES if n in summaries):
        per_seed = summary["per_seed"]
        hits = pd.Series([v["iterations_to_recovery"] for v in per_seed.values()], dtype="float")
        final = pd.Series([v["final_test_loss"] for v in per_seed.values()])
        rows.append({"strategy": label(name), "trials": len(per_seed),
                     "recovered": int(hits.notna().sum()),
                     "median iterations to recovery": hits.fillna(float("inf")).median(),
                     "recovered at the end": sum(v["recovered_at_end"] for v in per_seed.values()),
                     "median final test MSE": final.median(),
                     "time per trial-iteration alone (ms)": 1e3 * summary["theta_seconds"]
                     / (len(per_seed) * run.config["iterations"])})
    return pd.DataFrame(rows).set_index("strategy")


def verdict(table: pd.DataFrame) -> str:
    """The paper's Fig. 1 claim against the runs, in words computed from ``table``."""
    ours = table.loc["AdvantageNAS", "median iterations to recovery"]
    rivals = [label(n) for n in SPARSE_RIVALS if label(n) in table.index]
    theirs = {r: table.loc[r, "median iterations to recovery"] for r in rivals}
    slower = [r for r in rivals if not ours < theirs[r]]
    listing = "; ".join(f"{r}: {_fmt(theirs[r])}" for r in rivals)
    outcome = ("holds in these runs" if not slower
               else f"does not hold in these runs against {', '.join(slower)}")
    return (f"Median iterations until the argmax architecture is the teacher: AdvantageNAS "
            f"{_fmt(ours)}; {listing} (\"never\": fewer than half of the trials got there). "
            f"The paper's claim that AdvantageNAS converges faster than REINFORCE, PARSEC and "
            f"GDAS {outcome}." + _dense_sentence(table, ours))


def _dense_sentence(table: pd.DataFrame, ours: float) -> str:
    dense = [label(n) for n in ("darts", "snas", "nasp") if label(n) in table.index]
    if not dense:
        return ""
    theirs = {d: table.loc[d, "median iterations to recovery"] for d in dense}
    faster = [d for d in dense if theirs[d] < ours]
    listing = "; ".join(f"{d}: {_fmt(theirs[d])}" for d in dense)
    return (f" Dense propagation: {listing}; faster than AdvantageNAS: "
            f"{', '.join(faster) if faster else 'none'} (the paper: all three).")


def _fmt(value: float) -> str:
    return "never" if value == float("inf") else f"{value:.0f}"


def gradient_figure(study: pd.DataFrame):
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, column, title in zip(axes, ["relative_bias", "relative_variance", "cosine"],
                                 ["‖E δ − ∇J‖ / ‖∇J‖", "E‖δ − E δ‖² / ‖∇J‖²", "cos(E δ, ∇J)"]):
        wide = study.pivot(index="strategy", columns="iteration", values=column)
        wide.index = [label(n) for n in wide.index]
        wide.plot.bar(ax=ax, logy=column == "relative_variance", rot=45, legend=False)
        ax.set(title=title, xlabel="")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="θ from the AdvantageNAS search at iteration", loc="lower center",
               ncol=len(labels), fontsize=8, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return fig


def latest_benchmark(profile: str):
    """The stored toy-speed benchmark for ``profile`` (else the cpu one), or None."""
    from ..store import ResultsStore

    return ResultsStore().latest("benchmarks", "toy-speed", profile)


def benchmark_table(run) -> pd.DataFrame:
    s = run.summary
    q, qb = s["ratio_per_repeat_quartiles"], s["ratio_with_backward_per_repeat_quartiles"]
    rows = [
        ("whole Fig. 1 run: 8 strategies x 10 trials x 2000 iterations, lockstep (s)",
         s["full_run_seconds"], f"<= {s['full_run_target_seconds']}"),
        ("  the same strategies one after the other, estimated from their own times (s)",
         s["strategies_one_by_one_seconds"], ""),
        ("ms per trial-iteration, 10 trials stacked", s["ms_per_trial_iteration_batched"], "about 0.4 (reference machine)"),
        ("ms per trial-iteration, one trial alone", s["ms_per_trial_iteration_single"], "about 6 (reference machine)"),
        ("AdvantageNAS / REINFORCE theta-step time (REINFORCE without backward), median",
         s["advantage_over_reinforce"], f"<= {s['ratio_target']}"),
        ("  per-repeat ratio, quartiles", f"{q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f}", ""),
        ("AdvantageNAS / REINFORCE with a backward pass (as the official code), median",
         s["advantage_over_reinforce_with_backward"], f"<= {s['ratio_target']}"),
        ("  per-repeat ratio, quartiles", f"{qb[0]:.3f} / {qb[1]:.3f} / {qb[2]:.3f}", ""),
    ]
    return pd.DataFrame(rows, columns=["measurement", "measured", "target"]).set_index("measurement")
