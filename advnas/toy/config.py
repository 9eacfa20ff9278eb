"""Settings of the toy regression task (Sec. 5.1, App. C; official code: toy/toy.py). Defaults: the paper's."""

from __future__ import annotations

from dataclasses import dataclass

from .. import strategies
from ..search.config import StrategyConfig


@dataclass(frozen=True)
class ToyConfig(StrategyConfig):
    n_edges: int = 10  # |I| = 10 intermediate nodes (Sec. 5.1)
    n_ops: int = 10  # |J| = 10 candidate 7x7 filters per edge
    batch: int = 100  # minibatch V of 100 fresh inputs every iteration
    iterations: int = 2000  # niter = 2000 (official code: toy/toy.py, the constants)
    eval_every: int = 10  # test loss of the argmax architecture every 10 iterations (official code: toy/toy.py, the theta optimisation)
    lr: float = 1e-3  # Adam, lr 0.001, beta = (0.9, 0.999) (Sec. 5.1)
    beta1: float = 0.9
    beta2: float = 0.999
    seeds: tuple[int, ...] = tuple(range(10))  # 10 trials (official code: toy/toy.py, the constants); seeds recorded
    strategies: tuple[str, ...] = tuple(strategies.names())  # the paper's eight (Table 1)
    # Gradient bias/variance study (not in the paper): a reduced toy small enough to enumerate.
    study_edges: int = 3
    study_ops: int = 3
    study_pool: int = 2000  # fixed inputs X defining J(theta) = E_a[L(a; X)]
    study_samples: int = 4000  # gradient draws per strategy and search point
    study_points: tuple[int, ...] = (0, 100, 400)  # iterations of an AdvantageNAS search

    def validate(self) -> None:
        super().validate()
        self.require(self.n_edges >= 1, "n_edges", "an integer >= 1", self.n_edges)
        self.require(self.n_ops >= 2, "n_ops", "an integer >= 2", self.n_ops)
        self.require(self.batch >= 1, "batch", "an integer >= 1", self.batch)
        self.require(self.iterations >= 1, "iterations", "an integer >= 1", self.iterations)
        self.require(self.eval_every >= 1, "eval_every", "an integer >= 1", self.eval_every)
        self.require(self.lr > 0, "lr", "a positive number", self.lr)
        self.require_seeds()
        self.require(self.study_edges >= 1 and self.study_ops >= 2
                     and self.study_ops ** self.study_edges <= 4096, "study_edges/study_ops",
                     ">= 1 and >= 2 with study_ops ** study_edges <= 4096",
                     (self.study_edges, self.study_ops))
        self.require(self.study_samples >= 10, "study_samples", "an integer >= 10", self.study_samples)
        self.require(all(p >= 0 for p in self.study_points), "study_points", "non-negative integers",
                     self.study_points)
