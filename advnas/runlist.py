"""The run list: every notebook of the book, with its parameters for each profile.

A profile's parameters override the defaults of the notebook's config dataclass, whose
defaults are the paper's settings (so ``paper`` is usually empty):
  smoke  seconds; executed end to end by the test command (CI); the CIFAR-10 and PTB
         chapters read the data samples shipped with advnas (``data: sample``);
  cpu    the default for building the book on a 2-core machine;
  paper  the paper's exact settings, for a GPU.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import strategies
from .config import Config, ConfigError, check_profile
from .gradients import experiment as gradients_experiment
from .gradients import report as gradients_report
from .gradients.config import GradientStudyConfig
from .nb201 import experiment as nb201_experiment
from .nb201 import stored_verdicts as nb201_verdicts
from .paths import checkout_file
from .nb201.search_config import NB201SearchConfig
from .ptb import experiment as ptb_experiment
from .ptb import report as ptb_report
from .search.config import merge_options
from .store import Run
from .theory import experiment as theory_experiment
from .theory import report as theory_report
from .theory.config import TheoryConfig
from .toy import experiment as toy_experiment
from .toy import report as toy_report
from .toy.config import ToyConfig
from .ptb.config import PTBConfig
from .verdict import Verdict


@dataclass(frozen=True)
class Budget:
    """A compute budget shared by the chapters that name it: wall time on a 2-core machine for
    all their stored `cpu` searches together, a run shared by chapters counted once
    (``advnas/budget.py`` tables the stored runs against it)."""

    name: str
    hours: float


@dataclass(frozen=True)
class Notebook:
    name: str
    path: str  # relative to the project root
    title: str
    config: type[Config]
    experiment: str  # its folder in the results store
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # One job of the run list (``advnas.jobs``): (config, strategy, seed, profile, progress,
    # recompute) -> the stored runs it computes or reads back; None for a page that only reads.
    runs: Callable[..., list[Run]] | None = None
    # (strategy, seed) -> the stored run's name, for the chapters stored one run per (strategy, seed)
    run_name: Callable[[str, int], str] | None = None
    # (config, profile) -> the verdicts of the claims it tests, from its stored runs (the scorecard's rows)
    verdicts: Callable[[Config, str], list[Verdict]] | None = None
    budget: Budget | None = None  # the compute budget its stored searches count against

    @property
    def source(self) -> Path:
        """The notebook file (in a checkout; an installed package holds no notebooks)."""
        return checkout_file(self.path, f"notebook {self.name}")

    @property
    def page(self) -> str:
        """The book page: the notebook's file name without its suffix ("03_nb201")."""
        return Path(self.path).stem

    @property
    def searches(self) -> bool:
        """Whether its stored runs are one per (strategy, seed): the CIFAR-10 and PTB searches."""
        return self.run_name is not None

    @property
    def computes(self) -> bool:
        """Whether the notebook computes stored runs of its own (and takes ``recompute``); the
        scorecard only reads the chapters'."""
        return self.runs is not None

    @property
    def number(self) -> int:
        """Its chapter number in the book (the page's leading digits)."""
        return int(self.page.split("_")[0])

    def resolve(self, profile: str, overrides: dict[str, Any] | None = None) -> Config:
        """The config for ``profile`` with the user's ``overrides`` applied on top (strategy
        options merged option by option, so overriding one keeps the profile's others)."""
        base, overrides = self.profiles[check_profile(profile)], dict(overrides or {})
        values = {**base, **overrides}
        if isinstance(overrides.get("strategy_options"), dict) and "strategy_options" in base:
            values["strategy_options"] = merge_options(base["strategy_options"], overrides["strategy_options"])
        return self.config.from_dict(values)


@dataclass(frozen=True)
class ScorecardConfig(Config):
    """The scorecard has no settings of its own: it reads the chapters' stored runs at the
    notebook's profile."""


# The CIFAR-10 search profiles, shared by chapters 3, 5 and 6 (a run with the same settings,
# strategy and seed is stored once and reused by every chapter that shows it).
# Table 2's, 3's and 4's rows at the smoke and cpu profiles: the paper's sparse strategies and
# the random-search baseline (the paper profile runs the paper's rows only; add the baseline
# with -p strategies).
_WITH_BASELINE = strategies.names("sparse", paper_only=False)
# The smoke profile reads the data samples shipped with advnas (data "sample"): it never needs
# a mirror or a download. The cpu and paper profiles read the full data.
_NB201_SMOKE = {"seeds": [0], "channels": 4, "cells_per_stage": 1, "train_size": 128, "val_size": 128,
                "epochs": 3, "warmup_epochs": 1, "strategies": _WITH_BASELINE, "data": "sample"}
