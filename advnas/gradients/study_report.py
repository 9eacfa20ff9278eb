"""Chapter 7's sampled gradient study (``study.py``, run through ``experiment.py``): its tables,
figure and verdicts, from the stored draws. The exact moments of AdvantageNAS's estimators
(``advantage_exact.py``) are reported by ``report.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import stats
from ..report import label, order, proposed_label
from ..strategies import PROPOSED
from ..verdict import Verdict
from .config import POINTS

if TYPE_CHECKING:
    import torch

POINT_LABELS = {"warmup_end": "end of warm-up", "middle": "middle of the search", "end": "end of the search"}
ALPHA = 0.05  # level of the bias tests, Bonferroni-corrected over the (seed, point) cases of a claim
BIAS_TEST = "largest per-component t statistic, Bonferroni over components"


def points_table(points: pd.DataFrame) -> pd.DataFrame:
    """Where the gradients were measured: epoch, theta steps, entropy of mu, the expected loss
    and the spread of the cells' losses under p_theta, and |grad J|."""
    table = points.copy()
    table["point"] = table.point.map(POINT_LABELS)
    columns = {"seed": "seed", "point": "point", "epoch": "epoch", "theta_steps": "θ steps",
               "entropy": "entropy of μ (nats)", "expected_loss": "J(θ)", "loss_sd": "sd of L under p_θ",
               "min_loss": "best cell's L", "exact_gradient_norm": "‖∇J‖"}
    return table[list(columns)].rename(columns=columns).set_index(["seed", "point"])


