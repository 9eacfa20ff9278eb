"""One architecture (theta) update, identical for every strategy (Alg. 1, lines 6-10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..strategies import Draw, Strategy


@dataclass
class ThetaStepResult:
    draw: Draw
    loss: torch.Tensor  # shape theta.shape[:-2] (with a leading K when draw.samples), detached


def theta_gradient(strategy: Strategy, theta: torch.Tensor, step: int,
                   loss_of: Callable[[Draw], torch.Tensor]) -> tuple[torch.Tensor, ThetaStepResult]:
    """Draw, run forward (and backward when the strategy needs it), form theta's gradient.

    ``theta`` is a leaf with requires_grad. ``loss_of(draw)`` returns the per-trial loss of
    one forward pass with the draw's gates."""
    with torch.no_grad():
        strategy.prepare(theta)
    draw = strategy.draw(theta, step)
    loss = loss_of(draw)
    gates = draw.gates
    wants_gate, wants_theta = gates.requires_grad, gates.grad_fn is not None
    gate_grad = theta_grad = None
    if wants_gate or wants_theta:
        inputs = [g for g, w in ((gates, wants_gate), (theta, wants_theta)) if w]
        found = iter(torch.autograd.grad(loss.sum(), inputs, allow_unused=True))
        gate_grad = next(found) if wants_gate else None
        theta_grad = next(found) if wants_theta else None
    # else: REINFORCE, PARSEC and random search need the loss only, so no backward pass
    gradient = strategy.gradient(theta, draw, loss.detach(), gate_grad, theta_grad)
    return gradient, ThetaStepResult(draw, loss.detach())


def theta_step(strategy: Strategy, theta: torch.Tensor, optimizer: torch.optim.Optimizer, step: int,
               loss_of: Callable[[Draw], torch.Tensor]) -> ThetaStepResult:
    """theta_gradient, then the optimiser step and the strategy's post-processing."""
    gradient, result = theta_gradient(strategy, theta, step, loss_of)
    theta.grad = gradient.to(theta.dtype)
    optimizer.step()
    with torch.no_grad():
        strategy.after_step(theta)
    return result
