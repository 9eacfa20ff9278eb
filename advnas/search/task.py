"""What a search space and its data supply to the search loop (Algorithm 1).

The loop (``loop.py``) owns everything that is the same for every task: epochs, warm-up,
the cosine schedules, the clipped optimisers, the theta step, the weight step, the
process-best rule, the per-epoch log, seeds, progress and checkpoints. A task owns its
network, its batch streams and how it names and scores an architecture.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Iterator

import torch
from torch import nn

from ..strategies import Draw
from .seeds import derive_seed

THETA, WEIGHT = "theta", "weight"  # the two kinds of step in an epoch's plan


@dataclass(frozen=True)
class LoopSettings:
    """The loop's settings, taken from the task's configuration (defaults: none; every task
    states its paper's values)."""

    epochs: int
    warmup_epochs: int  # theta fixed, weights trained on the strategy's draws at the initial theta
    w_lr: float  # cosine to 0 over all epochs, set per integer epoch
    w_momentum: float  # > 0: Chainer's NesterovAG (CIFAR-10); 0: plain SGD (PTB)
    w_weight_decay: float  # coupled, before clipping
    w_clip: float  # global-norm clipping of the weight gradient
    theta_lr: float  # Adam, cosine to 0 over the search epochs
    theta_betas: tuple[float, float]
    theta_weight_decay: float
    theta_clip: float
    theta_steps: int  # theta steps of the whole search (temperature schedules)


class SearchTask(ABC):
    """A search space with its data. Subclasses set ``name``, ``n_edges``, ``op_names``."""

    name: str
    n_edges: int
    op_names: tuple[str, ...]
    zero_op_name = "none"

    @property
    def zero_op(self) -> int | None:
        """Index of the zero operation among the candidates, if there is one."""
        return self.op_names.index(self.zero_op_name) if self.zero_op_name in self.op_names else None

    # Seeds (overridden only to keep older stored results reproducible) ----------------------

    def weights_seed(self, seed: int) -> int:
        return derive_seed("weights", seed)

    def strategy_seed(self, strategy: str, seed: int) -> int:
        return derive_seed("strategy", strategy, seed)

    # The network and the data -----------------------------------------------------------------

    @abstractmethod
    def build(self, seed: int, device: torch.device) -> nn.Module:
        """The weight-sharing network (the global torch seed is set before this call) and
        the task's own data streams for ``seed``."""

    @abstractmethod
    def plan(self, epoch: int, warmup: bool) -> Iterator[tuple[str, Any]]:
        """The steps of one epoch, in order: (THETA or WEIGHT, batch). No THETA during warm-up."""

    @abstractmethod
    def loss(self, batch: Any, draw: Draw, graph: bool = False) -> torch.Tensor:
        """The loss of the draw's architecture(s) on ``batch`` (a leading K when
        ``draw.samples``). The graph is built when ``graph`` or when the gates need it."""

    def logged(self, loss: torch.Tensor, batch: Any) -> torch.Tensor:
        """The loss as logged and compared (PTB: per time step)."""
        return loss

    @abstractmethod
    def arch_string(self, gates: torch.Tensor) -> str:
        """The genotype of a one-hot (E, J) architecture."""

    def epoch_metrics(self, argmax_arch: str, best_arch: str | None) -> dict[str, Any]:
        """Task columns of the epoch's log row (e.g. NAS-Bench-201 accuracies)."""
        return {}

    def summary(self, search: dict[str, Any]) -> dict[str, Any]:
        """Task entries of the search's summary, given the loop's (architectures, rule)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    @staticmethod
    def needs_graph(draw: Draw, graph: bool) -> bool:
        return graph or draw.gates.requires_grad or draw.gates.grad_fn is not None
