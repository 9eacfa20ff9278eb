"""The scorecard: every claim of the paper this book tests, one row each, with the verdict
the chapters compute from the stored results (never typed).

Each chapter's report returns its verdicts as ``Verdict`` objects (``advnas.verdict``), which
the chapter shows as lines "**<claim>: <outcome>.** <evidence>"; this module reads the same
stored runs, calls the same report functions, and puts each verdict's fields into the
scorecard's columns. It computes nothing new, so the scorecard and the chapters cannot disagree.
"""

from __future__ import annotations

import textwrap
from typing import Callable

import pandas as pd


from . import claims
from .report import (ADVANTAGE_OVER_PLAIN_MEMORY_TARGET, DENSE_OVER_SPARSE_MEMORY_TARGET, THETA_STEP_RATIO_TARGET,
                     proposed_label)
from .verdict import Verdict, kind_of


def notebook(name: str):
    from .runlist import notebook as entry  # late: the run list names this module's config

    return entry(name)

def pages() -> dict[str, str]:
    """Chapter -> its book page, in the book's order (from the run list)."""
    from .runlist import RUNLIST

    return {name: entry.page for name, entry in RUNLIST.items() if entry.computes}


def _rows(chapter: str, where: str, verdicts: list[Verdict], paper_value: str = "") -> list[dict]:
    """The scorecard rows of a chapter's verdicts: each claim's words, location, number and
    group from ``claims.CLAIMS`` (``where`` and ``paper_value`` where a claim has no entry), and
    the verdict's outcome, evidence and n."""
    section = f"[{notebook(chapter).title.split(' (')[0]}]({notebook(chapter).page}.ipynb)"
    out = []
    for verdict in verdicts:
        entry = claims.find(verdict.claim)
        out.append({"claim": verdict.claim, "paper": entry.where if entry else where,
                    "paper's number": entry.number() if entry else paper_value,
                    "quote": entry.quote if entry else "", "group": entry.group if entry else claims.PAPER,
                    "verdict": verdict.outcome, "evidence": verdict.evidence, "n": verdict.n, "section": section,
                    "chapter": chapter})
    return out


# Sec. 4.4 says the advantage's variance reduction holds "typically": the claim holds when the
# advantage's gradient has the lower variance on at least this share of the edges of the random
# instances, in every regime of rewards drawn.
TYPICALLY = 0.9


def _theory(profile: str) -> list[dict]:
    from .theory import experiment

    run = experiment.run(notebook("theory").resolve(profile), profile)
    summary = run.summary
    lower = summary["advantage_lower_fraction"]
    bias = summary["theorem42_bias"]
    shares = run.metrics[(run.metrics.part == "scaling") & (run.metrics.quantity == "fraction_edges_lower")
                         & (run.metrics.n_edges >= 2)]
    edges = {r: int(g.n_edges.sum()) for r, g in shares.groupby("regime")}
    instances = {r: int(g.instance.nunique()) for r, g in shares.groupby("regime")}
    t41 = run.metrics[(run.metrics.part == "theorem41") & (run.metrics.step > 0)]
    shares_text = ", ".join(f"{k} {v:.1%} (mean over {instances.get(k, 0)} instances, {edges.get(k, 0)} edge cases)"
                            for k, v in lower.items())
    verdicts = [
        Verdict(claim=f"Sec. 4.4: the advantage's gradient typically has a lower variance than REINFORCE's (on at "
                      f"least {TYPICALLY:.0%} of edges, in every regime of random linear rewards)",
                outcome="holds" if min(lower.values()) >= TYPICALLY else "fails",
                evidence=f"Share of edges where it is lower (exact moments, random linear rewards with 2 or more "
                         f"edges): {shares_text}; threshold for \"typically\": {TYPICALLY:.0%} in every regime.",
                rule=f"holds when the advantage's variance is the lower on at least {TYPICALLY:.0%} of the edges in "
                     "every regime, fails otherwise",
                comparison="the advantage's per-edge gradient variance against REINFORCE's, exact moments on random "
                           "instances; the estimate is the smallest share over the regimes",
                estimate=min(lower.values())),
        Verdict(claim="Theorem 4.2: the advantage's gradient is unbiased",
                outcome="holds" if abs(bias["advantage"]) < 1e-9 else "fails",
                evidence=f"Largest deviation from the exact gradient: {bias['advantage']:.1e} (REINFORCE "
                         f"{bias['reinforce']:.1e}); the first-order advantage of Eq. (7) deviates by "
                         f"{bias['advantage_first_order']:.3f}.",
                rule="holds when the exact expectation deviates from the exact gradient by less than 1e-9",
                comparison="the exact expectation of the advantage's gradient estimate against the exact gradient",
                estimate=bias["advantage"]),
        Verdict(claim="Theorem 4.1: the lower bound on the expected improvement holds on every random instance",
                outcome="holds" if summary["theorem41_min_slack"] >= 0 else "fails",
                evidence=f"Smallest slack {summary['theorem41_min_slack']:.2e} over {t41.instance.nunique()} random "
                         f"instances × {t41.step.nunique()} step sizes × {t41.estimator.nunique()} estimators "
                         f"({len(t41)} cases).",
                rule="holds when the expected improvement is at least its lower bound (slack ≥ 0) in every case",
                comparison="the expected improvement minus Theorem 4.1's lower bound, per instance, step size "
                           "and estimator",
                estimate=summary["theorem41_min_slack"]),
    ]
    return _rows("theory", "Sec. 4.4, Theorems 4.1, 4.2", verdicts)


