"""The optimiser semantics of the official Chainer 4 code (official code: cifar10/search.py, the Chainer optimisers and hooks), in PyTorch.

* ``ChainerNesterov``: Chainer's NesterovAG, v <- mu v - lr g; p <- p + mu^2 v - (1 + mu) lr g
  (with the *new* v). Not ``torch.optim.SGD(nesterov=True)``: same steady state, different
  transient.
* ``Hooked``: wraps any optimiser with Chainer's hooks, in registration order: every
  parameter without a gradient gets a zero gradient (Chainer steps all parameters, used or
  not), then coupled weight decay g += wd p, then one global-norm clipping of all gradients.
* ``cosine``: the learning rate set from the integer epoch, (1 + cos(pi e / E)) / 2.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import torch


class ChainerNesterov(torch.optim.Optimizer):
    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.9):
        if lr < 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr >= 0 and 0 <= momentum < 1; got lr={lr}, momentum={momentum}")
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                v = state.get("velocity")
                if v is None:
                    v = state["velocity"] = torch.zeros_like(p)
                v.mul_(mu).sub_(p.grad, alpha=lr)
                p.add_(v, alpha=mu * mu).sub_(p.grad, alpha=(1 + mu) * lr)


class Hooked:
    """An optimiser with Chainer's hooks (zero-fill, coupled weight decay, global-norm clip)."""

    def __init__(self, optimizer: torch.optim.Optimizer, weight_decay: float = 0.0, clip: float | None = None):
        self.optimizer = optimizer
        self.weight_decay, self.clip = weight_decay, clip
        self.params = [p for g in optimizer.param_groups for p in g["params"]]

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def step(self) -> float | None:
        """The hooks, then the wrapped step; returns the gradient norm before clipping."""
        for p in self.params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            if self.weight_decay:
                p.grad.add_(p, alpha=self.weight_decay)
        norm = None
        if self.clip is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(self.params, self.clip))
        self.optimizer.step()
        return norm

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)


def cosine(base: float, epoch: int, horizon: int) -> float:
    """base (1 + cos(pi epoch / horizon)) / 2, set once per integer epoch (official code: cifar10/search.py, the schedule)."""
    return base * (1 + math.cos(math.pi * min(max(epoch, 0), horizon) / horizon)) / 2
