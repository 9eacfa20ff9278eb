"""Pieces shared by the search and the retraining: learning-rate schedule, one weight step,
evaluation, and the clipped Adam of the theta step (App. E; spec §3.3, §3.4)."""

from __future__ import annotations

import math

import torch

from . import corpus
from .space import LanguageModel


def cosine_lr(base: float, epoch: int, epochs: int) -> float:
    """lr = base (1 + cos(pi e / E)) / 2 at integer epoch e (spec §3.3)."""
    return base * (1 + math.cos(math.pi * epoch / epochs)) / 2


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


class ClippedAdam(torch.optim.Adam):
    """Adam whose step first clips the global gradient norm (App. E: clipping 1 for theta)."""

    def __init__(self, params, max_norm: float, **kwargs):
        super().__init__(params, **kwargs)
        self.max_norm = max_norm

    @torch.no_grad()
    def step(self, closure=None):
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        torch.nn.utils.clip_grad_norm_(params, self.max_norm)
        return super().step(closure)


def weight_step(model: LanguageModel, optimizer: torch.optim.Optimizer, clip: float,
                inputs: torch.Tensor, targets: torch.Tensor, h: torch.Tensor, gates: torch.Tensor,
                dense: bool = False) -> tuple[float, torch.Tensor]:
    """One SGD step on the summed BPTT loss with global-norm clipping (spec §3.3).
    Returns the loss per time step (the mean per-token cross-entropy) and the new state."""
    losses, h = model(inputs, targets, h, gates[None], dense)
    optimizer.zero_grad(set_to_none=True)
    losses.sum().backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return losses.item() / inputs.size(0), h.detach()


@torch.no_grad()
def evaluate(model: LanguageModel, data: torch.Tensor, gates: torch.Tensor, bptt: int,
             limit_tokens: int = 0) -> float:
    """Mean per-token cross-entropy of the fixed architecture ``gates`` over ``data``
    (streams batchified, dropout off, the state starting at zero once; spec §3.4)."""
    was_training = model.training
    model.eval()
    h = torch.zeros(data.size(1), model.cell.hidden, device=data.device)
    total, count = 0.0, 0
    for inputs, targets in corpus.chunks(data, bptt, limit_tokens):
        losses, h = model(inputs, targets, h, gates[None])
        total += losses.item() * data.size(1)  # summed over steps of the stream-mean
        count += inputs.numel()
    model.train(was_training)
    return total / count


def get_rng_state(device: torch.device) -> dict:
    """The random state that dropout draws from (CPU, and the GPU's when on one)."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
