"""One architecture (theta) update, identical for every strategy (Alg. 1, lines 6-10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..strategies import Draw, Strategy


@dataclass
class ThetaStepResult:
    draws: list[Draw]
    losses: list[torch.Tensor]  # one per draw, shape theta.shape[:-2] (with a leading K if samples)


def theta_gradient(strategy: Strategy, theta: torch.Tensor, step: int,
                   loss_of: Callable[[Draw], torch.Tensor]) -> tuple[torch.Tensor, ThetaStepResult]:
    """Draw, run forward (and backward when the strategy needs it), form theta's gradient.

    ``theta`` is a leaf with requires_grad. ``loss_of(draw)`` returns the per-trial loss of
    one forward pass with the draw's gates."""
    with torch.no_grad():
        strategy.prepare(theta)
    draws = strategy.draw(theta, step)
    losses = [loss_of(d) for d in draws]
    gate_inputs = [d.gates for d in draws]
    wants = [g.requires_grad for g in gate_inputs] + [any(g.grad_fn is not None for g in gate_inputs)]
    if any(wants):
        inputs = [g for g, w in zip(gate_inputs + [theta], wants) if w]
        total = sum(loss.sum() for loss in losses)
        grads = iter(torch.autograd.grad(total, inputs, allow_unused=True))
        found = [next(grads) if w else None for w in wants]
    else:  # REINFORCE and PARSEC need the losses only: no backward pass
        found = [None] * len(wants)
    gradient = strategy.gradient(theta, draws, [l.detach() for l in losses], found[:-1], found[-1])
    return gradient, ThetaStepResult(draws, [l.detach() for l in losses])


def theta_step(strategy: Strategy, theta: torch.Tensor, optimizer: torch.optim.Optimizer, step: int,
               loss_of: Callable[[Draw], torch.Tensor]) -> ThetaStepResult:
    """theta_gradient, then the optimiser step and the strategy's post-processing."""
    gradient, result = theta_gradient(strategy, theta, step, loss_of)
    theta.grad = gradient.to(theta.dtype)
    optimizer.step()
    with torch.no_grad():
        strategy.after_step(theta)
    return result