def _toy(profile: str) -> list[dict]:
    from .toy import experiment, report

    return _rows("toy", "Sec. 5.1, Fig. 1", report.verdicts(experiment.run_all(notebook("toy").resolve(profile),
                                                                               profile)))


def _benchmarks(profile: str) -> list[dict]:
    """The cost claims, from the stored benchmarks (medians against the project's targets)."""
    from .store import ResultsStore

    store, ours = ResultsStore(), proposed_label()
    verdicts = []
    memory = store.latest("benchmarks", "memory", profile)
    if memory is not None:
        verdicts += _memory_verdicts(memory.summary, ours)
    speed = store.latest("benchmarks", "nb201-speed", profile)
    if speed is not None:
        verdicts.append(_theta_step_verdict(speed, ours))
    # benchmark repeats, not search trials: no price of more trials
    return [{**row, "benchmark": True} for row in _rows("dense", "Sec. 4.3, App. G", verdicts)]


def _memory_verdicts(m: dict, ours: str) -> list[Verdict]:
    """Sec. 4 and Sec. 3, 5.1: the memory benchmark's ratios against the project's targets."""
    plain, dense = m["advantage_over_plain_max"], m["dense_over_sparse_median"]
    return [
        Verdict(claim=f"Sec. 4: {ours} needs the memory of training one sampled architecture",
                outcome="holds" if plain <= ADVANTAGE_OVER_PLAIN_MEMORY_TARGET else "fails",
                evidence=f"Peak memory ÷ plain training of the same cell, at most {plain:.3f} "
                         f"(target ≤ {ADVANTAGE_OVER_PLAIN_MEMORY_TARGET:g}; {m['device']}).",
                rule=f"holds when the largest ratio over the sampled cells is at most "
                     f"{ADVANTAGE_OVER_PLAIN_MEMORY_TARGET:g}",
                comparison=f"{ours}'s peak memory ÷ plain training's of the same sampled cell", estimate=plain),
        Verdict(claim="Sec. 3, 5.1: dense propagation needs several times the memory of sparse",
                outcome="holds" if dense >= DENSE_OVER_SPARSE_MEMORY_TARGET else "fails",
                evidence=f"Dense ÷ sparse peak memory (medians) {dense:.2f} "
                         f"(target ≥ {DENSE_OVER_SPARSE_MEMORY_TARGET:g}).",
                rule=f"holds when the ratio of the medians is at least {DENSE_OVER_SPARSE_MEMORY_TARGET:g}",
                comparison="the dense strategies' median peak memory ÷ the sparse strategies'", estimate=dense),
    ]


def _theta_step_verdict(speed, ours: str) -> Verdict:
    """Sec. 4.3: AdvantageNAS's θ step against REINFORCE's as REINFORCE needs it (forward only),
    with the ratio against REINFORCE's step with a backward pass beside it."""
    size, values = max(speed.summary["sizes"].items(), key=lambda kv: int(kv[0].split(",")[0].split("=")[1]))
    forward_only, with_backward = values["advantage_over_reinforce"], values["advantage_over_reinforce_with_backward"]
    repeats = speed.config["settings"]["repeats"]
    outcome = _ratio_verdict(forward_only, THETA_STEP_RATIO_TARGET, repeats)
    beside = _ratio_verdict(with_backward, THETA_STEP_RATIO_TARGET, repeats)
    evidence = (f"{ours} θ step ÷ REINFORCE's as REINFORCE needs it (a forward pass only, no backward), median "
                f"{forward_only['median']:.3f}, quartiles {_quartiles(forward_only)} at {size} (target ≤ "
                f"{THETA_STEP_RATIO_TARGET:g}: holds when the upper quartile is within it, fails when the lower one "
                "is above it). Beside it, against REINFORCE's step with a backward pass it does not need (the "
                "paper's argument: the gradient comes from a backward pass that is computed anyway), median "
                f"{with_backward['median']:.3f}, quartiles {_quartiles(with_backward)}: {beside}.")
    stated = [o for o in (outcome, beside) if kind_of(o) == "inconclusive"]  # only these state the repeats
    return Verdict(claim="Sec. 4.3: the advantage involves no additional computational cost over REINFORCE's θ step",
                   outcome=outcome, evidence=evidence,
                   rule=f"holds when the upper quartile of the per-repeat ratios is at most {THETA_STEP_RATIO_TARGET:g}, "
                        "fails when the lower quartile is above it, inconclusive otherwise",
                   comparison=f"{ours}'s θ step ÷ REINFORCE's, per repeat, at {size}",
                   n=repeats if stated else None, estimate=forward_only["median"],
                   interval=tuple(forward_only["quartiles"]))