def summary_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per strategy, target and point, over seeds (mean): relative bias, bias in standard
    errors, the smallest p-value of the bias tests, relative variance and cosine."""
    frame = metrics.copy()
    frame["bias_z"] = frame.bias_norm / frame.bias_se.replace(0, np.nan)
    grouped = frame.groupby(["strategy", "target", "point"])
    table = pd.DataFrame({
        "seeds": grouped.seed.nunique(),
        "draws": grouped.draws.first(),
        "‖bias‖ / ‖target‖": grouped.relative_bias.mean(),
        "‖bias‖ / SE": grouped.bias_z.mean(),
        "bias test p (min)": grouped.bias_p.min(),
        **({"norm test p (min)": grouped.norm_p.min()} if "norm_p" in frame else {}),
        "tr Var / ‖∇J‖²": grouped.relative_variance.mean(),
        "cos(mean, target)": grouped.cosine.mean(),
    }).reset_index()
    table["rank"] = table.strategy.map({n: i for i, n in enumerate(order(table.strategy.unique()))})
    table["point_rank"] = table.point.map({p: i for i, p in enumerate(POINTS)})
    table = table.sort_values(["rank", "target", "point_rank"]).drop(columns=["rank", "point_rank"])
    table["strategy"] = table.strategy.map(label)
    table["target"] = table.target.map({"grad_J": "∇J", "own": "its own"})
    table["point"] = table.point.map(POINT_LABELS)
    return table.set_index(["strategy", "target", "point"])


def variance_ratios(metrics: pd.DataFrame, ours: str = PROPOSED, rival: str = "reinforce") -> pd.DataFrame:
    """Per (seed, point): tr Var of ``ours`` ÷ tr Var of ``rival`` with a 95 % interval (delta
    method on the log ratio; the two strategies' draws are independent)."""
    grad = metrics[metrics.target == "grad_J"].set_index(["seed", "point", "strategy"])
    rows = []
    cases = sorted({(seed, point) for seed, point, _ in grad.index}, key=lambda c: (c[0], POINTS.index(c[1])))
    for seed, point in cases:
        if (seed, point, ours) not in grad.index or (seed, point, rival) not in grad.index:
            continue
        a, b = grad.loc[(seed, point, ours)], grad.loc[(seed, point, rival)]
        log_ratio = math.log(a.variance / b.variance)
        se = math.hypot(a.variance_se / a.variance, b.variance_se / b.variance)
        z = 1.959963984540054
        rows.append({"seed": seed, "point": point, "ratio": math.exp(log_ratio),
                     "low": math.exp(log_ratio - z * se), "high": math.exp(log_ratio + z * se),
                     "log_ratio": log_ratio})
    return pd.DataFrame(rows)


def ratio_table(metrics: pd.DataFrame) -> pd.DataFrame:
    ratios = variance_ratios(metrics)
    table = ratios.assign(point=ratios.point.map(POINT_LABELS))
    name = f"tr Var {proposed_label()} ÷ tr Var {label('reinforce')}"
    table[name] = [f"{r:.3f} [{lo:.3f}, {hi:.3f}]" for r, lo, hi in zip(table.ratio, table.low, table.high)]
    return table[["seed", "point", name]].set_index(["seed", "point"])


def theory_prediction(theory_metrics: pd.DataFrame, regime: str = "standard") -> pd.Series:
    """The theory chapter's REINFORCE ÷ advantage per-edge variance (closed forms for random
    linear rewards, REINFORCE with the mean reward as baseline): median over instances, per |I|."""
    part = theory_metrics[(theory_metrics.part == "scaling") & (theory_metrics.quantity == "variance")
                          & (theory_metrics.source == "closed_form") & (theory_metrics.regime == regime)]
    wide = part.pivot_table(index=["n_edges", "instance"], columns="estimator", values="value")
    return (wide["reinforce_mean_baseline"] / wide["advantage"]).groupby(level="n_edges").median()


def prediction_sentence(metrics: pd.DataFrame, theory_metrics: pd.DataFrame | None, n_edges: int = 6) -> str:
    """The theory chapter's predicted variance ratio at the |I| around ``n_edges``, beside the
    one measured here (empty without ``theory_metrics`` or the AdvantageNAS/REINFORCE pair)."""
    ratios = variance_ratios(metrics)
    if theory_metrics is None or not len(ratios):
        return ""
    measured = math.exp(ratios.log_ratio.mean())
    predicted = theory_prediction(theory_metrics)
    below = predicted[predicted.index <= n_edges]
    above = predicted[predicted.index >= n_edges]
    shown = sorted({*below.index[-1:], *above.index[:1]})
    listing = ", ".join(f"{predicted[k]:.2f} at |I| = {int(k)}" for k in shown)
    return (f"The theory chapter's closed forms for random linear rewards predict REINFORCE's variance ÷ the "
            f"advantage's of {listing} (median over instances); measured here with |I| = {n_edges} edges: "
            f"{1 / measured:.2f} (geometric mean over the cases above).")


def verdicts(metrics: pd.DataFrame) -> list[Verdict]:
    """The paper's two claims about the gradient, computed: ``variance_verdict`` and ``bias_verdict``."""
    return [v for v in (variance_verdict(metrics), bias_verdict(metrics)) if v is not None]


def variance_verdict(metrics: pd.DataFrame) -> Verdict | None:
    """Sec. 4.3–4.4: AdvantageNAS's tr Var below REINFORCE's, by the t interval of the log
    ratios over the seeds (each seed's log ratios averaged over its points: the points of one
    search are not independent, the seeds are); the estimate and interval are the geometric
    mean ratio and its interval. None without a case that has both strategies."""
    ours, rival = proposed_label(), label("reinforce")
    ratios = variance_ratios(metrics)
    if not len(ratios):
        return None
    log_interval = stats.interval(ratios.groupby("seed").log_ratio.mean())
    interval = (math.exp(log_interval.low), math.exp(log_interval.high)) if log_interval.n >= 2 else None
    return Verdict(
        claim=f"Sec. 4.3–4.4: {ours}'s θ-gradient has a lower variance than {rival}'s in the CIFAR-10 space",
        outcome=stats.verdict(log_interval, claimed="less"),
        evidence=f"tr Var ratio {ours} ÷ {rival}, geometric mean over n = {log_interval.n} seed{'s' if log_interval.n != 1 else ''} "
                 f"({len(ratios)} (seed, point) cases, the log ratios averaged within each seed) "
                 f"{math.exp(log_interval.mean):.3f}, "
                 + ("95 % t interval [{:.3f}, {:.3f}]".format(*interval) if interval else "no interval from one seed")
                 + "; per case "
                 + ", ".join(f"{r:.3f}" for r in ratios.ratio) + ".",
        rule="holds when the 95 % t interval of the log ratio lies below zero (the ratio's below 1), fails when "
             "it lies above, inconclusive otherwise",
        comparison=f"tr Var of {ours}'s θ-gradient ÷ {rival}'s, per seed (geometric mean over its points)",
        n=log_interval.n, estimate=math.exp(log_interval.mean), interval=interval)


def bias_verdict(metrics: pd.DataFrame) -> Verdict | None:
    """Sec. 1, 4.3: the gradient AdvantageNAS computes (Eq. 7) is unbiased. Sampling can detect
    a bias, never prove its absence: fails when a test detects one in some (seed, point) case
    (Bonferroni over cases), inconclusive at the draws per case otherwise. None without draws."""
    ours = proposed_label()
    mine = metrics[(metrics.strategy == PROPOSED) & (metrics.target == "grad_J")]
    if not len(mine):
        return None
    column, test = ("norm_p", NORM_TEST) if "norm_p" in metrics else ("bias_p", BIAS_TEST)
    cases = len(mine)
    detected = mine[mine[column] < ALPHA / cases]
    draws = int(mine.draws.min())
    control = metrics[(metrics.strategy == "reinforce") & (metrics.target == "own")]
    control_text = (f" Control: {label('reinforce')} against its own target (1 − γ)∇J, bias detected in "
                    f"{int((control[column] < ALPHA / len(control)).sum())} of {len(control)} cases."
                    if len(control) else "")
    return Verdict(
        claim=f"Sec. 1, 4.3 (sampled): the gradient {ours} computes (Eq. 7) is unbiased in the CIFAR-10 space",
        outcome="fails" if len(detected) else f"inconclusive at n = {draws}",
        evidence=f"Bias detected (test of mean = ∇J: {test}; p < {ALPHA:g}/{cases}) in {len(detected)} of "
                 f"{cases} (seed, point) cases ({mine.seed.nunique()} seeds) at {draws} draws each; ‖bias‖ ÷ ‖∇J‖ "
                 f"{mine.relative_bias.min():.2f}–{mine.relative_bias.max():.2f}, cos(mean, ∇J) "
                 f"{mine.cosine.min():.2f}–{mine.cosine.max():.2f}.{control_text}",
        rule=f"fails when the test detects a bias (p < {ALPHA:g} over the number of cases) in any (seed, point) "
             "case, inconclusive otherwise (sampling cannot show that there is none)",
        comparison=f"the mean of {ours}'s sampled θ-gradients against the exact ∇θJ, per (seed, point) case",
        # the outcome states the draws per case only when inconclusive; a detected bias needs no count
        n=None if len(detected) else draws)


def figure(metrics: pd.DataFrame):
    """Relative bias against grad J, relative variance and cosine per strategy and point (mean
    over seeds, the seeds' values as dots)."""
    frame = metrics[metrics.target == "grad_J"]
    points = [p for p in POINTS if p in set(frame.point)]
    names = order(frame.strategy.unique())
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    width = 0.8 / max(len(points), 1)
    for ax, column, title, log in zip(
            axes, ["relative_bias", "relative_variance", "cosine"],
            ["‖E δ − ∇J‖ / ‖∇J‖", "tr Var δ / ‖∇J‖²", "cos(E δ, ∇J)"], [True, True, False]):
        for k, point in enumerate(points):
            sub = frame[frame.point == point]
            means = [sub[sub.strategy == n][column].mean() for n in names]
            x = np.arange(len(names)) + (k - (len(points) - 1) / 2) * width
            ax.bar(x, means, width, label=POINT_LABELS[point])
            for i, n in enumerate(names):
                values = sub[sub.strategy == n][column]
                ax.plot([x[i]] * len(values), values, "k.", ms=3)
        ax.set_xticks(np.arange(len(names)), [label(n) for n in names], rotation=35, ha="right")
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, -0.06), fontsize=8)
    fig.tight_layout()
    return fig


