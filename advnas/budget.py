"""The compute budget of the `cpu` profile's searches, against what the stored runs took.

Budget (wall time on a 2-core machine, all stored `cpu` searches of a group together):
CIFAR-10 (chapters 3, 5 and 6, each run counted once) 6 hours, PTB (chapter 4) 1.5 hours,
and the tuning searches of theta's learning rate per strategy (advnas/nb201/tuning.py,
shown in chapter 3) 3 hours.

Two measures per group, both read from the runs' provenance (``config.json``):
  * compute: the sum of the runs' own wall times;
  * wall time occupied: the length of the union of the runs' computing intervals.
    Runs computed side by side (two workers on two cores) overlap, so this is the time the
    machine was busy with the group; it also counts any slowdown from other work on the
    machine, so it errs on the long side. It is the measure compared with the budget.
A run resumed after an interruption counts each earlier sitting from its start to the last
checkpoint it saved (``earlier_sittings`` in its provenance); runs stored before the store
recorded sittings count their last sitting only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

TUNING = "tuning"  # the tuning searches of advnas/nb201/tuning.py (not a run-list chapter)


def groups() -> dict[str, tuple[tuple[str, ...], float]]:
    """Group label -> (its chapters, its budget in hours): the run list's budgets (each chapter
    names its own), then the tuning searches' (``tuning.BUDGET_HOURS``, shown in chapter 3)."""
    from .nb201 import tuning
    from .runlist import RUNLIST

    members: dict = {}
    for name, entry in RUNLIST.items():
        if entry.budget is not None:
            members.setdefault(entry.budget, []).append(name)
    out = {}
    for budget, chapters in members.items():
        numbers = ", ".join(str(RUNLIST[c].number) for c in chapters)
        out[f"{budget.name} (chapter{'s' if len(chapters) > 1 else ''} {numbers})"] = (tuple(chapters), budget.hours)
    out[f"θ learning-rate tuning searches (chapter {RUNLIST[tuning.CHAPTER].number})"] = ((TUNING,),
                                                                                           tuning.BUDGET_HOURS)
    return out


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


def occupied_seconds(intervals: list[Interval]) -> float:
    """Length of the union of ``intervals`` (overlapping runs counted once)."""
    total, reached = 0.0, None  # reached: the latest end so far
    for iv in sorted(intervals, key=lambda iv: iv.start):
        start = iv.start if reached is None else max(iv.start, reached)
        if iv.end > start:  # the part not yet counted
            total += (iv.end - start).total_seconds()
            reached = iv.end
    return total


def intervals(info: dict) -> list[Interval]:
    """A run's computing intervals: its last sitting, and the earlier ones it resumed."""
    sittings = [(info["started_at"], info["finished_at"])]
    sittings += [(s["started_at"], s["saved_until"]) for s in info.get("earlier_sittings", [])]
    return [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in sittings]


def compute_seconds(info: dict) -> float:
    """A run's own wall time over all its sittings."""
    return float(info["wall_time_s"]) + sum(float(s["seconds"]) for s in info.get("earlier_sittings", []))


def table(profile: str = "cpu") -> pd.DataFrame:
    """Per group: runs stored of the run list's, their summed and occupied wall time, the
    budget and whether the occupied time is within it."""
    from . import jobs
    from .store import Run

    rows = []
    for group, (chapters, hours) in groups().items():
        todo = jobs.tuning_jobs(profile) if chapters == (TUNING,) else jobs.jobs_for(chapters, profile)
        folders = {jobs.folder_of(j) for j in todo} - {None}
        runs = [Run.load(f) for f in sorted(folders) if (f / "summary.json").exists()]
        occupied = occupied_seconds([iv for r in runs for iv in intervals(r.info)]) / 3600
        rows.append({"searches": group, "runs stored": f"{len(runs)} of {len(folders)}",
                     "compute (sum of run wall times), h": round(sum(compute_seconds(r.info) for r in runs) / 3600, 2),
                     "wall time occupied, h": round(occupied, 2), "budget, h": hours,
                     "within budget": ("no" if occupied > hours else
                                       "yes" if len(runs) == len(folders) else "so far (runs missing)")})
    return pd.DataFrame(rows).set_index("searches")


