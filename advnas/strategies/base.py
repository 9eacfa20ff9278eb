"""One interface for every search strategy (Sec. 3, Table 1).

A strategy says three things and nothing else:
  * how the architecture is drawn or relaxed for a forward pass (``draw``);
  * how the theta-gradient is formed from that forward/backward (``gradient``);
  * how the final architecture is chosen (``final``: argmax of theta or process best).

Search spaces multiply each candidate operation's output by a gate ``a[i, j]``. Under a
sparse strategy, operations with a zero gate are not computed, so the gradient of the loss
with respect to the gate of the selected operation is <dL/dO_i, O_i^j(x)>: the first-order
advantage of Eq. (7), in loss units, at no extra cost.

Conventions: the code minimises a loss L (reward r = -L). theta has shape
(..., n_edges, n_ops) where leading dimensions are independent trials; losses have the
leading shape. ``gradient`` returns what goes into theta.grad for a *descent* step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from .. import distribution


@dataclass
class Draw:
    """One architecture (or relaxation) to run forward.

    ``gates`` (..., n_edges, n_ops) multiply the operations' outputs. ``dense``: compute every
    operation (True) or skip those with a zero gate (False). ``skipped``: what a skipped
    operation contributes for the gate's gradient ("zero", or "ones" as in GDAS).
    ``samples``: ``gates`` carries a leading dimension of several architectures to be
    evaluated on the same minibatch (PARSEC); the loss then has that dimension too."""

    gates: torch.Tensor
    dense: bool = False
    skipped: str = "zero"
    samples: bool = False
    extra: Any = None


@dataclass(frozen=True)
class Properties:
    """A row of the paper's Table 1, declared by each strategy."""

    propagation: str  # "sparse" or "dense"
    hot: str  # what a_i is in the forward pass: "1-hot", "2-hot", "n-hot"
    stochastic: bool
    theoretical_guarantee: bool
    final: str  # how the paper's experiments pick the final architecture: "argmax" / "process_best"


class Strategy(ABC):
    """Base class. Subclasses set ``name``, ``label`` and ``properties``, and ``in_paper`` when the
    paper evaluates them. Whom the paper compares AdvantageNAS against is not a property of a
    strategy but the paper's choice per experiment (``advnas.paper.RIVALS``)."""

    name: ClassVar[str]
    label: ClassVar[str]
    properties: ClassVar[Properties]
    #: False when the theta-gradient needs no backward pass (REINFORCE, PARSEC).
    needs_gate_gradient: ClassVar[bool] = True

    #: True when the strategy keeps running statistics (a baseline, a moving average) that
    #: a measurement at a fixed theta should warm up first (may depend on the options).
    keeps_statistics: bool = False
    #: True for the paper's proposed method (highlighted in reports).
    proposed: ClassVar[bool] = False
    #: True for a strategy the paper evaluates (a row of its Table 1). A strategy the paper does
    #: not evaluate (random search) is listed only on request (``names``) and after the paper's.
    in_paper: ClassVar[bool] = False
    #: False when theta never moves (random search): the argmax of theta is then a tie-break, not
    #: a choice, and theta's entropy has no curve; only what the strategy samples is its result.
    learns_theta: ClassVar[bool] = True

    def __init__(self, total_steps: int, generator: torch.Generator | None = None, zero_op: int | None = None):
        """Subclasses add their options as keyword-only arguments with the paper's values as
        defaults; ``zero_op`` is the index of the search space's zero operation (or None),
        a fact about the space rather than an option."""
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps}")
        self.total_steps = total_steps
        self.generator = generator
        self.zero_op = zero_op

    def prepare(self, theta: torch.Tensor) -> None:
        """Called on theta (in place, no grad) before each draw; a projection for NASP."""

    @abstractmethod
    def draw(self, theta: torch.Tensor, step: int) -> Draw:
        """The architecture (several, as a leading dimension, when ``samples``) for this
        theta step. ``theta`` requires grad; a relaxation may build its gates from it, a
        sampler returns detached leaves."""

    @abstractmethod
    def gradient(self, theta: torch.Tensor, draw: Draw, loss: torch.Tensor,
                 gate_grad: torch.Tensor | None, theta_grad: torch.Tensor | None) -> torch.Tensor:
        """theta.grad for a descent step, from the draw's loss (shape of theta[..., 0, 0],
        with a leading K when ``samples``) and the gradients of the summed loss with respect
        to the draw's gates and to theta."""

    def weight_draw(self, theta: torch.Tensor, step: int, warmup: bool) -> Draw:
        """The architecture for a weight step (Alg. 1, line 3): the strategy's own draw with
        theta detached (the first of PARSEC's samples); no gate gradient is needed. During
        warm-up theta is still at its initial value, so sampling strategies train the weights
        on uniformly sampled paths (official code: cifar10/search.py, the schedule)."""
        draw = self.draw(theta.detach(), step)
        gates = draw.gates.detach()
        return Draw(gates[0] if draw.samples else gates, dense=draw.dense)

    def after_step(self, theta: torch.Tensor) -> None:
        """Post-processing of theta (in place, no grad) after the optimiser step."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    # Helpers shared by the sampling strategies -------------------------------------------

    def sample_one_hot(self, theta: torch.Tensor) -> torch.Tensor:
        return distribution.sample(theta.detach(), self.generator).requires_grad_(self.needs_gate_gradient)

    @staticmethod
    def per_edge_advantage(gates: torch.Tensor, gate_grad: torch.Tensor) -> torch.Tensor:
        """Eq. (7) in loss units: sum_j a_ij dL/da_ij = <dL/dO_i, O_i^j(x)> for the selected j."""
        return (gates.detach() * gate_grad).sum(dim=-1)
