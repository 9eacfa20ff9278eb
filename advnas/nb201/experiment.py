"""The CIFAR-10 search experiment through the results store: one run per (strategy, seed).

Each run is its own store folder (``results/nb201/<profile>/<strategy>-seed<S>-<hash>/``),
checkpointed after every epoch; an interrupted run resumes from its last epoch, and a
finished one is read back instead of recomputed.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from ..cifar.data import CIFAR10, load_cifar10
from ..device import default_device
from ..store import ResultsStore, Run, RunContext
from .search import Search, split
from .search_config import NB201SearchConfig

EXPERIMENT = "nb201"
CODE_MODULES = ["advnas.distribution", "advnas.strategies", "advnas.search", "advnas.cifar.augment",
                "advnas.nb201.ops", "advnas.nb201.lean", "advnas.nb201.network", "advnas.nb201.supernet",
                "advnas.nb201.search", "advnas.nb201.search_config"]


@functools.lru_cache(maxsize=1)
def _cifar() -> CIFAR10:
    return load_cifar10()


def run_config(cfg: NB201SearchConfig, strategy: str, seed: int) -> dict:
    """The stored configuration of one run: every setting, with one strategy and one seed."""
    return {**cfg.to_dict(), "strategies": [strategy], "seeds": [seed]}


def _compute(cfg: NB201SearchConfig, strategy: str, seed: int, progress: bool):
    def compute(ctx: RunContext):
        search = Search(cfg, strategy, seed, split(_cifar(), cfg, ctx.device), ctx.device)
        state = ctx.load_checkpoint()
        if state is not None:
            search.load_state_dict(state)
        search.run(progress, after_epoch=lambda s: ctx.save_checkpoint(s.state_dict()))
        return pd.DataFrame(search.rows), search.summary()
    return compute


def run_one(cfg: NB201SearchConfig, strategy: str, seed: int, profile: str,
            store: ResultsStore | None = None, progress: bool = True) -> Run:
    store = store or ResultsStore()
    return store.run(EXPERIMENT, profile, f"{strategy}-seed{seed}", run_config(cfg, strategy, seed),
                     _compute(cfg, strategy, seed, progress), CODE_MODULES, default_device())


def run_at(cfg: NB201SearchConfig, strategy: str, seed: int, profile: str, folder: Path,
           progress: bool = True) -> Run:
    """One search into an explicit folder (the command line's ``--out``)."""
    return ResultsStore().run_at(Path(folder), EXPERIMENT, profile, f"{strategy}-seed{seed}",
                                 run_config(cfg, strategy, seed), _compute(cfg, strategy, seed, progress),
                                 CODE_MODULES, default_device())


def run_all(cfg: NB201SearchConfig, profile: str, store: ResultsStore | None = None,
            progress: bool = True) -> list[Run]:
    """Every (strategy, seed) of ``cfg``, seeds outermost so that a cut-short build has
    every strategy at the first seeds."""
    return [run_one(cfg, strategy, seed, profile, store, progress)
            for seed in cfg.seeds for strategy in cfg.strategies]


def collect(runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summaries, one row per run; per-epoch metrics of every run, with strategy and seed)."""
    summaries = pd.DataFrame([{k: v for k, v in r.summary.items() if k != "theta"} for r in runs])
    metrics = pd.concat([r.metrics.assign(strategy=r.summary["strategy"], seed=r.summary["seed"])
                         for r in runs], ignore_index=True)
    return summaries, metrics