def _quartiles(ratio: dict) -> str:
    low, high = ratio["quartiles"]
    return f"{low:.3f}–{high:.3f}"


def _ratio_verdict(ratio: dict, target: float, repeats: int) -> str:
    """A cost ratio against its target: holds when the upper quartile is within it, fails when
    the lower quartile is above it, inconclusive otherwise."""
    low, high = ratio["quartiles"]
    return "holds" if high <= target else "fails" if low > target else f"inconclusive at n = {repeats}"


def _nb201(profile: str) -> list[dict]:
    from .nb201 import experiment, report

    summaries, metrics = experiment.collect(experiment.run_all(notebook("nb201").resolve(profile), profile))
    return _rows("nb201", "Sec. 5.2, Table 2, Figs. 2, 4", report.verdicts(summaries, metrics))


def _zero_op(profile: str) -> list[dict]:
    from .nb201 import experiment, report

    data = experiment.zero_op_data(notebook("zero_op").resolve(profile), profile)
    return _rows("zero_op", "App. B, App. F, Table 4", report.zero_op_verdicts(data.with_zero, data.four_ops))


def _dense(profile: str) -> list[dict]:
    from .nb201 import experiment, report

    _, metrics = experiment.collect(experiment.run_all(notebook("dense").resolve(profile), profile))
    return _rows("dense", "App. G, Fig. 3", report.time_efficiency_verdicts(metrics))


def _gradients(profile: str) -> list[dict]:
    from .gradients import experiment, study_report
    from .gradients import report as exact

    cfg = notebook("gradients").resolve(profile)
    runs = experiment.run_all(cfg, profile, progress=False)
    metrics, _ = experiment.collect(runs)
    verdicts = study_report.verdicts(study_report.with_norm_tests(metrics, runs))
    return _rows("gradients", "Sec. 4.3–4.4, Theorem 4.2",
                 verdicts + exact.verdicts(exact.stored(cfg, profile), profile, cfg))


def _ptb(profile: str) -> list[dict]:
    from .ptb import experiment, report

    runs = experiment.run_all(notebook("ptb").resolve(profile), profile)
    return _rows("ptb", "Sec. 5.3, Table 3", report.verdicts(runs))


def _omitted(profile: str) -> list[dict]:
    """Claims of the appendices and footnotes, each from its chapter's stored runs."""
    from . import omitted_claims

    return [row for chapter, verdict in omitted_claims.chapter_verdicts(profile)
            for row in _rows(chapter, "", [verdict])]


SOURCES: dict[str, Callable[[str], list[dict]]] = {"theory": _theory, "toy": _toy, "nb201": _nb201, "ptb": _ptb,
                                                   "zero_op": _zero_op, "dense": _dense, "gradients": _gradients,
                                                   "cost": _benchmarks, "omitted": _omitted}


def table(profile: str) -> pd.DataFrame:
    """Every tested claim: where the paper makes it, its number, our verdict and evidence, and
    the section that shows it. The scorecard reads the chapters' stored runs (a missing one is
    computed; none is recomputed: recomputing is the chapters' business)."""
    rows = [row for source in SOURCES.values() for row in _with_staleness(source, profile)]
    rows = _with_trials_note(rows, profile)
    frame = pd.DataFrame(rows, columns=["claim", "paper", "paper's number", "quote", "group", "verdict", "evidence",
                                        "section", "stale"])
    frame.insert(3, "ours", [trials_text(profile, row.get("n")) for row in rows])
    # the paper's claims first, then our additions; within each, in the book's chapter order
    book = list(pages().values())
    key = [(claims.GROUPS.index(g), next((i for i, p in enumerate(book) if f"({p}.ipynb)" in s), len(book)))
           for g, s in zip(frame.group, frame.section)]
    order = sorted(range(len(frame)), key=lambda i: key[i])
    return frame.iloc[order].reset_index(drop=True)


