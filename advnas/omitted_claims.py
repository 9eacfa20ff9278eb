"""Five claims of the paper that no chapter's report tests (App. B, App. F, footnote 5, App. H and a
sentence of Sec. 5.1), each judged from the stored runs of the chapter that holds them: its ``verdicts``
in the run list add them, so the scorecard lists them with the others. Each ``*_verdict`` function is
pure (loaded frames in, one ``Verdict`` out); its evidence states n, the estimate, its interval and the
rule, and its fields hold the same numbers. Rates get the exact binomial (Clopper–Pearson) interval,
in plain Python; means and paired differences the t intervals of ``advnas.stats``.
"""
from __future__ import annotations

import math

import pandas as pd

from . import convergence, paper, stats, strategies
from .nb201.network import parse_arch
from .report import PROPOSED, and_list, label, paired_claim, proposed_label, rivals
from .verdict import Verdict, interval_fields

LEVEL = stats.LEVEL
# App. B: the zero operation counts as "not selected" when the 95 % upper bound of its
# per-edge rate in the final cells is below this (and it is selected on no edge at all).
NONE_RATE_BOUND = 0.10
ZERO = "none"
# Footnote 5: an argmax cell at or below this NAS-Bench-201 accuracy (%) has collapsed (10 % is
# chance on CIFAR-10); the claim is that it happens in most trials (rate above one half).
COLLAPSE_ACCURACY = 10.5
MOST = 0.5
PROXYLESS = "proxyless"


# Exact binomial interval ---------------------------------------------------------------------

def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))


def _bisect(f, steps: int = 100) -> float:
    """The root in [0, 1] of ``f``, which is increasing there with f(0) <= 0 <= f(1)."""
    low, high = 0.0, 1.0
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) < 0 else (low, mid)
    return (low + high) / 2


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The two-sided Clopper–Pearson interval of a binomial rate, k successes in n trials:
    the p at which P(X >= k) and P(X <= k) reach (1 - level) / 2 (0 and 1 at k = 0 and k = n)."""
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1; got k = {k}, n = {n}")
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else _bisect(lambda p: (1 - binomial_cdf(k - 1, n, p)) - tail)
    high = 1.0 if k == n else _bisect(lambda p: tail - binomial_cdf(k, n, p))
    return low, high


def zero_edges(arch: str) -> tuple[int, int]:
    """(edges whose operation is `none`, edges) of a NAS-Bench-201 cell '|op~0|+|op~0|op~1|+|...|'."""
    edges = parse_arch(arch)
    return sum(op == ZERO for *_, op in edges), len(edges)


def _pct(value: float, digits: int = 1) -> str:
    """A share in percent, as the book writes it ("16.7 %")."""
    return f"{100 * value:.{digits}f} %"


def _range(low: float, high: float) -> str:
    return f"[{_pct(low)}, {_pct(high)}]"


def _plain(summaries: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of strategy ``name`` with its default options (not a labelled variant)."""
    rows = summaries[summaries.strategy == name]
    if "label" in rows:
        rows = rows[rows.label.isna() | (rows.label == label(name))]
    return rows.sort_values("seed")


def _iv(iv: stats.Interval, digits: int = 2, unit: str = "") -> str:
    if iv.n < 2:
        return f"{iv.mean:+.{digits}f}{unit} (n = {iv.n}, no interval)"
    return f"{iv.mean:+.{digits}f} [{iv.low:+.{digits}f}, {iv.high:+.{digits}f}]{unit} (95 % t interval, n = {iv.n})"


# 1. App. B -------------------------------------------------------------------------------------

def zero_op_selection_verdict(with_none: pd.DataFrame) -> Verdict:
    """App. B, last sentence: "If no regularization is introduced, the zero operation will not
    be selected as the final architecture." AdvantageNAS with Eq. (9) (its default options) in
    the space with `none`: the `none` edges of its final argmax cells."""
    ours = proposed_label()
    said = dict(claim=f"App. B: with Eq. (9), {ours} never selects the zero operation",
                rule=f"fails when `none` is on at least one edge, holds when it is on none and the 95 % upper bound "
                     f"of its per-edge rate is below {_pct(NONE_RATE_BOUND, 0)}, inconclusive otherwise",
                comparison=f"the edges of {ours}'s final argmax cells (with Eq. 9) whose operation is `none`")
    rows = _plain(with_none, PROPOSED).dropna(subset=["argmax_arch"])
    if rows.empty:
        return Verdict(**said, outcome="untested (no trials)")
    counts = [zero_edges(a) for a in rows.argmax_arch]
    k, edges, trials = sum(c[0] for c in counts), sum(c[1] for c in counts), len(rows)
    low, high = clopper_pearson(k, edges)
    # A single `none` edge is a counterexample; none at all needs enough edges to bound the rate.
    verdict = (stats.FAILS if k > 0 else stats.HOLDS if high < NONE_RATE_BOUND
               else f"inconclusive at n = {trials}")
    where = ", ".join(f"seed {s}: {c[0]}" for s, c in zip(rows.seed, counts) if c[0])
    evidence = (f"{ours}'s final argmax cells in the space "
                f"with `none` (n = {trials} trials × 6 edges): `none` on {k} of {edges} edges"
                + (f" ({where})" if where else "") + f", a per-edge rate of {_pct(k / edges)}, 95 % Clopper–Pearson "
                f"interval {_range(low, high)}. Rule: fails when `none` is on at least one edge (a counterexample); "
                f"holds when it is on none and the upper bound is below {_pct(NONE_RATE_BOUND, 0)}; otherwise "
                f"inconclusive.")
    return Verdict(**said, outcome=verdict, evidence=evidence, n=trials, estimate=k / edges, interval=(low, high))


