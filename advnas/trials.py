"""An experiment stored one run per (strategy, seed) through the results store (``advnas/store.py``).

Each experiment supplies only what is its own: the run's name, its stored configuration and its
computation. A run is checkpointed by its computation, so an interrupted one resumes, and a
finished one is read back instead of recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .device import default_device
from .store import ResultsStore, Run, RunContext


def seeds_outermost(cfg) -> list[tuple[str, int]]:
    """Every (strategy, seed) of ``cfg``, seeds outermost (a cut-short build has every strategy at
    the first seeds)."""
    return [(strategy, seed) for seed in cfg.seeds for strategy in cfg.strategies]


@dataclass(frozen=True)
class Trials:
    experiment: str  # its folder in the store, and the golden run whose digest each run records
    name: Callable[[str, int], str]  # (strategy, seed) -> the run's name
    config: Callable[..., dict[str, Any]]  # (cfg, strategy, seed, **options) -> the stored configuration
    # (cfg, strategy, seed, progress, **options) -> the computation, (metrics, summary) from a RunContext
    compute: Callable[..., Callable[[RunContext], tuple[Any, dict[str, Any]]]]
    pairs: Callable[[Any], list[tuple[str, int]]] = seeds_outermost  # cfg -> run_all's (strategy, seed)

    def _arguments(self, cfg, strategy: str, seed: int, profile: str, progress: bool, recompute: bool,
                   options: dict[str, Any]) -> tuple:
        return (self.experiment, profile, self.name(strategy, seed), self.config(cfg, strategy, seed, **options),
                self.compute(cfg, strategy, seed, progress, **options), self.experiment, default_device(), recompute)

    def run(self, cfg, strategy: str, seed: int, profile: str, store: ResultsStore | None = None,
            progress: bool = True, recompute: bool = False, **options) -> Run:
        """One run through the store (``recompute``: afresh even when stored)."""
        return (store or ResultsStore()).run(*self._arguments(cfg, strategy, seed, profile, progress, recompute,
                                                              options))

    def run_at(self, cfg, strategy: str, seed: int, profile: str, folder: Path, progress: bool = True,
               recompute: bool = False, wait: bool = False, **options) -> Run:
        """One run into an explicit folder (the command line's ``--out``); ``wait=False``: one line
        naming the holder's pid when another process computes into that folder."""
        return ResultsStore().run_at(Path(folder), *self._arguments(cfg, strategy, seed, profile, progress,
                                                                    recompute, options), wait)

    def run_all(self, cfg, profile: str, store: ResultsStore | None = None, progress: bool = True,
                recompute: bool = False) -> list[Run]:
        """Every (strategy, seed) of ``cfg``, in the order of ``pairs``."""
        return [self.run(cfg, strategy, seed, profile, store, progress, recompute)
                for strategy, seed in self.pairs(cfg)]

    def job_runs(self, cfg, strategy: str, seed: int, profile: str, progress: bool = False,
                 recompute: bool = False) -> list[Run]:
        """A job of the run list (``advnas.jobs``): one run."""
        return [self.run(cfg, strategy, seed, profile, progress=progress, recompute=recompute)]