def provenance_table(runs) -> pd.DataFrame:
    """One row per stored study: what produced it, where, how long, and whether it is stale."""
    return pd.DataFrame([{
        "source search": r.summary["source"], "seed": r.summary["seed"], "profile": r.info["profile"],
        "commit": r.info["git_commit"], "device": r.info["device"], "torch": r.info["torch"],
        "wall time (s)": round(r.info["wall_time_s"], 1), "finished": r.info["finished_at"], "stale": r.is_stale(),
        "folder": str(r.folder.relative_to(r.folder.parents[3]))} for r in runs])


SECTION_TARGET_SECONDS = 45 * 60  # the whole study at the cpu profile, on 2 cores


def cost_sentence(runs, profile: str) -> str:
    """What the study cost: the stored benchmark of the exact reference (all cells, batched,
    against single forward passes) and the studies' own wall times, beside their targets."""
    from ..store import ResultsStore

    parts = []
    bench = ResultsStore().latest("benchmarks", "gradient-reference", profile)
    if bench is not None:
        b, s = bench.summary, bench.config["settings"]
        per_chunk = bench.metrics[bench.metrics.method == "batched"].groupby("chunk").seconds_per_cell.median()
        parts.append(
            f"The exact reference (the loss of all 4,096 cells at C = {s['channels']}, {s['cells_per_stage']} cell(s) "
            f"per stage, batch {s['batch']}) took {b['batched_seconds']:.0f} s in chunks of {b['best_chunk']} "
            f"cell(s), the fastest chunk measured, on {b['device']}, profile `{bench.info['profile']}` (target ≤ "
            f"{b['target_seconds']:.0f} s: {'met' if b['within_target'] else 'missed'}). Per cell, on the same "
            f"{s['chunk_sample']} sampled cells and in turn (median of {b.get('rounds', 1)} round(s)), the batched "
            f"evaluation is {b['speedup']:.2f}× as fast as one forward pass per cell (largest difference between "
            f"the two losses {b['max_abs_difference']:.1e}); seconds per cell by chunk size: "
            + ", ".join(f"{int(chunk)}: {seconds * 1000:.1f} ms" for chunk, seconds in per_chunk.items())
            + (" (larger chunks are slower per cell here: their activations leave the caches)."
               if b["best_chunk"] < max(s["chunks"]) else "."))
    if runs:
        seconds = [r.info["wall_time_s"] for r in runs]
        parts.append(
            f"The {len(runs)} studies (each: its search rerun to every point, the exact reference and "
            f"every strategy's draws there) took " + ", ".join(f"{t / 60:.1f}" for t in seconds)
            + f" minutes of wall time, computed side by side ({'within' if max(seconds) <= SECTION_TARGET_SECONDS else 'beyond'} "
            f"the {SECTION_TARGET_SECONDS // 60} minutes set for the whole section at the `cpu` profile).")
    return " ".join(parts)


