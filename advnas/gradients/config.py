"""Settings of the architecture-gradient study in the CIFAR-10 space.

The search settings are those of the CIFAR-10 cell search (``NB201SearchConfig``, the
paper's by default): the study reruns the ``source`` strategy's search with them, stops at
the ``points`` of the search, and there draws each strategy's theta-gradient ``draws`` times
on one fixed V minibatch of ``batch`` images, against the exact gradient (4,096 cells).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..strategies import PROPOSED, SPARSE, names
from ..nb201.search_config import NB201SearchConfig

# Where in the search the gradients are measured: theta still uniform (the last warm-up
# epoch done), halfway through the search epochs, and at the end of the search.
POINTS = ("warmup_end", "middle", "end")


@dataclass(frozen=True)
class GradientStudyConfig(NB201SearchConfig):
    strategies: tuple[str, ...] = tuple(names("sparse", paper_only=False))  # the estimators measured
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # searches of the source strategy, one per seed: 5 independent cases per point
    source: str = PROPOSED  # whose search provides the weights and theta
    points: tuple[str, ...] = POINTS
    draws: int = 1000  # independent theta-gradients per strategy and point
    chunk: int = 32  # cells per batched forward pass of the exact reference

    def validate(self) -> None:
        super().validate()
        self.require(self.source in SPARSE, "source", f"one of {', '.join(SPARSE)}",
                     self.source)
        self.require(all(s in names("sparse", paper_only=False) for s in self.strategies), "strategies",
                     "sparse strategies (and random)", list(self.strategies))
        self.require(all(p in POINTS for p in self.points) and len(set(self.points)) == len(self.points),
                     "points", f"distinct names from {', '.join(POINTS)}", list(self.points))
        self.require(self.draws >= 2, "draws", "an integer >= 2", self.draws)
        self.require(self.chunk >= 1, "chunk", "an integer >= 1", self.chunk)

    def search_config(self) -> NB201SearchConfig:
        """The CIFAR-10 search settings (the source strategy only)."""
        names = {f.name for f in fields(NB201SearchConfig)}
        values = {k: v for k, v in self.to_dict().items() if k in names}
        values.update(strategies=[self.source], seeds=list(self.seeds))
        return NB201SearchConfig.from_dict(values)

    def point_epoch(self, point: str) -> int:
        """Epochs completed at ``point``."""
        search_epochs = self.epochs - self.warmup_epochs
        return {"warmup_end": self.warmup_epochs, "middle": self.warmup_epochs + search_epochs // 2,
                "end": self.epochs}[point]