def _with_trials_note(rows: list[dict], profile: str) -> list[dict]:
    """An inconclusive row whose n counts a search chapter's trials says what more trials would
    cost against what is left of the profile's budget (``budget.ChapterCost.sentence``); the
    budget is the `cpu` profile's, so other profiles' rows are left as they are."""
    if profile != "cpu":
        return rows
    from . import budget

    costs = budget.chapter_costs(profile)
    return [{**row, "evidence": f"{row['evidence']} {costs[row['chapter']].sentence()}"}
            if kind_of(row["verdict"]) == "inconclusive" and row.get("n") is not None and row["chapter"] in costs
            and not row.get("benchmark") else row for row in rows]


def _with_staleness(source: Callable[[str], list[dict]], profile: str) -> list[dict]:
    """A source's rows, each naming the stored runs it read that are stale (its experiment's
    code computes something else today, ``behaviour.py``); "" when all are up to date."""
    from .store import reading

    with reading() as handed:
        rows = source(profile)
    stale = ", ".join(sorted({run.folder.name for run in handed if run.is_stale()}))
    return [{**row, "stale": stale} for row in rows]


def shown_verdict(verdict: str, stale: str) -> str:
    """The verdict as the table shows it: marked when the runs behind it are stale."""
    return f"{verdict} (evidence stale: recompute)" if stale else verdict


def trials_text(profile: str, n: int | None) -> str:
    """Our side of a row in short: the profile and the verdict's n (``Verdict.n``: "cpu, n = 5");
    the profile alone where it has none (an exact computation, a benchmark's medians)."""
    return profile if n is None else f"{profile}, n = {n}"


def summary_table(frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """The scorecard as shown: one short row per claim of ``group`` (all when None; the
    evidence follows as a list)."""
    if group is not None:
        frame = frame[frame.group == group]
    shown = frame.assign(verdict=[shown_verdict(v, s) for v, s in zip(frame.verdict, frame.stale)])
    shown = shown.map(lambda cell: cell.replace("|", "\\|") if isinstance(cell, str) else cell)  # Markdown cells
    return shown[["claim", "paper", "paper's number", "ours", "verdict", "section"]].rename(
        columns={"paper": "where in the paper", "ours": "ours: profile, n"})


def evidence_list(frame: pd.DataFrame) -> str:
    """Each claim's evidence, as Markdown bullets in the table's order."""
    return "\n".join(f"* **{row.claim}** ({row.verdict}): "
                     + (f"The paper ({row.paper}): “{row.quote}” " if row.quote and row.paper != "–" else "")
                     + row.evidence
                     + (f" *Stale stored runs behind it (their code computes something else today): {row.stale}.*"
                        if row.stale else "") for row in frame.itertuples())


def kind(verdict: str) -> str:
    """holds, fails, inconclusive or untested (the verdict without its n or reason)."""
    return kind_of(verdict)


def counts(frame: pd.DataFrame, group: str | None = None) -> str:
    """"3 hold, 1 fails, 9 inconclusive" over the scorecard's rows (of ``group``, all when None)."""
    if group is not None:
        frame = frame[frame.group == group]
    kinds = frame.verdict.map(kind)
    words = {"holds": "hold", "fails": "fail", "inconclusive": "inconclusive", "untested": "untested"}
    text = ", ".join(f"{int((kinds == k).sum())} {w}" for k, w in words.items() if k != "untested" or (kinds == k).any())
    stale = int((frame.stale != "").sum())
    return text + (f"; {stale} {'rests' if stale == 1 else 'rest'} on stale stored runs" if stale else "")


def figure(frame: pd.DataFrame):
    """Verdicts per chapter: a horizontal bar per chapter, split into hold / fail / inconclusive."""
    import matplotlib.pyplot as plt

    kinds = frame.verdict.map(kind)
    chapters = frame.section.str.extract(r"\[(.*)\]")[0]
    counts_by = pd.crosstab(chapters, kinds).reindex(columns=["holds", "fails", "inconclusive", "untested"],
                                                     fill_value=0)
    counts_by = counts_by.loc[list(dict.fromkeys(chapters))[::-1]]
    counts_by.index = [textwrap.fill(title, 45, break_on_hyphens=False) for title in counts_by.index]  # long chapter titles
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(counts_by) + 1.2))
    left = pd.Series(0, index=counts_by.index)
    for name, colour in (("holds", "tab:green"), ("fails", "tab:red"), ("inconclusive", "lightgray"),
                         ("untested", "white")):
        if name == "untested" and not counts_by[name].any():
            continue
        ax.barh(counts_by.index, counts_by[name], left=left, color=colour, label=name, edgecolor="gray", linewidth=0.5)
        left = left + counts_by[name]
    ax.set_xlabel("claims")
    ax.legend(loc="lower right", frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig
