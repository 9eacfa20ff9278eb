"""Random search: the baseline that every search strategy should beat (not in the paper).

Every step samples a cell uniformly, whatever theta is, and theta never moves. The final
architecture is the process best: the sampled cell with the lowest theta-step loss. Its
weights are trained exactly as a sampling strategy's (uniformly sampled paths), so it
shows what the search of theta adds to weight sharing.
"""

from __future__ import annotations

import torch

from .. import distribution
from .base import Draw, Properties, Strategy


class RandomSearch(Strategy):
    name = "random"
    label = "Random search"
    properties = Properties("sparse", "1-hot", True, False, "process_best")
    needs_gate_gradient = False
    learns_theta = False

    def __init__(self, total_steps: int, generator=None, zero_op=None):
        super().__init__(total_steps, generator, zero_op)
        self._theta: torch.Tensor | None = None

    def prepare(self, theta):
        self._theta = theta.clone()

    def draw(self, theta, step):
        return Draw(distribution.sample(torch.zeros_like(theta.detach()), self.generator))

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return torch.zeros_like(theta)

    def after_step(self, theta):
        # theta stays where it started, whatever the optimiser's weight decay does.
        if self._theta is not None:
            theta.copy_(self._theta)
