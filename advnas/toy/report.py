"""Tables and figures of the toy chapter (Fig. 1 and what the paper does not show)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from .. import paper, strategies
from ..report import (NOT_AVAILABLE, PROPOSED, and_list, compare, comparison_text, label, line_style, order,
                      paired_claim, paired_verdict, proposed_label, rivals)
from ..strategies import table1
from ..verdict import Verdict


def table1_beside_paper() -> pd.DataFrame:
    """Table 1 generated from the strategies' declared properties, with the paper's row
    ("–" for a baseline the paper does not list, such as random search)."""
    rows = []
    for row in table1():
        paper_name = "ENAS" if row["name"] == "reinforce" else row["method"]
        theirs = paper.TABLE1.get(paper_name) if row["in_paper"] else None
        ours = (row["propagation"], row["a_i"], row["stochastic"], row["theoretical_guarantee"])
        rows.append({"method": row["method"], "propagation": ours[0], "a_i": ours[1],
                     "stochastic": ours[2], "theoretical guarantee": ours[3],
                     "final architecture (paper's experiments)": row["final_architecture"],
                     "paper's Table 1 row": theirs if theirs is not None else NOT_AVAILABLE,
                     "agrees": ours == theirs if theirs is not None else NOT_AVAILABLE})
    return pd.DataFrame(rows).set_index("method")


def figure1(metrics: pd.DataFrame, window: int | None = None, x: str = "iteration"):
    """Median test loss of the argmax architecture over trials, with the 25-75 % band."""
    stats = metrics.groupby(["strategy", "iteration"]).agg(
        x=(x, "median"), median=("test_loss", "median"),
        q25=("test_loss", lambda s: s.quantile(0.25)), q75=("test_loss", lambda s: s.quantile(0.75)))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    panels = [("sparse propagation", strategies.names("sparse", paper_only=False)),
              (f"dense propagation, with {proposed_label()}", [*strategies.DENSE, PROPOSED])]
    for ax, (title, names) in zip(axes, panels):
        for name in names:
            if name not in stats.index.get_level_values(0):
                continue
            s = stats.loc[name]
            if window is not None:
                s = s[s.index <= window]
            line, = ax.plot(s.x, s["median"], label=label(name), **line_style(name))
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
    for name, summary in ((n, summaries[n]) for n in order(summaries)):
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
    """The paper's Fig. 1 claim against the runs, in words computed from ``table`` (rows by
    label): AdvantageNAS against the one-hot sparse strategies (``report.rivals``), then the
    dense ones."""
    ours, name = table.loc[proposed_label(), "median iterations to recovery"], proposed_label()
    names = [label(n) for n in rivals("toy")]
    present = [r for r in names if r in table.index]
    theirs = {r: table.loc[r, "median iterations to recovery"] for r in present}
    slower = [r for r in present if not ours < theirs[r]]
    outcome = ("holds in these runs" if not slower
               else f"does not hold in these runs against {', '.join(slower)}")
    return (f"Median iterations until the argmax architecture is the teacher: {name} "
            f"{_iterations(ours)}; {_listing(theirs)} (\"never\": fewer than half of the trials got there). "
            f"The paper's claim that {name} converges faster than {and_list(names)} {outcome}."
            + _dense_sentence(table, ours))


def _dense_sentence(table: pd.DataFrame, ours: float) -> str:
    dense = [label(n) for n in strategies.DENSE if label(n) in table.index]
    if not dense:
        return ""
    theirs = {d: table.loc[d, "median iterations to recovery"] for d in dense}
    faster = [d for d in dense if theirs[d] < ours]
    return (f" Dense propagation: {_listing(theirs)}; faster than {proposed_label()}: "
            f"{', '.join(faster) if faster else 'none'} (the paper: all {len(strategies.DENSE)}).")


def _listing(iterations: dict[str, float]) -> str:
    return "; ".join(f"{r}: {_iterations(v)}" for r, v in iterations.items())


def _iterations(value: float) -> str:
    return "never" if value == float("inf") else f"{value:.0f}"


def gradient_numbers(study: pd.DataFrame) -> dict[str, float]:
    """The gradient study's medians over the search points that the chapter quotes: relative variance
    of AdvantageNAS and REINFORCE, AdvantageNAS's relative bias and its size in standard errors."""
    by = study.groupby("strategy")
    ours = study[study.strategy == PROPOSED]
    return {"adv_rel_var": by.relative_variance.median()[PROPOSED],
            "rei_rel_var": by.relative_variance.median()["reinforce"],
            "adv_rel_bias": by.relative_bias.median()[PROPOSED],
            "adv_bias_z": (ours.bias_norm / ours.bias_se).median()}


