"""AdvantageNAS (Alg. 1): the per-edge advantage of Eq. (7) times the score a_i - mu_i.

When the search space has a zero operation (``zero_op``) and ``zero_op_treatment`` is on, the advantage of the zero operation, identically 0 by Eq. (7), is
replaced by the worst moving-average advantage of the other operations on that edge
(App. B, Eq. 9).
"""

from __future__ import annotations

import torch

from .. import distribution
from .base import Draw, Properties, Strategy


class AdvantageNAS(Strategy):
    name = "advantage"
    label = "AdvantageNAS"
    properties = Properties("sparse", "1-hot", True, True, "argmax")
    in_paper = True
    proposed = True

    def __init__(self, total_steps: int, generator=None, zero_op: int | None = None, *,
                 zero_op_treatment: bool = True, zero_op_decay: float = 0.05, zero_op_variant: str = "paper"):
        super().__init__(total_steps, generator, zero_op)
        if zero_op_variant not in ("paper", "official"):
            raise ValueError(f"zero_op_variant must be 'paper' or 'official'; got {zero_op_variant!r}")
        self.zero_op_treatment = zero_op_treatment  # App. B, Eq. (9), when the space has a zero op
        self.zero_op_decay = zero_op_decay
        self.zero_op_variant = zero_op_variant
        self.ema: torch.Tensor | None = None  # (..., n_edges, n_ops), advantages in loss units

    @property
    def keeps_statistics(self) -> bool:
        return self.zero_op is not None and self.zero_op_treatment  # the moving averages of Eq. (9)

    def draw(self, theta, step):
        return Draw(self.sample_one_hot(theta))

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        gates = draw.gates.detach()
        advantage = self.per_edge_advantage(gates, gate_grad)
        if self.zero_op is not None and self.zero_op_treatment:
            advantage = self._zero_op_advantage(gates, advantage)
        return advantage[..., None] * distribution.score(gates, theta)

    def _zero_op_advantage(self, gates: torch.Tensor, advantage: torch.Tensor) -> torch.Tensor:
        """Eq. (9): EMA(i) <- EMA(i) + gamma (A_i a_i - EMA(i) * a_i), then the zero op's
        advantage is the worst (largest, in loss units) EMA entry of the other operations.

        ``official`` reproduces the official code instead (official code: util.py, the zero-operation advantage, discrepancy 5): the EMA
        starts at the first observation and the worst is taken over all columns including
        the zero op's own entry, which stays 0 (a clamp at 0)."""
        z = self.zero_op
        observed = advantage[..., None] * gates
        if self.ema is None and self.zero_op_variant == "official":
            self.ema = observed.clone()
        else:
            ema = torch.zeros_like(gates) if self.ema is None else self.ema
            self.ema = ema + self.zero_op_decay * (observed - ema * gates)
        if self.zero_op_variant == "official":
            worst = self.ema.max(dim=-1).values
        else:
            others = torch.cat([self.ema[..., :z], self.ema[..., z + 1:]], dim=-1)
            worst = others.max(dim=-1).values
        chose_zero = gates[..., z] > 0
        return torch.where(chose_zero, worst, advantage)

    def state_dict(self):
        return {"ema": self.ema}

    def load_state_dict(self, state):
        self.ema = state["ema"]
