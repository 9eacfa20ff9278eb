"""GDAS (Dong and Yang 2019): straight-through Gumbel-softmax, one operation computed.

a = h + (z - stopgrad(z)) with z = softmax((log mu + g) / tau) and h = onehot(argmax z): the
forward value is one-hot, the backward the gradient of z. Operations with a zero gate are
not computed but contribute their gate times ones, as in the GDAS reference (official code: util.py, Param.update).
tau goes from 10 to 0.1 linearly over the search (App. C).
"""

from __future__ import annotations

from .. import distribution
from .base import Draw, Properties, Strategy
from .sampling import gumbel_softmax, linear_temperature


class GDAS(Strategy):
    name = "gdas"
    label = "GDAS"
    properties = Properties("sparse", "1-hot", True, False, "process_best")
    in_paper = True

    def __init__(self, total_steps: int, generator=None, zero_op=None, *, tau_start: float = 10.0,
                 tau_end: float = 0.1):
        super().__init__(total_steps, generator, zero_op)
        self.tau_start, self.tau_end = tau_start, tau_end

    def draw(self, theta, step):
        tau = linear_temperature(step, self.total_steps, self.tau_start, self.tau_end)
        soft = gumbel_softmax(theta, tau, self.generator)
        hard = distribution.one_hot(soft.argmax(dim=-1), theta.shape[-1], dtype=theta.dtype)
        gates = hard + (soft - soft.detach())  # exactly one-hot in value, d/dtheta of soft
        return Draw(gates, skipped="ones")

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return theta_grad