# Sized to a 2-core CPU (benchmarks/convergence.py, shown in chapter 3, with each strategy's
# convergence beside the targets): theta's learning rate raised for the far fewer theta steps, and its
# weight decay scaled by the cells that share the architecture (3 here, 15 in the paper),
# whose gradients theta's gradient sums. 10 trials for Table 2 (its rows' intervals were wider than
# the paper's effects at 5; advnas/budget.py prices more), 3 in the other chapters.
_NB201_CPU = {"seeds": [0, 1, 2, 3, 4], "channels": 8, "cells_per_stage": 1, "train_size": 5000,
              "val_size": 5000, "epochs": 16, "warmup_epochs": 8, "theta_lr": 0.1, "theta_weight_decay": 6e-4,
              "strategies": _WITH_BASELINE,
              # theta's rate per strategy, chosen by one rule on tuning seeds apart from the reported
              # ones (advnas/nb201/tuning.py; chapter 3's tuning table); ProxylessNAS and NASP keep 0.1.
              # tests/test_tuning.py checks that these are the rule's choices from the stored searches.
              "theta_lr_by_strategy": {"parsec": 1.0, "gdas": 1.0, "reinforce": 0.3, "advantage": 0.3,
                                       "darts": 1.0, "snas": 0.3}}
_THREE_TRIALS = [0, 1, 2]
CIFAR_BUDGET = Budget("CIFAR-10 searches", 6.0)
PTB_BUDGET = Budget("PTB searches", 1.5)
_DENSE_COMPARISON = (*strategies.DENSE, strategies.PROPOSED)  # App. G, Fig. 3
# Chapters 3, 5 and 6 show the same CIFAR-10 searches: one config, store folder, job, run name and budget.
_cifar_chapter = functools.partial(Notebook, config=NB201SearchConfig, experiment="nb201",
                                   runs=nb201_experiment.SEARCHES.job_runs, run_name=nb201_experiment.SEARCHES.name,
                                   budget=CIFAR_BUDGET)

