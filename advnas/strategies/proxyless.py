"""ProxylessNAS (Cai et al. 2019): two paths per edge, binary-gate gradient, rescaling.

Two operations are drawn per edge without replacement (both gates 1, so the forward sums
them: "2-hot" in Table 1, as in the official code). With q the softmax of theta over the
pair, dL/dtheta_m = sum_n dL/da_n q_n (delta_mn - q_m) for the pair, 0 elsewhere (official code: util.py, Param.update,
row P). After the step the pair's logits are shifted so that their total probability mass
is unchanged (the reference's per-edge rescale; the official code's version has a
cross-row broadcasting bug, official code: util.py, discrepancy 8).
"""

from __future__ import annotations

import torch

from .base import Draw, Properties, Strategy
from .sampling import top2_without_replacement


class ProxylessNAS(Strategy):
    name = "proxyless"
    label = "ProxylessNAS"
    properties = Properties("sparse", "2-hot", True, False, "argmax")
    in_paper = True

    PAIRS = ("sum", "mean")

    def __init__(self, total_steps: int, generator=None, zero_op=None, *, pair: str = "sum"):
        super().__init__(total_steps, generator, zero_op)
        if pair not in self.PAIRS:
            raise ValueError(f"pair must be one of {', '.join(self.PAIRS)}; got {pair!r}")
        # "sum": both gates 1, the forward sums the two outputs (the official CIFAR-10 code).
        # "mean": both gates 1/2, the forward averages them (the recurrent cell, where a sum
        # would double the highway pass-through x at every time step; decision 8).
        self.gate_value = 1.0 if pair == "sum" else 0.5
        self._pair: torch.Tensor | None = None
        self._before: torch.Tensor | None = None

    def draw(self, theta, step):
        pair = top2_without_replacement(theta, self.generator)
        gates = torch.zeros_like(theta, requires_grad=False).scatter(-1, pair, self.gate_value)
        return Draw(gates.requires_grad_(True), extra=pair)

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        pair = draw.extra
        # dL/d(binary gate) = dL/d(gate) * gate: the derivative with respect to the binary gate
        # b of a forward that uses gate = b * gate_value.
        g = gate_grad.gather(-1, pair) * self.gate_value  # (..., E, 2)
        q = torch.softmax(theta.detach().gather(-1, pair), dim=-1)
        eye = torch.eye(2, dtype=q.dtype, device=q.device)
        # grad_m = sum_n g_n q_n (delta_mn - q_m)
        grad_pair = ((g * q)[..., :, None] * (eye - q[..., None, :])).sum(dim=-2)
        self._pair, self._before = pair, theta.detach().clone()
        return torch.zeros_like(theta).scatter(-1, pair, grad_pair)

    def after_step(self, theta):
        old = torch.logsumexp(self._before.gather(-1, self._pair), dim=-1, keepdim=True)
        new = torch.logsumexp(theta.gather(-1, self._pair), dim=-1, keepdim=True)
        theta.scatter_(-1, self._pair, theta.gather(-1, self._pair) - (new - old))