def gradient_figure(study: pd.DataFrame):
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, column, title in zip(axes, ["relative_bias", "relative_variance", "cosine"],
                                 ["‖E δ − ∇J‖ / ‖∇J‖", "E‖δ − E δ‖² / ‖∇J‖²", "cos(E δ, ∇J)"]):
        wide = study.pivot(index="strategy", columns="iteration", values=column)
        wide = wide.loc[order(wide.index)]
        wide.index = [label(n) for n in wide.index]
        wide.plot.bar(ax=ax, logy=column == "relative_variance", rot=45, legend=False)
        ax.set(title=title, xlabel="")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title=f"θ from the {proposed_label()} search at iteration", loc="lower center",
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
    ours, theirs = proposed_label(), label("reinforce")
    rows = [
        ("whole Fig. 1 run: 8 strategies x 10 trials x 2000 iterations, lockstep (s)",
         s["full_run_seconds"], f"<= {s['full_run_target_seconds']}"),
        ("  the same strategies one after the other, estimated from their own times (s)",
         s["strategies_one_by_one_seconds"], ""),
        ("ms per trial-iteration, 10 trials stacked", s["ms_per_trial_iteration_batched"], "about 0.4 (reference machine)"),
        ("ms per trial-iteration, one trial alone", s["ms_per_trial_iteration_single"], "about 6 (reference machine)"),
        (f"{ours} / {theirs} theta-step time ({theirs} without backward), median",
         s["advantage_over_reinforce"], f"<= {s['ratio_target']}"),
        ("  per-repeat ratio, quartiles", f"{q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f}", ""),
        (f"{ours} / {theirs} with a backward pass (as the official code), median",
         s["advantage_over_reinforce_with_backward"], f"<= {s['ratio_target']}"),
        ("  per-repeat ratio, quartiles", f"{qb[0]:.3f} / {qb[1]:.3f} / {qb[2]:.3f}", ""),
    ]
    return pd.DataFrame(rows, columns=["measurement", "measured", "target"]).set_index("measurement")


def recovery_iterations(run) -> pd.DataFrame:
    """Per (strategy, seed): iterations until the argmax architecture was the teacher, a trial
    that never got there counted at the iteration budget (censored: this understates how
    slow it was, so a claim of being faster is tested conservatively)."""
    budget = run.config["iterations"]
    return pd.DataFrame([{"strategy": name, "seed": int(seed),
                          "iterations": budget if v["iterations_to_recovery"] is None else v["iterations_to_recovery"]}
                         for name, s in run.summary["strategies"].items() for seed, v in s["per_seed"].items()])


def late_share_at_teacher(run, start: float = 0.5) -> pd.DataFrame:
    """Per (strategy, seed): the share of evaluations in the last ``1 - start`` of the
    iterations at which the argmax architecture was the teacher (test loss 0)."""
    metrics = run.metrics
    late = metrics[metrics.iteration >= start * run.config["iterations"]]
    return (late.assign(at_teacher=late.test_loss == 0).groupby(["strategy", "seed"], as_index=False)
            .at_teacher.mean())


def verdicts(run) -> list[Verdict]:
    """Fig. 1's claims, each with a computed verdict (paired by seed, 95 % t interval): faster
    convergence than the one-hot sparse strategies; more stable than ProxylessNAS at the end."""
    ours, out = proposed_label(), []
    found = compare(recovery_iterations(run), "iterations", PROPOSED, rivals("toy"), claimed="less")
    if found:
        out.append(paired_verdict(
            f"Fig. 1: {ours} converges faster than {and_list([label(c.rival) for c in found])}", found,
            f"Iterations until the argmax is the teacher, {ours} minus: {comparison_text(found, '', 0)}.",
            f"{ours} minus each rival, iterations until the argmax is the teacher, paired by seed", claimed="less"))
    return out + paired_claim(
        late_share_at_teacher(run), "at_teacher", ["proxyless"], f"Sec. 5.1: {ours} is more stable than ProxylessNAS",
        f"Share of the evaluations in the second half of the iterations at the teacher, {ours} minus: ",
        f"{ours} minus ProxylessNAS, share of the second half's evaluations at the teacher, paired by seed", digits=3)


def stored_verdicts(cfg, profile: str) -> list[Verdict]:
    """The chapter's claims (Fig. 1's, and Sec. 5.1's on dense propagation), from its stored runs."""
    from ..omitted_claims import dense_faster_verdict
    from .experiment import run_all

    run = run_all(cfg, profile)
    return [*verdicts(run), dense_faster_verdict(recovery_iterations(run), run.config["iterations"])]
