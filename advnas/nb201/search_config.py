"""Settings of the CIFAR-10 cell search (Sec. 5.2, App. D; official code: cifar10/search.py). Defaults: the paper's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import strategies
from ..data.choice import DATA_CHOICES
from ..search.config import StrategyConfig
from .supernet import SEARCH_OPS

# The two search spaces: App. D's four operations, and App. F's with the zero operation
# ("none") as a fifth candidate, at index 4 as in the official code (official code: cifar10/search.py, the zero operation).
OP_SETS = {"nb201": SEARCH_OPS, "with-none": SEARCH_OPS + ("none",)}


@dataclass(frozen=True)
class NB201SearchConfig(StrategyConfig):
    strategies: tuple[str, ...] = tuple(strategies.SPARSE)  # Table 2's rows
    seeds: tuple[int, ...] = (0, 1, 2)  # 3 search trials (Table 2)
    ops: str = "nb201"  # "nb201" (4 operations, Sec. 5.2) or "with-none" (App. F)
    epochs: int = 100  # Sec. 5.2 (the code has 90; decision 1)
    warmup_epochs: int = 50  # theta fixed for the first 50 epochs
    channels: int = 16  # C = 16, 32, 64 in the three stages (App. D)
    cells_per_stage: int = 5  # 15 cells in all
    train_size: int = 25_000  # D: the first 25,000 training images (official code: cifar10/cifar.py and search.py, the data)
    val_size: int = 25_000  # V: the other 25,000
    batch: int = 64
    w_lr: float = 0.1  # Nesterov (Chainer's NesterovAG), cosine over all epochs
    w_momentum: float = 0.9
    w_weight_decay: float = 5e-4  # coupled, before clipping (official code: cifar10/search.py, the optimisers)
    w_clip: float = 1.0
    theta_lr: float = 3e-4  # Adam, cosine over the search epochs
    theta_beta1: float = 0.5
    theta_beta2: float = 0.999
    theta_weight_decay: float = 3e-3
    theta_clip: float = 1.0
    data: str = "full"  # "full": CIFAR-10 (mirror, data/ or download); "sample": the sample shipped with advnas
    # The paper: one rate for all; the cpu profile: each strategy's rate chosen by one rule
    # (advnas/nb201/tuning.py). A run records the rate it searched with as its theta_lr.
    theta_lr_by_strategy: dict = field(default_factory=dict)  # theta's learning rate of the strategies named, instead of theta_lr
    RECORDED_UNLESS_DEFAULT = ("data", "theta_lr_by_strategy")  # see StrategyConfig

    def validate(self) -> None:
        super().validate()
        self.require_seeds()
        self.require(self.data in DATA_CHOICES, "data", " or ".join(DATA_CHOICES), self.data)
        self.require(self.ops in OP_SETS, "ops", " or ".join(OP_SETS), self.ops)
        self.require(self.epochs >= 1, "epochs", "an integer >= 1", self.epochs)
        self.require(0 <= self.warmup_epochs < self.epochs, "warmup_epochs",
                     "an integer in [0, epochs)", self.warmup_epochs)
        self.require(self.channels >= 1, "channels", "an integer >= 1", self.channels)
        self.require(self.cells_per_stage >= 1, "cells_per_stage", "an integer >= 1", self.cells_per_stage)
        self.require(self.batch <= self.train_size <= 25_000, "train_size",
                     "an integer in [batch, 25000]", self.train_size)
        self.require(self.batch <= self.val_size <= 25_000, "val_size", "an integer in [batch, 25000]",
                     self.val_size)
        self.require(self.batch >= 2, "batch", "an integer >= 2 (batch norm)", self.batch)
        for name in ("w_lr", "theta_lr", "w_clip", "theta_clip"):
            self.require(getattr(self, name) > 0, name, "a positive number", getattr(self, name))
        for name, rate in self.theta_lr_by_strategy.items():
            self.require(name in strategies.STRATEGIES, "theta_lr_by_strategy",
                         f"keyed by strategy names from {', '.join(strategies.STRATEGIES)}", name)
            self.require(isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0,
                         f"theta_lr_by_strategy[{name!r}]", "a positive number", rate)

    def theta_lr_of(self, name: str) -> float:
        """The theta learning rate ``name`` searches with."""
        return float(self.theta_lr_by_strategy.get(name, self.theta_lr))

    def for_strategy(self, name: str) -> "NB201SearchConfig":
        """This configuration as one search of ``name`` runs it: its own theta_lr, no table."""
        if not self.theta_lr_by_strategy:
            return self
        return self.replace(theta_lr=self.theta_lr_of(name), theta_lr_by_strategy={})

    def run_config(self, name: str, seed: int | None = None) -> dict[str, Any]:
        """As StrategyConfig's, with the theta_lr ``name`` searches with (so a run at a rate equal
        to the profile's keeps its identity whether or not the table names it)."""
        return super(NB201SearchConfig, self.for_strategy(name)).run_config(name, seed)

    @property
    def op_names(self) -> tuple[str, ...]:
        return OP_SETS[self.ops]

    @property
    def batches_per_epoch(self) -> int:
        return self.train_size // self.batch  # a fresh permutation each epoch, last partial batch dropped

    @property
    def theta_steps(self) -> int:
        return (self.epochs - self.warmup_epochs) * self.batches_per_epoch