def reproduction_sentence(runs, cfg) -> str:
    """Whether each study's rerun of the source search is the stored search of the CIFAR-10
    chapter with the same settings and seed (entropy of mu per epoch, final argmax cell)."""
    from ..store import ResultsStore, Run
    from ..nb201.experiment import EXPERIMENT

    store, parts = ResultsStore(), []
    search_cfg = cfg.search_config()
    for run in runs:
        seed = run.summary["seed"]
        profile = run.info["profile"]
        folder = store.folder(EXPERIMENT, profile, f"{cfg.source}-seed{seed}", search_cfg.run_config(cfg.source, seed))
        if not (folder / "summary.json").is_file():
            parts.append(f"seed {seed}: no stored search with these settings to compare with")
            continue
        stored = Run.load(folder)
        rerun = pd.DataFrame(run.summary["source_search"]).set_index("epoch")
        theirs = stored.metrics.set_index("epoch").loc[rerun.index]
        gap = float((rerun.entropy - theirs.entropy).abs().max())
        same = bool((rerun.argmax_arch == theirs.argmax_arch).all())
        parts.append(f"seed {seed}: entropy of μ within {gap:.1e} nats of the stored search at every epoch, "
                     f"argmax cell {'the same' if same else 'different'} at every epoch")
    return ("The reruns against the stored searches of the CIFAR-10 chapter: " + "; ".join(parts) + ".") if parts else ""


NORM_TEST = ("n‖mean − target‖² against its distribution under mean = target, Σ λ_k χ²₁ with λ the "
             "eigenvalues of the draws' covariance (simulated)")


def norm_test(draws: "torch.Tensor", target: "torch.Tensor", simulations: int = 20_000, seed: int = 0) -> float:
    """p-value of "the draws' mean equals ``target``" by the squared norm of the difference:
    under the null, n ||mean - target||^2 is (for large n) distributed as sum_k lambda_k z_k^2
    with lambda the eigenvalues of the draws' covariance, whatever their correlation; the
    p-value is simulated. Unlike a per-component test, rare-event components with a tiny
    sample variance do not dominate it."""
    import torch

    x = draws.double().flatten(1)
    n = x.shape[0]
    observed = n * float(((x.mean(0) - target.double().flatten()) ** 2).sum())
    eigenvalues = torch.linalg.eigvalsh(torch.cov(x.T)).clamp_min(0)
    if float(eigenvalues.sum()) == 0:
        return math.nan
    z = torch.randn(simulations, len(eigenvalues), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    null = (z ** 2 * eigenvalues).sum(1)
    return (int((null >= observed).sum()) + 1) / (simulations + 1)


def norm_tests(runs) -> pd.DataFrame:
    """``norm_test`` for every stored draw set of the studies (their snapshots): one row per
    seed, point, strategy and target."""
    import torch

    from ..strategies import make
    from ..nb201.cell_enumeration import exact_gradient
    from .study import own_target

    rows = []
    for run in runs:
        for snapshot in sorted((run.folder / "snapshots").iterdir()):
            draws = torch.load(snapshot / "draws.pt", weights_only=True)
            losses = torch.load(snapshot / "losses.pt", weights_only=True)
            theta = torch.load(snapshot / "checkpoint.pt", weights_only=True, map_location="cpu")["theta"]
            exact = exact_gradient(theta, losses)
            for name, grads in draws.items():
                targets = {"grad_J": exact, "own": own_target(name, theta, losses, make(name, 1))}
                rows += [{"seed": run.summary["seed"], "point": snapshot.name, "strategy": name, "target": target_name,
                          "norm_p": norm_test(grads, target)} for target_name, target in targets.items()
                         if target is not None]
    return pd.DataFrame(rows)


def with_norm_tests(metrics: pd.DataFrame, runs) -> pd.DataFrame:
    """The metrics with the ``norm_p`` column of ``norm_tests`` (from the stored draws)."""
    tests = norm_tests(runs)
    if not len(tests):
        return metrics
    return metrics.merge(tests, on=["seed", "point", "strategy", "target"], how="left")
