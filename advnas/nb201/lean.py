"""Autograd functions that keep no tensor plain training would not keep.

Eq. (7) needs, for each computed operation, <dL/dy, O(x)> where y = a * O(x) is the gated
output. Written as ``gate * op(x)``, autograd keeps O(x) for that product: one activation
per edge that training the sampled architecture alone never stores (AdvantageNAS then
needed 1.5-2x the activation memory of plain training). Here the gated output keeps only
what the operation's own backward keeps anyway, and gets <dL/dy, O(x)> from it in backward:

* ReLU -> conv -> BN: BN keeps its input z; BN's backward, run once with dL/dy, gives the
  per-channel sums from which the gate gradient follows (nothing recomputed, ``_GatedBN``).
* average pooling: the pooling keeps its input x; <g, pool(x)> = <pool^T(g), x>, and
  pool^T(g) is the pooling's backward, needed anyway (nothing recomputed, ``_GatedPool``).
* skip connection: O(x) = x is the source node, which nothing else may keep; it is
  recomputed, without a graph, from the tensors the edges into that node keep (a
  ``Recipe``), for the gate gradient only; the input gradient gate * dL/dy goes to x itself
  (``_GatedSkip``). A node is stored only when it is a cell's input that nothing else keeps.
* zero: O(x) = 0, nothing is kept and the gate gradient is 0.

The generic ``_Gated`` (recompute O(x) in backward and differentiate the recomputation) is
kept for operations outside these families. An earlier version used it for every family and
differentiated each skip connection's recipe (one extra BN or pooling backward per recipe
term): the search iteration took ~1.4x the time of the plain formula's; see the commit log.

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
from torch.nn.modules.utils import _pair


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
        # The input's values serve the weight gradient only (the input gradient needs its
        # shape): with the weights frozen (the theta step) relu(x) is not formed again.
        grad_in, grad_weight, _ = torch.ops.aten.convolution_backward(
            grad_out, torch.relu(x) if ctx.needs_input_grad[1] else x, weight, None, stride, padding, (1, 1),
            False, (0, 0), 1, (ctx.needs_input_grad[0], ctx.needs_input_grad[1], False))
        # ReLU's own backward: grad where x > 0, else 0. (grad_in * (x > 0) gives the same
        # values but builds a bool mask and a type-promoting multiply: ~4x slower on CPU.)
        grad_x = torch.ops.aten.threshold_backward(grad_in, x, 0) if grad_in is not None else None
        return grad_x, grad_weight, None, None


def relu_conv(x: torch.Tensor, conv: torch.nn.Conv2d) -> torch.Tensor:
    """conv(relu(x)) for a bias-free, ungrouped, undilated ``conv``, keeping x for backward."""
    return _ReLUConv.apply(x, conv.weight, conv.stride, conv.padding)


def _scaled(gate: torch.Tensor, t: torch.Tensor, unit: bool) -> torch.Tensor:
    """gate * t; t itself when the gate is exactly 1 (``unit``), the same values without the pass."""
    return t if unit else gate * t


CHANNELS_LAST_ORDER = (0, 2, 3, 1)


def memory_order(t: torch.Tensor) -> tuple[int, ...]:
    """The dimension order in which ``t`` is laid out (channels last: N, H, W, C)."""
    if t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last):
        return CHANNELS_LAST_ORDER
    return tuple(range(t.dim()))


def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """<a, b> = (a * b).sum() without the temporary product, read in a's memory layout (a
    view of a, not a copy)."""
    order = memory_order(a)
    return torch.dot(a.permute(order).reshape(-1), b.permute(order).reshape(-1))


class _Gated(torch.autograd.Function):
    """gate * value, where value = compute(*inputs) and backward recomputes it with
    ``recompute(*inputs)``; only ``inputs`` are kept."""

    @staticmethod
    def forward(ctx, gate, unit, compute, recompute, *inputs):
        with torch.no_grad():
            value = compute(*inputs)
        ctx.recompute, ctx.unit = recompute, unit
        ctx.save_for_backward(gate, *inputs)
        return value if unit else gate * value

    @staticmethod
    def backward(ctx, grad_out):
        gate, *inputs = ctx.saved_tensors
        with torch.enable_grad():
            leaves = [t.detach().requires_grad_(t.requires_grad) for t in inputs]
            value = ctx.recompute(*leaves)
            wanted = [leaf for leaf in leaves if leaf.requires_grad]
            grads = iter(torch.autograd.grad(value, wanted, _scaled(gate, grad_out, ctx.unit)) if wanted else ())
        grad_gate = dot(grad_out, value.detach()).reshape(gate.shape) if ctx.needs_input_grad[0] else None
        return (grad_gate, None, None, None, *[next(grads) if leaf.requires_grad else None for leaf in leaves])


class _GatedBN(torch.autograd.Function):
    """gate * BN(z) for an affine batch norm, as the batch norm with weight gate * w and bias
    gate * b (no product with the output); keeps z (BN's backward keeps it anyway) and the
    per-channel statistics, and recomputes nothing. BN's backward, run once with dL/dy and the
    scaled weight, gives dz, and the per-channel sums sum_c <grad_out_c, zhat_c> and sum_c
    grad_out_c, from which <grad_out, BN(z)> = sum_c w_c <grad_out_c, zhat_c> + b_c sum grad_out_c
    and the gradients of w and b (the gate times those sums)."""

    @staticmethod
    def forward(ctx, gate, z, weight, bias, bn, unit):
        with torch.no_grad():
            scaled = (weight, bias) if unit else (gate * weight, gate * bias)
            value, mean, invstd, running, training = _batch_norm(bn, z, *scaled)
        ctx.save_for_backward(gate, z, weight, bias)
        ctx.stats, ctx.unit = (mean, invstd, running, training, bn.eps), unit
        return value

    @staticmethod
    def backward(ctx, grad_out):
        gate, z, weight, bias = ctx.saved_tensors
        mean, invstd, (running_mean, running_var), training, eps = ctx.stats
        dz, dw, db = torch.ops.aten.native_batch_norm_backward(
            grad_out, z, _scaled(gate, weight, ctx.unit), running_mean, running_var, mean, invstd, training,
            eps, (ctx.needs_input_grad[1], True, True))
        grad_gate = ((weight * dw).sum() + (bias * db).sum()).reshape(gate.shape) if ctx.needs_input_grad[0] else None
        return (grad_gate, dz, _scaled(gate, dw, ctx.unit) if ctx.needs_input_grad[2] else None,
                _scaled(gate, db, ctx.unit) if ctx.needs_input_grad[3] else None, None, None)


def gated_bn(gate: torch.Tensor, z: torch.Tensor, bn: torch.nn.modules.batchnorm._BatchNorm,
             unit: bool = False) -> torch.Tensor:
    """gate * bn(z) for an affine ``bn`` through ``_GatedBN``."""
    return _GatedBN.apply(gate, z, bn.weight, bn.bias, bn, unit)


def _batch_norm(bn: torch.nn.modules.batchnorm._BatchNorm, z: torch.Tensor, weight: torch.Tensor,
                bias: torch.Tensor):
    """bn(z) with the affine ``weight`` and ``bias``, as the module computes it (running
    statistics updated alike), with the saved statistics its backward needs: (value, mean,
    invstd, (running mean, running var), training)."""
    factor = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats and bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
        factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    training = bn.training or (bn.running_mean is None and bn.running_var is None)
    track = not bn.training or bn.track_running_stats
    running = (bn.running_mean if track else None, bn.running_var if track else None)
    value, mean, invstd = torch.native_batch_norm(z, weight, bias, *running, training, factor, bn.eps)
    return value, mean, invstd, running, training


class _GatedPool(torch.autograd.Function):
    """gate * pool(x) for an average pooling; keeps x (the pooling's backward keeps it) and
    recomputes nothing: <grad_out, pool(x)> = <pool^T(grad_out), x>, and pool^T(grad_out) is
    the pooling's backward, which the input gradient needs anyway."""

    @staticmethod
    def forward(ctx, gate, x, pool, unit):
        with torch.no_grad():
            value = pool(x)
        ctx.save_for_backward(gate, x)
        ctx.unit = unit
        ctx.pool = (_pair(pool.kernel_size), _pair(pool.stride if pool.stride is not None else pool.kernel_size),
                    _pair(pool.padding), pool.ceil_mode, pool.count_include_pad, pool.divisor_override)
        return value if unit else gate * value

    @staticmethod
    def backward(ctx, grad_out):
        gate, x = ctx.saved_tensors
        back = torch.ops.aten.avg_pool2d_backward(grad_out, x, *ctx.pool)
        grad_gate = dot(back, x).reshape(gate.shape) if ctx.needs_input_grad[0] else None
        return grad_gate, _scaled(gate, back, ctx.unit) if ctx.needs_input_grad[1] else None, None, None


class _GatedSkip(torch.autograd.Function):
    """gate * x for a skip connection whose source x is not kept: only ``inputs`` (the
    tensors x's recipe is built from) are kept, and x is recomputed, without a graph, for
    the gate gradient <grad_out, x> alone. The gradient gate * grad_out goes to x itself,
    and flows on through x's own graph; the recomputation is never differentiated."""

    @staticmethod
    def forward(ctx, gate, x, recompute, *inputs):
        ctx.recompute = recompute
        ctx.save_for_backward(gate, *inputs)
        return gate * x

    @staticmethod
    def backward(ctx, grad_out):
        gate, *inputs = ctx.saved_tensors
        grad_gate = None
        if ctx.needs_input_grad[0]:
            with torch.no_grad():
                grad_gate = dot(grad_out, ctx.recompute(*inputs)).reshape(gate.shape)
        return (grad_gate, gate * grad_out if ctx.needs_input_grad[1] else None, None, *[None] * len(inputs))


def tensor_like(x: torch.Tensor) -> tuple[torch.Size, torch.dtype, torch.device, torch.memory_format]:
    """What ``zeros_like`` needs to make zeros like ``x``, without holding ``x``. The memory
    format matters: a channels-last node (the layout the augmented images and the convolutions
    give) summed with a contiguous tensor makes the whole cell contiguous, where CPU pooling
    is about 3x slower."""
    channels_last = memory_order(x) == CHANNELS_LAST_ORDER
    return x.shape, x.dtype, x.device, torch.channels_last if channels_last else torch.contiguous_format


def zeros_like(like: tuple[torch.Size, torch.dtype, torch.device, torch.memory_format]) -> torch.Tensor:
    shape, dtype, device, memory_format = like
    return torch.empty(shape, dtype=dtype, device=device, memory_format=memory_format).zero_()


@dataclass
class Recipe:
    """A node's value as a sum of terms gate * fn(*inputs), built only from tensors other
    functions keep. ``fn`` None: the term is the gate itself (GDAS's skipped operation)."""

    like: tuple[torch.Size, torch.dtype, torch.device, torch.memory_format]  # ``tensor_like``
    terms: list[tuple[torch.Tensor, Callable | None, tuple[torch.Tensor, ...]]] = field(default_factory=list)

    def tensors(self) -> list[torch.Tensor]:
        return [t for gate, _, inputs in self.terms for t in (gate, *inputs)]

    def rebuild(self) -> Callable[..., torch.Tensor]:
        """A function of ``tensors()`` that returns the node's value; it holds no tensor."""
        like = self.like
        plan = [(fn, len(inputs)) for _, fn, inputs in self.terms]

        def value(*flat: torch.Tensor) -> torch.Tensor:
            total, i = zeros_like(like), 0
            for fn, n in plan:
                gate, inputs = flat[i], flat[i + 1:i + 1 + n]
                total = total + (gate if fn is None else gate * fn(*inputs))
                i += 1 + n
            return total
        return value


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def gated_output(gate: torch.Tensor, op: torch.nn.Module, x: torch.Tensor, recipe: Recipe | None,
                 kind: str, unit: bool = False) -> tuple[torch.Tensor, tuple]:
    """(gate * op(x), the term for the target node's recipe). ``kind`` is the operation's
    family ("conv", "pool", "skip", "none"); ``recipe`` says how to recompute x, or None
    when x must be kept; ``unit``: the gate is exactly 1 (a sampled one-hot architecture), so
    the products with it are left out (the same values, bit for bit)."""
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
        if bn.affine:
            out = gated_bn(gate, z, bn, unit)
        else:
            out = _Gated.apply(gate, unit, lambda z, w, b: bn(z), recompute, *inputs)
        return out, (gate, recompute, inputs)
    if kind == "pool":
        if isinstance(op, torch.nn.AvgPool2d):
            return _GatedPool.apply(gate, x, op, unit), (gate, op, (x,))
        return _Gated.apply(gate, unit, op, op, x), (gate, op, (x,))
    if kind == "skip":
        if recipe is None:
            return _GatedSkip.apply(gate, x, _identity, x), (gate, _identity, (x,))
        rebuild, inputs = recipe.rebuild(), tuple(recipe.tensors())
        return _GatedSkip.apply(gate, x, rebuild, *inputs), (gate, rebuild, inputs)
    if kind == "none":
        like = tensor_like(x)
        zeros = lambda: zeros_like(like)  # noqa: E731
        return _Gated.apply(gate, unit, zeros, zeros), None
    raise ValueError(f"kind must be one of conv, pool, skip, none; got {kind!r}")