# 2. App. F -------------------------------------------------------------------------------------

def params_change_verdict(with_none: pd.DataFrame, four_ops: pd.DataFrame) -> Verdict:
    """App. F, last sentence: "SP-NAS approaches except AdvantageNAS tended to architectures
    having much fewer trainable parameters when zero operations were included." Per strategy,
    the change of the argmax cell's parameters (MB), with `none` minus the four operations,
    paired by seed; the rivals (``report.rivals``: the paper's other sparse strategies, not the
    random baseline) pooled per seed as the mean of their changes. Two intervals decide together
    (the rivals' change and AdvantageNAS's excess over it): the verdict has no single estimate."""
    ours = proposed_label()
    said = dict(claim=f"App. F: with `none`, the other SP-NAS move to cells with fewer parameters, {ours} does not",
                rule=f"holds when the rivals' 95 % interval lies below zero and {ours}'s excess over them above zero, "
                     "fails when either lies wholly on the wrong side of zero, inconclusive otherwise",
                comparison=f"the argmax cell's parameters with `none` minus without (MB): the rivals' mean change, "
                           f"and {ours}'s change minus it, paired by seed")
    others = rivals("zero_op", set(with_none.strategy) & set(four_ops.strategy))
    names = [*others, PROPOSED]
    change = {}
    for name in names:
        a = _plain(with_none, name).set_index("seed").argmax_params_mb
        b = _plain(four_ops, name).set_index("seed").argmax_params_mb
        change[name] = (a - b).dropna().to_dict()
    seeds = sorted(set.intersection(*(set(c) for c in change.values()))) if others else []
    if not seeds:
        return Verdict(**said, outcome="untested (no shared seeds)")
    pooled = {s: sum(change[r][s] for r in others) / len(others) for s in seeds}
    rivals_iv = stats.interval(pooled.values())
    excess = stats.paired({s: change[PROPOSED][s] for s in seeds}, pooled)
    n = len(seeds)
    wrong = n >= 2 and (rivals_iv.low > 0 or excess.high < 0)
    right = n >= 2 and rivals_iv.high < 0 and excess.low > 0
    verdict = stats.FAILS if wrong else stats.HOLDS if right else f"inconclusive at n = {n}"
    means = ", ".join(f"{label(r)} {sum(change[r][s] for s in seeds) / n:+.3f}" for r in names)
    evidence = (f"Argmax cell's parameters with `none` minus without (MB), paired by seed over the n = {n} shared "
                f"seeds ({', '.join(map(str, seeds))}), mean change per strategy: {means}. The {len(others)} "
                f"rivals pooled (mean of their changes per seed): {_iv(rivals_iv, 3, ' MB')}; {ours}'s change "
                f"minus the rivals', paired by seed: {_iv(excess, 3, ' MB')}. Rule: holds when the rivals' "
                f"interval lies below zero and {ours}'s excess above zero; fails when either lies wholly on the "
                f"wrong side of zero; otherwise inconclusive.")
    return Verdict(**said, outcome=verdict, evidence=evidence, n=n)


# 3. Footnote 5 ---------------------------------------------------------------------------------

def proxyless_collapse_verdict(with_none: pd.DataFrame) -> Verdict:
    """Footnote 5 (Sec. 5.2): "zero operations disrupt the architecture search of existing
    SP-NAS (e.g., ProxylessNAS ended up with a final accuracy of 10%)". Table 4 has
    ProxylessNAS's argmax at 10.00 ± 0.00. The accuracies are bimodal (collapsed or not), so
    the rate of collapsed trials is tested, not the mean."""
    name = label(PROXYLESS)
    said = dict(claim=f"Footnote 5: with `none` among the candidates, {name} collapses to about 10 % accuracy",
                rule=f"holds when the 95 % lower bound of the rate of collapsed trials is above {_pct(MOST, 0)}, "
                     f"fails when its upper bound is below {_pct(MOST, 0)}, inconclusive otherwise",
                comparison=f"the share of {name}'s trials whose argmax cell is at most {COLLAPSE_ACCURACY:g} % "
                           "accurate")
    rows = _plain(with_none, PROXYLESS).dropna(subset=["argmax_accuracy"])
    if rows.empty:
        return Verdict(**said, outcome="untested (no trials)")
    n = len(rows)
    k = int((rows.argmax_accuracy <= COLLAPSE_ACCURACY).sum())
    low, high = clopper_pearson(k, n)
    verdict = stats.HOLDS if low > MOST else stats.FAILS if high < MOST else f"inconclusive at n = {n}"
    theirs = paper.TABLE4[PROXYLESS]["argmax"]
    accuracies = ", ".join(f"{a:.2f}" for a in rows.argmax_accuracy)
    evidence = (f"The paper's Table 4: {theirs[0]:.2f} ± {theirs[1]:.2f} %. Ours, argmax accuracy per trial: "
                f"{accuracies} %; collapsed "
                f"(at most {COLLAPSE_ACCURACY:g} %) in {k} of n = {n} trials, a rate of {_pct(k / n, 0)}, 95 % "
                f"Clopper–Pearson interval {_range(low, high)}. Rule: holds when the lower bound is above "
                f"{_pct(MOST, 0)} (it collapses in most trials), fails when the upper bound is below {_pct(MOST, 0)}, "
                f"otherwise inconclusive.")
    return Verdict(**said, outcome=verdict, evidence=evidence, n=n, estimate=k / n, interval=(low, high))


