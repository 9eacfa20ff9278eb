"""The dense-propagation strategies: DARTS (first order), SNAS and NASP."""

from __future__ import annotations

import torch

from .. import distribution
from .base import Draw, Properties, Strategy
from .sampling import cosine_temperature, gumbel_softmax


class DARTS(Strategy):
    """First-order DARTS (Liu et al. 2019): a = softmax(theta), Eq. (2), every op computed."""

    name = "darts"
    label = "DARTS"
    properties = Properties("dense", "n-hot", False, False, "argmax")
    in_paper = True

    def draw(self, theta, step):
        return Draw(torch.softmax(theta, dim=-1), dense=True)

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return theta_grad


class SNAS(Strategy):
    """SNAS (Xie et al. 2019): a relaxed Gumbel-softmax sample, tau from 1 to 0 (cosine)."""

    name = "snas"
    label = "SNAS"
    properties = Properties("dense", "n-hot", True, False, "argmax")
    in_paper = True

    def draw(self, theta, step):
        # The weight step after the last theta update would draw at step = total_steps, where
        # tau = 0 and softmax(x / tau) is NaN: it keeps the last theta step's temperature.
        tau = cosine_temperature(min(step, self.total_steps - 1), self.total_steps)
        return Draw(gumbel_softmax(theta, tau, self.generator), dense=True)

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return theta_grad


def project_official(theta: torch.Tensor) -> None:
    """The official code's C2 (util.py nasp_c2_const, official code: util.py): per row, shift by -min if
    min < 0, then divide by max if max > 1. It maps into [0, 1] keeping the order of theta."""
    theta.sub_(theta.amin(dim=-1, keepdim=True).clamp_max(0.0))
    theta.div_(theta.amax(dim=-1, keepdim=True).clamp_min(1.0))


def project_clip(theta: torch.Tensor) -> None:
    """The NASP paper's proximal step onto the box [0, 1]: element-wise clipping."""
    theta.clamp_(0.0, 1.0)


class NASP(Strategy):
    """NASP (Yao et al. 2020): proximal iterations.

    The forward pass uses the one-hot argmax of theta, but every operation is computed
    (dense backward) and theta.grad = dL/da for all gates (official code: util.py, Param.update, row N). theta is
    projected into [0, 1] before the forward pass and after each step. The projection is
    the official code's order-preserving shift-and-scale by default (discrepancy 16):
    with the NASP paper's clipping (``projection="clip"``) several operations of an edge
    reach the bound 1 and the argmax becomes a tie decided by operation order
    (tests/test_strategies.py shows it on a linear task)."""

    name = "nasp"
    label = "NASP"
    properties = Properties("dense", "1-hot", False, True, "argmax")
    in_paper = True
    PROJECTIONS = {"official": project_official, "clip": project_clip}

    def __init__(self, total_steps: int, generator=None, zero_op=None, *, projection: str = "official"):
        super().__init__(total_steps, generator, zero_op)
        if projection not in self.PROJECTIONS:
            raise ValueError(f"projection must be one of {', '.join(self.PROJECTIONS)}; got {projection!r}")
        self.project = self.PROJECTIONS[projection]

    def prepare(self, theta):
        self.project(theta)

    def draw(self, theta, step):
        gates = distribution.argmax(theta.detach()).requires_grad_(True)
        return Draw(gates, dense=True)

    def weight_draw(self, theta, step, warmup):
        # Weight steps are sparse: a random one-hot path during warm-up, then the argmax
        # architecture (official code: cifar10/search.py, the schedule and §2.7; NASP's footnote in Table 1).
        theta = theta.detach()
        gates = distribution.sample(theta, self.generator) if warmup else distribution.argmax(theta)
        return Draw(gates)

    def gradient(self, theta, draw, loss, gate_grad, theta_grad):
        return gate_grad

    def after_step(self, theta):
        self.project(theta)
