"""Settings of the theory chapter (notebook 1).

Sec. 4.4 gives formulas, not numbers, so no setting here comes from the paper; the
defaults (the ``paper`` profile) are simply the most precise version of the chapter.
|J| = 10 matches the toy task of Sec. 5.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import SEED_LIMIT, SEED_RULE, Config


@dataclass(frozen=True)
class TheoryConfig(Config):
    seed: int = 0
    n_ops: int = 10  # |J|, as in the toy task (Sec. 5.1)
    edge_counts: tuple[int, ...] = (1, 2, 5, 10, 20, 50, 100, 200)  # |I| for the scaling figure
    n_instances: int = 50  # random (r, theta) per |I| and regime
    reward_shift: float = -1.0  # r ~ N(shift, 1) in the "shifted" regime (rewards are -loss < 0)
    mc_edge_counts: tuple[int, ...] = (10, 100)  # large instances checked by Monte Carlo
    mc_samples: int = 1_000_000
    small_edges: int = 3  # enumeration instance: |J_small| ** |I_small| architectures
    small_ops: int = 3
    bound_offset: float = 3.0  # R(a) = offset + r^T a > 0 for Theorem 4.1

    def validate(self) -> None:
        self.require(self.n_ops >= 2, "n_ops", "an integer >= 2", self.n_ops)
        self.require(0 <= self.seed < SEED_LIMIT, "seed", SEED_RULE, self.seed)
        self.require(all(e >= 1 for e in self.edge_counts), "edge_counts", "positive integers",
                     self.edge_counts)
        self.require(self.n_instances >= 1, "n_instances", "an integer >= 1", self.n_instances)
        self.require(all(e >= 1 for e in self.mc_edge_counts), "mc_edge_counts", "positive integers",
                     self.mc_edge_counts)
        self.require(self.mc_samples >= 100, "mc_samples", "an integer >= 100", self.mc_samples)
        self.require(self.small_edges >= 2 and self.small_ops >= 2
                     and self.small_ops ** self.small_edges <= 100_000,
                     "small_edges/small_ops", ">= 2 each with small_ops ** small_edges <= 100000",
                     (self.small_edges, self.small_ops))
        self.require(self.bound_offset > 0, "bound_offset", "a positive number", self.bound_offset)


@dataclass(frozen=True)
class VarianceConfig(Config):
    """``python -m advnas variance``: one random linear reward."""

    edges: int = 10  # |I|
    ops: int = 10  # |J|
    seed: int = 0

    def validate(self) -> None:
        # The closed forms hold (edges x ops) matrices: bounded so that they fit in memory.
        self.require(1 <= self.edges <= 100_000, "edges", "an integer in [1, 100000]", self.edges)
        self.require(2 <= self.ops <= 1_000, "ops", "an integer in [2, 1000]", self.ops)
        self.require(self.edges * self.ops <= 10_000_000, "edges * ops", "at most 10,000,000 (memory)",
                     self.edges * self.ops)
        self.require(0 <= self.seed < SEED_LIMIT, "seed", SEED_RULE, self.seed)
