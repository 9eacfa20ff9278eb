"""The run list's independent runs as jobs: executed here, one after another, or fanned out
over a Dask distributed cluster.

A job is one stored run of a chapter: a CIFAR-10 search or PTB trial for one (strategy, seed),
or the single stored computation of the theory and toy chapters. Each job goes through the
results store, so a finished run is read back, an interrupted one resumes from its checkpoint,
and two workers asked for one run compute it once (the store's folder lock; the second waits
and reads the first's result). Jobs of different chapters that share a configuration (the
zero-op chapter reuses chapter 3's four-operation runs, the dense chapter AdvantageNAS's) are
one job. The notebooks then only read finished results.

    python -m advnas run nb201 ptb --profile paper --workers 4           # a LocalCluster
    python -m advnas run --profile paper --scheduler tcp://HOST:8786      # an existing cluster

On a cluster every job runs in a worker process. On CUDA each job requests the worker
resource ``GPU`` (``resources={"GPU": 1}``): a LocalCluster gives each worker one GPU, and
workers of an external cluster must be started with ``--resources GPU=1`` per GPU.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import torch

from .config import ConfigError, check_profile
from .nb201.experiment import zero_op_control
from .runlist import RUNLIST, notebook

SCHEDULER_ENV = "ADVNAS_SCHEDULER"
SEARCH_CHAPTERS = tuple(name for name, entry in RUNLIST.items() if entry.searches)  # from the run list


@dataclass(frozen=True)
class Job:
    """One stored run of the run list."""

    chapter: str  # a run-list name
    profile: str
    strategy: str | None = None  # None: the chapter's single computation (theory, toy)
    seed: int | None = None
    variant: str = ""  # "zero-op-control": AdvantageNAS without Eq. 9 (App. F)
    overrides: tuple[tuple[str, Any], ...] = field(default=())
    recompute: bool = False  # compute afresh even when a finished run is stored

    @property
    def label(self) -> str:
        parts = [self.chapter, self.variant, self.strategy, None if self.seed is None else f"seed {self.seed}"]
        return " ".join(str(p) for p in parts if p)

    def config(self):
        cfg = notebook(self.chapter).resolve(self.profile, dict(self.overrides))
        return zero_op_control(cfg) if self.variant == "zero-op-control" else cfg

    def identity(self) -> tuple:
        """What makes two jobs the same run: experiment, profile and run configuration."""
        if self.strategy is None:
            return (self.chapter, self.profile, self.overrides)
        config = self.config().run_config(self.strategy, self.seed)
        return (notebook(self.chapter).experiment, self.profile, repr(sorted(config.items())))

    def __call__(self, progress: bool = False) -> dict[str, Any]:
        """Compute (or read back) the run; a record of what happened."""
        started = time.perf_counter()
        runs = notebook(self.chapter).runs(self.config(), self.strategy, self.seed, self.profile, progress,
                                           self.recompute)
        return {"job": self.label, "folders": [str(r.folder) for r in runs],
                "computed_by": [r.info.get("computed_by") for r in runs],
                "summaries": [r.summary for r in runs], "seconds": time.perf_counter() - started}


def jobs_for(chapters: Iterable[str], profile: str, overrides: dict[str, Any] | None = None,
             recompute: bool = False) -> list[Job]:
    """Every stored run of ``chapters`` at ``profile``, each once, seeds outermost (a cut-short
    run list has every strategy at the first seeds)."""
    check_profile(profile)
    frozen = tuple(sorted((overrides or {}).items(), key=lambda kv: kv[0]))
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in frozen)
    found: dict[tuple, Job] = {}
    for chapter in chapters:
        entry = notebook(chapter)
        if not entry.computes:
            continue  # a page that only reads other chapters' runs (the scorecard)
        if chapter == "gradients":  # one study per seed of its source search
            cfg = entry.resolve(profile, dict(frozen))
            candidates = [Job(chapter, profile, cfg.source, seed, overrides=frozen) for seed in cfg.seeds]
        elif chapter not in SEARCH_CHAPTERS:
            candidates = [Job(chapter, profile, overrides=frozen)]
        else:
            cfg = entry.resolve(profile, dict(frozen))
            candidates = [Job(chapter, profile, s, seed, overrides=frozen)
                          for seed in cfg.seeds for s in cfg.strategies]
            if chapter == "zero_op":
                candidates += [Job(chapter, profile, s, seed, "zero-op-control", frozen)
                               for seed in cfg.seeds for s in zero_op_control(cfg).strategies]
                # the chapter's four-operation comparison: chapter 3's runs when not overridden
                four = tuple(sorted({**dict(frozen), "ops": "nb201"}.items()))
                candidates += [Job(chapter, profile, s, seed, overrides=four)
                               for seed in cfg.seeds for s in cfg.strategies]
        for job in candidates:
            found.setdefault(job.identity(), job)
    ordered = sorted(found.values(), key=lambda j: -1 if j.seed is None else j.seed)  # stable: chapters in turn
    return [dataclasses.replace(job, recompute=recompute) for job in ordered]


def execute(job: Job, threads: int | None = None) -> dict[str, Any]:
    """Run one job in this process (what a Dask worker calls): ``threads`` torch threads, and on
    CUDA the GPU of this worker (LocalCluster workers are named 0, 1, ...)."""
    if threads:
        torch.set_num_threads(threads)
    if torch.cuda.is_available():
        try:
            from distributed import get_worker
            name = get_worker().name
            if isinstance(name, int) or str(name).isdigit():
                torch.cuda.set_device(int(name) % torch.cuda.device_count())
        except (ImportError, ValueError):
            pass  # not in a worker: the current device
    return job()


def run_here(jobs: list[Job], threads: int | None = None, log=sys.stderr) -> list[dict[str, Any]]:
    """The jobs one after another in this process (no cluster)."""
    before = torch.get_num_threads()
    try:
        results = []
        for i, job in enumerate(jobs, 1):
            results.append(execute(job, threads))
            print(f"[advnas] {i}/{len(jobs)} done: {job.label} ({results[-1]['seconds']:.0f} s)", file=log)
        return results
    finally:
        torch.set_num_threads(before)


def cluster_client(workers: int | None = None, scheduler: str | None = None):
    """A Dask client: of the cluster at ``scheduler``, or of a new LocalCluster of ``workers``
    processes (one per GPU on CUDA, each with the resource GPU=1)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--workers/--scheduler need Dask distributed: pip install 'distributed'") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect ({error}); start the scheduler or "
                              "check the address (tcp://HOST:8786)") from None
    if workers is None or workers < 1:
        raise ConfigError(f"--workers must be a positive integer; got {workers}")
    gpu = torch.cuda.is_available()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           resources={"GPU": 1} if gpu else None, dashboard_address=":0")
    return Client(cluster)


