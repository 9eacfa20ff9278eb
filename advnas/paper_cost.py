"""The projected wall time of the `paper` profile: every stored run of the run list
(advnas/jobs.py) priced from the measured cost of one step of its setup
(benchmarks/paper_epoch.py), and how the runs divide over N workers.

A CIFAR-10 search costs warmup_epochs x B warm-up weight steps and (epochs - warmup_epochs)
x B search iterations, B = train_size // batch minibatches per epoch. A PTB trial costs
search_epochs x K/2 search iterations (the chunks alternate weight and theta steps) and
retrain_epochs x K retraining steps, K = training tokens per epoch // (batch x bptt); its
final evaluation is not counted. The theory and toy chapters take minutes and are left out.
Over N workers the runs are placed longest first on the least-loaded worker; the projection
is the largest load (the time until the last run finishes).
"""

from __future__ import annotations

import heapq
from typing import Any

import pandas as pd

from . import jobs
from .runlist import notebook

PTB_TRAIN_TOKENS = 929_589  # Penn Treebank's training split (Mikolov's preprocessing)
WORKERS = (1, 2, 4, 8)
# the run list's search chapters, the CIFAR-10 ones first (the order the setups are priced and listed in)
CHAPTERS = tuple(sorted(jobs.SEARCH_CHAPTERS, key=lambda chapter: notebook(chapter).experiment != "nb201"))


def setup_key(job: jobs.Job) -> str:
    """The measured setup a run is priced by: its space, strategy and options (CIFAR-10), or
    its strategy (PTB). Seeds cost the same."""
    cfg = job.config()
    if notebook(job.chapter).experiment == "ptb":
        return f"ptb/{job.strategy}"
    options = cfg.options_for(job.strategy)
    return f"nb201/{cfg.ops}/{job.strategy}" + (f"/{sorted(options.items())}" if options else "")


def paper_jobs() -> list[jobs.Job]:
    return [j for j in jobs.jobs_for(CHAPTERS, "paper") if j.strategy is not None]


def setups() -> dict[str, tuple[str, Any, str]]:
    """Every distinct setup of the `paper` run list: key -> (experiment, config, strategy)."""
    found = {}
    for job in paper_jobs():
        found.setdefault(setup_key(job), (notebook(job.chapter).experiment, job.config(), job.strategy))
    return found


def shrunk(cfg, experiment: str, shrink: dict[str, int]):
    """``cfg`` at a tiny size (the benchmark's smoke profile); unchanged when ``shrink`` is empty."""
    if not shrink:
        return cfg
    if experiment == "nb201":
        return cfg.replace(channels=shrink["channels"], cells_per_stage=shrink["cells_per_stage"],
                           batch=shrink["batch"])
    return cfg.replace(hidden=shrink["hidden"], batch=shrink["ptb_batch"])


def run_seconds(job: jobs.Job, timing: dict[str, float]) -> float:
    cfg = job.config()
    if notebook(job.chapter).experiment == "nb201":
        b = cfg.batches_per_epoch
        return (cfg.warmup_epochs * b * timing["warmup_step_s"]
                + (cfg.epochs - cfg.warmup_epochs) * b * timing["search_iteration_s"])
    per_chunk = cfg.batch * cfg.bptt
    search_chunks = (cfg.epoch_tokens or PTB_TRAIN_TOKENS) // per_chunk
    retrain_chunks = (cfg.retrain_epoch_tokens or PTB_TRAIN_TOKENS) // per_chunk
    return (cfg.search_epochs * search_chunks / 2 * timing["search_iteration_s"]
            + cfg.retrain_epochs * retrain_chunks * timing["retrain_step_s"])


def makespan(seconds: list[float], workers: int) -> float:
    """Longest-first onto the least-loaded of ``workers``: the time until the last run ends."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + s)
    return max(loads)


def projection(timings: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Hours per chapter (each run counted in the first chapter that shows it) on 1 worker and
    spread over N workers, and the whole run list."""
    by_chapter: dict[str, list[float]] = {c: [] for c in CHAPTERS}
    for job in paper_jobs():
        by_chapter[job.chapter].append(run_seconds(job, timings[setup_key(job)]))
    rows = []
    for label, seconds in [*((notebook(c).title.split(" (")[0], s) for c, s in by_chapter.items()),
                           ("whole run list", [x for s in by_chapter.values() for x in s])]:
        rows.append({"chapter": label, "runs": len(seconds),
                     **{f"{n} worker{'s' if n > 1 else ''} (h)": makespan(seconds, n) / 3600 for n in WORKERS}})
    return pd.DataFrame(rows).set_index("chapter").round(1)


def stored_measurement(cpu_profile: str = "cpu"):
    """The measurement to project from: on a GPU when one is stored, else the CPU's
    (``cpu_profile``: the benchmark profile measured on the CPU)."""
    from .store import ResultsStore

    store = ResultsStore()
    gpu = store.latest("benchmarks", "paper-epoch", "paper")
    if gpu is not None and gpu.summary["device"].startswith("cuda"):
        return gpu
    runs = [r for r in store.finished_runs("benchmarks")
            if r.info["name"] == "paper-epoch" and r.info["profile"] == cpu_profile]
    return max(runs, key=lambda r: r.info["finished_at"]) if runs else None


def markdown(cpu_profile: str = "cpu") -> str:
    """The Reproducing page's section: where the step costs come from, and the projection."""
    run = stored_measurement(cpu_profile)
    if run is None:
        return ("No measurement of the `paper` profile's step costs is stored: "
                "`python benchmarks/paper_epoch.py --profile cpu` (or `--profile paper` on a GPU) makes one.\n")
    on_gpu = run.summary["device"].startswith("cuda")
    missing = [k for k in setups() if k not in run.summary["setups"]]
    if missing:
        return (f"The stored step costs do not cover {len(missing)} setups of today's run list "
                f"(e.g. `{missing[0]}`): recompute them with `python benchmarks/paper_epoch.py`.\n")
    table = projection(run.summary["setups"])
    source = (f"measured on {run.info['device']}" if on_gpu else
              f"measured on the CPU ({run.info['device']}), because no GPU measurement is stored: the "
              "`paper` profile has not yet been run on a GPU, and these hours are what it would take on "
              "this CPU")
    return (f"Step costs {source}, {run.summary['steps']} timed step(s) per setup after one untimed "
            f"step, at commit `{run.info['git_commit']}`. Projected wall time of the `paper` profile's "
            "CIFAR-10 searches and PTB trials (evaluation excluded):\n\n"
            + table.to_markdown() + "\n")