# 4. App. H -------------------------------------------------------------------------------------

def entropy_rise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per seed: the mean entropy per edge at the middle search epoch (row ceil(len/2) - 1 of
    the search rows) and at the last one, and the rise from the one to the other."""
    rows = []
    for seed, group in metrics.groupby("seed"):
        search = convergence.search_rows(group.sort_values("epoch"))
        if search.empty:
            continue
        middle, last = search.iloc[math.ceil(len(search) / 2) - 1], search.iloc[-1]
        rows.append({"seed": seed, "middle_epoch": middle.search_epoch, "last_epoch": last.search_epoch,
                     "middle": middle.entropy, "last": last.entropy, "rise": last.entropy - middle.entropy})
    return pd.DataFrame(rows, columns=["seed", "middle_epoch", "last_epoch", "middle", "last", "rise"])


def proxyless_entropy_verdict(metrics: pd.DataFrame) -> Verdict:
    """App. H: "the entropy of ProxylessNAS increases after around 25 epochs and thus does not
    converge" (50 θ epochs in the paper: 25 is the middle of its search). ProxylessNAS's
    four-operation runs: the last search epoch's mean entropy minus the middle one's."""
    name = label(PROXYLESS)
    said = dict(claim=f"App. H: {name}'s entropy rises in the second half of the search",
                rule="holds when the 95 % t interval lies above zero, fails when it lies below, inconclusive otherwise",
                comparison=f"{name}'s mean entropy per edge at the last search epoch minus at the middle one, per seed")
    rise = entropy_rise(metrics[metrics.strategy == PROXYLESS])
    if rise.empty:
        return Verdict(**said, outcome="untested (no trials)")
    iv = stats.interval(rise.rise)
    final = sum(rise["last"]) / len(rise)
    target = convergence.CIFAR_ENTROPY_TARGET
    epochs = (f"search epoch {int(rise.last_epoch.max())} minus epoch {int(rise.middle_epoch.max())}"
              if rise.last_epoch.nunique() == 1 and rise.middle_epoch.nunique() == 1 else "last minus middle")
    evidence = (f"The paper's \"around 25 epochs\" is the middle of its 50 θ epochs. Mean entropy per edge, {epochs} "
                f"(the middle of the search), four operations: {_iv(iv, 3, ' nats')}; per seed "
                + ", ".join(f"{r.rise:+.3f}" for r in rise.itertuples())
                + ". Rule: holds when the interval lies above zero, fails when below, otherwise inconclusive. "
                f"Final mean entropy {final:.3f} nats, {'above' if final > target else 'at or below'} the cpu "
                f"convergence target of {target:g} nats (advnas/convergence.py).")
    return Verdict(**said, outcome=stats.verdict(iv, "greater"), evidence=evidence, n=iv.n, **interval_fields(iv))


# 5. Sec. 5.1 -----------------------------------------------------------------------------------

def dense_faster_verdict(recovery: pd.DataFrame, budget: int | None = None) -> Verdict:
    """Sec. 5.1, Results: "Existing DP-NAS approaches such as DARTS, SNAS and NASP converge
    faster than AdvantageNAS." The toy report's measure (iterations until the argmax
    architecture is the teacher, ``toy.report.recovery_iterations``) and pairing, the other way
    round: AdvantageNAS minus each dense method, paired by seed; the claim is that it is above zero."""
    ours, dense = proposed_label(), [n for n in strategies.DENSE if n in set(recovery.strategy)]
    claim = f"Sec. 5.1: {and_list([label(n) for n in strategies.DENSE])} converge faster than {ours} on the toy task"
    censored = (f"; a trial that never got there counts at the budget of {budget} iterations" if budget else "")
    (verdict,) = paired_claim(
        recovery, "iterations", dense, claim,
        f"Iterations until the argmax architecture is the teacher{censored}; {ours} minus each, paired by seed, "
        "95 % t interval: ",
        f"{ours} minus each dense method, iterations until the argmax architecture is the teacher, paired by seed",
        digits=0, untested=True, then=" Rule: holds when every interval lies above zero (the dense method faster), "
                                       "fails when any lies below, otherwise inconclusive.")
    return verdict