def run_on_cluster(jobs: list[Job], workers: int | None = None, scheduler: str | None = None,
                   log=sys.stderr, client=None) -> list[dict[str, Any]]:
    """The jobs on a Dask cluster, a line per finished job; failed jobs are listed at the end
    (one line each) after every other job has finished."""
    from distributed import as_completed

    own = client is None
    client = client or cluster_client(workers, scheduler)
    try:
        n = workers or max(len(client.scheduler_info().get("workers", {})), 1)
        threads = None if scheduler else max(1, (os.cpu_count() or 1) // max(n, 1))
        gpu = torch.cuda.is_available() or os.environ.get("ADVNAS_DASK_GPU") == "1"
        futures = {client.submit(execute, job, threads, key=f"advnas-{i}-{job.label.replace(' ', '-')}",
                                 pure=False, resources={"GPU": 1} if gpu else None): (i, job)
                   for i, job in enumerate(jobs)}
        results, failed = {}, []
        for done, future in enumerate(as_completed(futures), 1):
            i, job = futures[future]  # by position: a job's overrides may hold a dict
            try:
                results[i] = future.result()
                print(f"[advnas] {done}/{len(jobs)} done: {job.label} ({results[i]['seconds']:.0f} s)", file=log)
            except Exception as error:  # noqa: BLE001 — reported below, the others go on
                failed.append(f"{job.label}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
                print(f"[advnas] {done}/{len(jobs)} FAILED: {failed[-1]}", file=log)
        if failed:
            raise JobsFailed(f"{len(failed)} of {len(jobs)} runs failed: " + "; ".join(failed))
        return [results[i] for i in range(len(jobs))]
    finally:
        if own:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()


class JobsFailed(RuntimeError):
    """Some jobs of the run list failed; the message names each, one line in all."""


def tuning_jobs(profile: str = "cpu", seeds: Iterable[int] | None = None,
                rates: Iterable[float] | None = None) -> list[Job]:
    """The tuning searches of theta's learning rate (``advnas/nb201/tuning.py``) as jobs of the
    chapter whose profile searches each strategy: every candidate rate on every tuning seed
    (seeds outermost, then rates)."""
    from .nb201 import tuning

    seeds = tuning.TUNING_SEEDS if seeds is None else seeds
    rates = tuning.CANDIDATE_THETA_LRS if rates is None else rates
    # the per-strategy rates the profile chose are cleared, so that every candidate runs at its own
    return [Job(tuning.chapter_of(name), profile, name, seed,
                overrides=(("theta_lr", float(rate)), ("theta_lr_by_strategy", {})))
            for seed in seeds for rate in rates for name in tuning.TUNED]


def folder_of(job: Job) -> Path | None:
    """The store folder of a search job (None for the other chapters' jobs)."""
    from .store import ResultsStore

    entry = notebook(job.chapter)
    if entry.run_name is None:
        return None
    return ResultsStore().folder(entry.experiment, job.profile, entry.run_name(job.strategy, job.seed),
                                 job.config().run_config(job.strategy, job.seed))
