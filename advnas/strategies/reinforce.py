"""REINFORCE with an exponential-moving-average baseline, as in ENAS (Eq. 4)."""

from __future__ import annotations

import torch

from .. import distribution
from .base import Draw, Properties, Strategy


class Reinforce(Strategy):
    name = "reinforce"
    label = "REINFORCE"
    properties = Properties("sparse", "1-hot", True, False, "process_best")
    in_paper = True
    needs_gate_gradient = False

    keeps_statistics = True

    def __init__(self, total_steps: int, generator=None, zero_op=None, *, baseline_decay: float = 0.05):
        super().__init__(total_steps, generator, zero_op)
        self.baseline_decay = baseline_decay  # gamma = 0.05 (official code: util.py, Param.update, row R)
        self.baseline: torch.Tensor | None = None

    def draw(self, theta, step):
        return Draw(self.sample_one_hot(theta))

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        loss = loss.detach()
        # The EMA is updated with the current loss before it is used, as in ENAS and the
        # official code (official code: util.py, Param.update; discrepancy 6). b = L on the first step.
        if self.baseline is None:
            self.baseline = loss.clone()
        else:
            self.baseline = self.baseline + self.baseline_decay * (loss - self.baseline)
        weight = (loss - self.baseline)[..., None, None]
        return weight * distribution.score(draw.gates.detach(), theta)

    def state_dict(self):
        return {"baseline": self.baseline}

    def load_state_dict(self, state):
        self.baseline = state["baseline"]