def markdown(profile: str = "cpu") -> str:
    """The budget, said and tabled, for the Reproducing page."""
    frame = table(profile)
    said = "; ".join(f"{hours:g} hours for the {group}" for group, (_, hours) in groups().items())
    intro = (f"The `{profile}` profile's searches have a compute budget on a 2-core machine: {said}, a run "
             "shared by chapters counted once (`advnas/budget.py`). The stored runs against it (wall time "
             "occupied: the union of the runs' computing intervals, so runs computed side by side count once; "
             "it includes any slowdown from other work on the machine; a run resumed after an interruption "
             "counts each sitting up to the last checkpoint it saved, where its provenance records them):")
    header = "| " + " | ".join([frame.index.name, *frame.columns]) + " |"
    lines = [intro, "", header, "|" + "---|" * (len(frame.columns) + 1)]
    lines += ["| " + " | ".join([str(i), *map(str, row)]) + " |" for i, row in zip(frame.index, frame.values)]
    return "\n".join(lines) + "\n"


#: the most trials the `cpu` profile plans for a search chapter's comparisons
TARGET_TRIALS = 10


@dataclass(frozen=True)
class ChapterCost:
    """What one chapter's trials cost at a profile: its trials, the wall time of one seed more
    (``workers`` at a time) and what is left of its group's budget."""
    chapter: str
    trials: int
    hours_per_seed: float
    hours_left: float
    workers: int = 2  # searches run side by side, as hours_per_seed was priced

    def hours_to(self, target: int) -> float:
        return self.hours_per_seed * max(target - self.trials, 0)

    def sentence(self, target: int = TARGET_TRIALS) -> str:
        """Why the chapter does not run more trials, for an inconclusive row."""
        if self.trials >= target:
            return (f"More trials: this chapter already runs {self.trials}, the most the profile plans "
                    f"(`advnas/budget.py`, TARGET_TRIALS = {target}).")
        need = self.hours_to(target)
        fits = "within" if need <= self.hours_left else "beyond"
        return (f"More trials: {target} would take {need:.2f} h more with {self.workers} workers, {fits} the {self.hours_left:.2f} h "
                f"left of its group's budget (`advnas/budget.py`).")


def chapter_costs(profile: str = "cpu", workers: int = 2) -> dict[str, ChapterCost]:
    """Per search chapter: one seed more is one search per strategy of the chapter (a strategy
    whose runs another chapter shares, such as AdvantageNAS in chapter 6, counted in both),
    priced at the median compute time of that strategy's stored runs, run ``workers`` at a
    time; with the time left in its group's budget."""
    from . import jobs
    from .runlist import notebook
    from .store import Run

    budgets = groups()
    left = {group: hours - row["wall time occupied, h"]
            for (group, (_, hours)), (_, row) in zip(budgets.items(), table(profile).iterrows())}
    out = {}
    for group, (chapters, _) in budgets.items():
        for chapter in chapters:
            if chapter == TUNING:
                continue
            cfg = notebook(chapter).resolve(profile)
            seconds = []
            for strategy in cfg.strategies:
                done = [Run.load(f) for seed in cfg.seeds
                        if (f := jobs.folder_of(jobs.Job(chapter, profile, strategy, seed))) is not None
                        and (f / "summary.json").exists()]
                if done:
                    seconds.append(float(pd.Series([compute_seconds(r.info) for r in done]).median()))
            out[chapter] = ChapterCost(chapter, len(cfg.seeds), sum(seconds) / workers / 3600, left[group], workers)
    return out


def more_trials(profile: str = "cpu", target_trials: int = TARGET_TRIALS, workers: int = 2) -> pd.DataFrame:
    """What more trials would cost, per search chapter (``chapter_costs``): one seed more, raising
    the chapter's trials to ``target_trials``, and the time left in its group's budget."""
    from .runlist import notebook

    rows = [{"chapter": notebook(c.chapter).title.split(" (")[0], "trials now": c.trials,
             "one seed more, h": round(c.hours_per_seed, 2),
             f"to {target_trials} trials, h": round(c.hours_to(target_trials), 2),
             "left in the group's budget, h": round(c.hours_left, 2)}
            for c in chapter_costs(profile, workers).values()]
    return pd.DataFrame(rows).set_index("chapter")
