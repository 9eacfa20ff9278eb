"""The retraining's weight step and the evaluation of a fixed cell (App. E; official code: ptb/custom.py, the search; ptb/custom.py, retraining and evaluation)."""

from __future__ import annotations

import torch

from . import corpus
from .space import LanguageModel


def weight_step(model: LanguageModel, optimizer: torch.optim.Optimizer, clip: float,
                inputs: torch.Tensor, targets: torch.Tensor, h: torch.Tensor, gates: torch.Tensor,
                dense: bool = False) -> tuple[float, torch.Tensor]:
    """One SGD step on the summed BPTT loss with global-norm clipping (official code: ptb/custom.py, the search).
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
    (streams batchified, dropout off, the state starting at zero once; official code: ptb/custom.py, retraining and evaluation)."""
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
