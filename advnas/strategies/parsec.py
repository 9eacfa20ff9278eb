"""PARSEC (Casale et al. 2019): several architectures per step, weighted by their likelihood.

grad_theta log E_{a ~ p_theta}[exp(-L(a))] ~= sum_k w_k (a_k - mu), w = softmax(-L_1..-L_K),
K = 8 Monte Carlo samples drawn in the same step and evaluated on the same minibatch. The official code
instead spreads the 8 samples over 8 successive steps and weights by softmax(+L) with a
descent step (official code: util.py, Param.update, discrepancy 7); this implements the method as published.
"""

from __future__ import annotations

import torch

from .. import distribution
from .base import Draw, Properties, Strategy


class Parsec(Strategy):
    name = "parsec"
    label = "PARSEC"
    properties = Properties("sparse", "1-hot", True, False, "argmax")
    in_paper = True
    needs_gate_gradient = False

    def __init__(self, total_steps: int, generator=None, zero_op=None, *, samples: int = 8):
        super().__init__(total_steps, generator, zero_op)
        if samples < 1:
            raise ValueError(f"samples must be >= 1; got {samples}")
        self.samples = samples

    def draw(self, theta, step):
        # One draw holding all K architectures (leading dimension), evaluated on one minibatch.
        a = distribution.sample(theta.detach(), self.generator, n_samples=self.samples)
        return Draw(a, samples=True)

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        weights = torch.softmax(-loss, dim=0)  # (K, ...): softmax over the K samples
        scores = distribution.score(draw.gates, theta)  # (K, ..., E, J)
        # Ascent on the log marginal likelihood = descent on its negative.
        return -(weights[..., None, None] * scores).sum(dim=0)
