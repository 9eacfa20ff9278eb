"""The scorecard: every claim of the paper this book tests, one row each, with the verdict
the chapters compute from the stored results (never typed).

Each chapter's report returns its verdicts as ``Verdict`` objects (``advnas.verdict``), which
the chapter shows as lines "**<claim>: <outcome>.** <evidence>"; this module reads the same
stored runs, calls the same report functions, and puts each verdict's fields into the
scorecard's columns. It computes nothing new, so the scorecard and the chapters cannot disagree.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from . import claims
from .runlist import RUNLIST, Notebook, notebook
from .store import reading
from .verdict import Verdict, kind_of


def _rows(chapter: str, verdicts: list[Verdict]) -> list[dict]:
    """The scorecard rows of a chapter's verdicts: each claim's words, location, number and
    group from ``claims.CLAIMS`` (where a claim has no entry: the chapter title's location and no
    number), and the verdict's outcome, evidence and n."""
    title = notebook(chapter).title
    section, where = f"[{title.split(' (')[0]}]({notebook(chapter).page}.ipynb)", title.partition(" (")[2].rstrip(")")
    out = []
    for verdict in verdicts:
        entry = claims.find(verdict.claim)
        out.append({"claim": verdict.claim, "paper": entry.where if entry else where,
                    "paper's number": entry.number() if entry else "",
                    "quote": entry.quote if entry else "", "group": entry.group if entry else claims.PAPER,
                    "verdict": verdict.outcome, "evidence": verdict.evidence, "n": verdict.n, "section": section,
                    "chapter": chapter, "priced": verdict.priced})
    return out


def table(profile: str) -> pd.DataFrame:
    """Every tested claim: where the paper makes it, its number, our verdict and evidence, and
    the section that shows it; from each run-list chapter's ``verdicts`` in turn. The scorecard
    reads the chapters' stored runs (a missing one is computed; none is recomputed:
    recomputing is the chapters' business)."""
    rows = [row for name, entry in RUNLIST.items() if entry.verdicts is not None
            for row in _with_staleness(name, entry, profile)]
    rows = _with_trials_note(rows, profile)
    frame = pd.DataFrame(rows, columns=["claim", "paper", "paper's number", "quote", "group", "verdict", "evidence",
                                        "section", "stale"])
    frame.insert(3, "ours", [trials_text(profile, row.get("n")) for row in rows])
    # the paper's claims first, then our additions; within each, in the book's chapter order
    book = [entry.page for entry in RUNLIST.values() if entry.computes]
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
            and row["priced"] else row for row in rows]


def _with_staleness(chapter: str, entry: Notebook, profile: str) -> list[dict]:
    """A chapter's rows, each naming the stored runs it read that are stale (its experiment's
    code computes something else today, ``behaviour.py``); "" when all are up to date."""
    with reading() as handed:
        rows = _rows(chapter, entry.verdicts(entry.resolve(profile), profile))
    stale = ", ".join(sorted({run.folder.name for run in handed if run.is_stale()}))
    return [{**row, "stale": stale} for row in rows]


def trials_text(profile: str, n: int | None) -> str:
    """Our side of a row in short: the profile and the verdict's n (``Verdict.n``: "cpu, n = 5");
    the profile alone where it has none (an exact computation, a benchmark's medians)."""
    return profile if n is None else f"{profile}, n = {n}"


def summary_table(frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """The scorecard as shown: one short row per claim of ``group`` (all when None; the
    evidence follows as a list)."""
    if group is not None:
        frame = frame[frame.group == group]
    shown = frame.assign(verdict=[f"{v} (evidence stale: recompute)" if stale else v  # marked when stale
                                  for v, stale in zip(frame.verdict, frame.stale)])
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


def counts(frame: pd.DataFrame, group: str | None = None) -> str:
    """"3 hold, 1 fails, 9 inconclusive" over the scorecard's rows (of ``group``, all when None)."""
    if group is not None:
        frame = frame[frame.group == group]
    kinds = frame.verdict.map(kind_of)
    words = {"holds": "hold", "fails": "fail", "inconclusive": "inconclusive", "untested": "untested"}
    text = ", ".join(f"{int((kinds == k).sum())} {w}" for k, w in words.items() if k != "untested" or (kinds == k).any())
    stale = int((frame.stale != "").sum())
    return text + (f"; {stale} {'rests' if stale == 1 else 'rest'} on stale stored runs" if stale else "")


def figure(frame: pd.DataFrame):
    """Verdicts per chapter: a horizontal bar per chapter, split into hold / fail / inconclusive."""
    import matplotlib.pyplot as plt

    kinds = frame.verdict.map(kind_of)
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