RUNLIST: dict[str, Notebook] = {nb.name: nb for nb in [
    Notebook(
        name="theory",
        path="notebooks/01_theory.ipynb",
        title="Variance of the policy gradient (Sec. 4.4, Theorems 4.1 and 4.2)",
        config=TheoryConfig,
        experiment="theory",
        runs=theory_experiment.job_runs,
        verdicts=theory_report.stored_verdicts,
        profiles={
            "smoke": {"edge_counts": [1, 2, 5, 10], "n_instances": 3, "mc_edge_counts": [10],
                      "mc_samples": 2000},
            "cpu": {"n_instances": 20, "mc_samples": 200_000},
            "paper": {},
        },
    ),
    Notebook(
        name="toy",
        path="notebooks/02_toy.ipynb",
        title="The toy regression task (Sec. 5.1, Fig. 1) and the eight strategies (Table 1)",
        config=ToyConfig,
        experiment="toy",
        runs=toy_experiment.job_runs,
        verdicts=toy_report.stored_verdicts,
        profiles={
            "smoke": {"iterations": 40, "seeds": [0, 1], "study_samples": 50, "study_pool": 200,
                      "study_points": [0, 20]},
            # 30 trials where the paper runs 10: at 10 the comparisons of Sec. 5.1 were inconclusive,
            # and a trial costs seconds
            "cpu": {"study_samples": 2000, "seeds": list(range(30))},
            "paper": {},
        },
    ),
    _cifar_chapter(
        name="nb201",
        path="notebooks/03_nb201.ipynb",
        title="The CIFAR-10 cell search evaluated on NAS-Bench-201 (Sec. 5.2, Table 2, Figs. 2, 4, 5)",
        verdicts=nb201_verdicts.cifar,
        profiles={
            "smoke": _NB201_SMOKE,
            "cpu": {**_NB201_CPU, "seeds": list(range(10))},
            "paper": {},
        },
    ),
    Notebook(
        name="ptb",
        path="notebooks/04_ptb.ipynb",
        title="The recurrent cell search on Penn Treebank (Sec. 5.3, Table 3, Fig. 6)",
        config=PTBConfig,
        experiment="ptb",
        runs=ptb_experiment.TRIALS.job_runs,
        run_name=ptb_experiment.TRIALS.name,
        verdicts=ptb_report.stored_verdicts,
        budget=PTB_BUDGET,
        profiles={
            "smoke": {"hidden": 8, "batch": 16, "search_epochs": 2, "epoch_tokens": 1600,
                      "retrain_epochs": 1, "retrain_epoch_tokens": 1600, "eval_batch": 16,
                      "eval_tokens": 2000, "curve_tokens": 1000, "seeds": [0],
                      "strategies": _WITH_BASELINE, "strategy_options": {"parsec": {"samples": 2}},
                      "data": "sample"},
            # Far below the paper (see the chapter): sized to a 2-core CPU. With a tenth of
            # the paper's theta steps, theta's lr is chosen so that mu(theta) concentrates
            # (benchmarks/convergence.py, shown in chapter 4). 5 trials, as the paper.
            "cpu": {"hidden": 32, "batch": 32, "search_epochs": 4, "epoch_tokens": 75_000,
                    "theta_lr": 0.1, "retrain_epochs": 3, "retrain_epoch_tokens": 100_000,
                    "eval_batch": 32, "curve_tokens": 20_000, "seeds": [0, 1, 2, 3, 4],
                    "strategies": _WITH_BASELINE},
            "paper": {},
        },
    ),
    _cifar_chapter(
        name="zero_op",
        path="notebooks/05_zero_op.ipynb",
        title="The zero-operation ablation (App. B, App. F, Table 4)",
        verdicts=nb201_verdicts.zero_op,
        profiles={
            "smoke": {**_NB201_SMOKE, "ops": "with-none"},
            "cpu": {**_NB201_CPU, "ops": "with-none", "seeds": _THREE_TRIALS},
            "paper": {"ops": "with-none"},
        },
    ),
    _cifar_chapter(
        name="dense",
        path="notebooks/06_dense.ipynb",
        title="Dense propagation against AdvantageNAS (App. G, Fig. 3), with measured time and memory",
        verdicts=nb201_verdicts.dense,
        profiles={
            "smoke": {**_NB201_SMOKE, "strategies": list(_DENSE_COMPARISON)},
            "cpu": {**_NB201_CPU, "strategies": list(_DENSE_COMPARISON), "seeds": _THREE_TRIALS},
            "paper": {"strategies": list(_DENSE_COMPARISON)},
        },
    ),
    Notebook(
        name="gradients",
        path="notebooks/07_gradients.ipynb",
        title="The architecture gradient measured in the CIFAR-10 space: bias and variance of every strategy",
        config=GradientStudyConfig,
        experiment="gradients",
        runs=gradients_experiment.STUDIES.job_runs,
        verdicts=gradients_report.stored_verdicts,
        profiles={
            # A 2-channel network and minibatches of 4: the 4,096 cells in seconds.
            "smoke": {**{k: v for k, v in _NB201_SMOKE.items() if k != "strategies"}, "channels": 2, "batch": 4,
                      "train_size": 32, "val_size": 32, "points": ["warmup_end", "end"], "draws": 8,
                      "chunk": 256},
            # Chapter 3's search settings at the rate all strategies shared before the per-strategy
            # table (AdvantageNAS at theta_lr 0.1, where chapter 3 now searches it at 0.3): its
            # stored study stays valid; notebook 07 says so.
            "cpu": {**{k: v for k, v in _NB201_CPU.items() if k not in ("strategies", "theta_lr_by_strategy")},
                    "draws": 200},
            "paper": {},
        },
    ),
    # Last in the run list (it reads every chapter's stored runs), first in the book.
    Notebook(
        name="scorecard",
        path="notebooks/00_scorecard.ipynb",
        title="Scorecard: the paper's claims, tested",
        config=ScorecardConfig,
        experiment="scorecard",
        profiles={"smoke": {}, "cpu": {}, "paper": {}},
    ),
]}


def notebook(name: str) -> Notebook:
    if name not in RUNLIST:
        raise ConfigError(f"notebook must be one of {', '.join(RUNLIST)}; got {name!r}")
    return RUNLIST[name]
