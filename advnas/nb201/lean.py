"""Autograd functions that keep no tensor plain training would not keep.

Eq. (7) needs, for each computed operation, <dL/dy, O(x)> where y = a * O(x) is the gated
output. Written as ``gate * op(x)``, autograd keeps O(x) for that product: one activation
per edge that training the sampled architecture alone never stores (AdvantageNAS then
needed 1.5-2x the activation memory of plain training). Here the gated output keeps only
what the operation's own backward keeps anyway, and recomputes O(x) from it in backward:

* ReLU -> conv -> BN: BN keeps its input z; BN(z) is recomputed (elementwise).
* average pooling: the pooling keeps its input x; the pooling is recomputed.
* skip connection: O(x) = x is the source node, which nothing else may keep; it is
  recomputed from the tensors the edges into that node keep (a ``Recipe``), so a node is
  stored only when it is a cell's input that nothing else keeps.
* zero: O(x) = 0, nothing is kept and the gate gradient is 0.

``relu_conv`` is conv(relu(x)) that keeps x instead of relu(x): every consumer of a node
then keeps the same tensor (plain ReLU -> conv keeps one copy of relu(x) per edge). It is
used by the stand-alone network too, so plain training benefits equally.

Values and gradients equal those of the plain formulas (the tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F


class _ReLUConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, stride, padding):
        ctx.save_for_backward(x, weight)
        ctx.conv = (stride, padding)
        return F.conv2d(torch.relu(x), weight, None, stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        stride, padding = ctx.conv
        grad_in, grad_weight, _ = torch.ops.aten.convolution_backward(
            grad_out, torch.relu(x), weight, None, stride, padding, (1, 1), False, (0, 0), 1,
            (ctx.needs_input_grad[0], ctx.needs_input_grad[1], False))
        grad_x = grad_in * (x > 0) if grad_in is not None else None
        return grad_x, grad_weight, None, None


def relu_conv(x: torch.Tensor, conv: torch.nn.Conv2d) -> torch.Tensor:
    """conv(relu(x)) for a bias-free, ungrouped, undilated ``conv``, keeping x for backward."""
    return _ReLUConv.apply(x, conv.weight, conv.stride, conv.padding)


class _Gated(torch.autograd.Function):
    """gate * value, where value = compute(*inputs) and backward recomputes it with
    ``recompute(*inputs)``; only ``inputs`` are kept."""

    @staticmethod
    def forward(ctx, gate, compute, recompute, *inputs):
        with torch.no_grad():
            value = compute(*inputs)
        ctx.recompute = recompute
        ctx.save_for_backward(gate, *inputs)
        return gate * value

    @staticmethod
    def backward(ctx, grad_out):
        gate, *inputs = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(t.requires_grad) for t in inputs]
            value = ctx.recompute(*leaves)
            wanted = [leaf for leaf in leaves if leaf.requires_grad]
            grads = iter(torch.autograd.grad(value, wanted, gate * grad_out) if wanted else ())
        grad_gate = (grad_out * value.detach()).sum().reshape(gate.shape) if ctx.needs_input_grad[0] else None
        return (grad_gate, None, None, *[next(grads) if leaf.requires_grad else None for leaf in leaves])


@dataclass
class Recipe:
    """A node's value as a sum of terms gate * fn(*inputs), built only from tensors other
    functions keep. ``fn`` None: the term is the gate itself (GDAS's skipped operation)."""

    like: tuple[torch.Size, torch.dtype, torch.device]
    terms: list[tuple[torch.Tensor, Callable | None, tuple[torch.Tensor, ...]]] = field(default_factory=list)

    def tensors(self) -> list[torch.Tensor]:
        return [t for gate, _, inputs in self.terms for t in (gate, *inputs)]

    def rebuild(self) -> Callable[..., torch.Tensor]:
        """A function of ``tensors()`` that returns the node's value; it holds no tensor."""
        shape, dtype, device = self.like
        plan = [(fn, len(inputs)) for _, fn, inputs in self.terms]

        def value(*flat: torch.Tensor) -> torch.Tensor:
            total, i = torch.zeros(shape, dtype=dtype, device=device), 0
            for fn, n in plan:
                gate, inputs = flat[i], flat[i + 1:i + 1 + n]
                total = total + (gate if fn is None else gate * fn(*inputs))
                i += 1 + n
            return total
        return value


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def gated_output(gate: torch.Tensor, op: torch.nn.Module, x: torch.Tensor, recipe: Recipe | None,
                 kind: str) -> tuple[torch.Tensor, tuple]:
    """(gate * op(x), the term for the target node's recipe). ``kind`` is the operation's
    family ("conv", "pool", "skip", "none"); ``recipe`` says how to recompute x, or None
    when x must be kept."""
    if kind == "conv":
        _, conv, bn = op
        z = relu_conv(x, conv)
        eps = bn.eps
        if bn.training or bn.running_mean is None:  # batch statistics, as bn(z) used
            recompute = lambda z, w, b: F.batch_norm(z, None, None, w, b, True, 0.0, eps)  # noqa: E731
        else:  # running statistics (evaluation mode)
            mean, var = bn.running_mean, bn.running_var
            recompute = lambda z, w, b: F.batch_norm(z, mean, var, w, b, False, 0.0, eps)  # noqa: E731
        inputs = (z, bn.weight, bn.bias)
        return _Gated.apply(gate, lambda z, w, b: bn(z), recompute, *inputs), (gate, recompute, inputs)
    if kind == "pool":
        return _Gated.apply(gate, op, op, x), (gate, op, (x,))
    if kind == "skip":
        if recipe is None:
            return _Gated.apply(gate, _identity, _identity, x), (gate, _identity, (x,))
        rebuild, inputs = recipe.rebuild(), tuple(recipe.tensors())
        return _Gated.apply(gate, lambda *_: x, rebuild, *inputs), (gate, rebuild, inputs)
    if kind == "none":
        like = (x.shape, x.dtype, x.device)
        zeros = lambda: torch.zeros(like[0], dtype=like[1], device=like[2])  # noqa: E731
        return _Gated.apply(gate, zeros, zeros), None
    raise ValueError(f"kind must be one of conv, pool, skip, none; got {kind!r}")
