"""A node of the dense mixed operation as one autograd function.

Under dense propagation (DARTS, SNAS, NASP) a node is sum_t a_t O_t(x) over every edge into
it and every operation on the edge: the mixed operation of DARTS's Eq. (2), with the gates a
of the strategy's relaxation. Written term by term (``total + gate * op(x)``) it costs, per
term, a product and a sum in the forward pass and, in the backward pass, a product for
dL/dO_t = a_t dL/dy and a temporary dL/dy * O_t reduced to the gate's gradient
<dL/dy, O_t> (the first-order advantage of Eq. (7), summed over the batch, the positions and
the cells). ``WeightedSum`` does the forward pass in place into one tensor and the gate
gradients as dot products, which allocate nothing; it keeps the same tensors (the O_t, which
the gate gradients need). Values and gradients equal those of the term-by-term formula up
to rounding (the tests check it).
"""

from __future__ import annotations

import torch

from .lean import dot


class WeightedSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gates: torch.Tensor, index: tuple[tuple[int, int], ...], *outputs: torch.Tensor):
        """sum_t gates[index[t]] * outputs[t]; ``gates`` (edges, ops), ``index`` (edge, op) per term."""
        ctx.index = index
        ctx.save_for_backward(gates, *outputs)
        total = None
        for (e, k), out in zip(index, outputs):
            if total is None:
                total = out * gates[e, k]
            else:
                total.addcmul_(out, gates[e, k])
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        gates, *outputs = ctx.saved_tensors
        grad_gates = None
        if ctx.needs_input_grad[0]:
            dots = torch.stack([dot(grad, out) for out in outputs])
            rows, cols = (torch.tensor(axis, device=gates.device) for axis in zip(*ctx.index))
            grad_gates = torch.zeros_like(gates).index_put_((rows, cols), dots, accumulate=True)
        grads = [grad * gates[e, k] if ctx.needs_input_grad[2 + t] else None for t, (e, k) in enumerate(ctx.index)]
        return (grad_gates, None, *grads)


def weighted_sum(gates: torch.Tensor, index: list[tuple[int, int]], outputs: list[torch.Tensor]) -> torch.Tensor:
    """sum_t gates[index[t]] * outputs[t] through ``WeightedSum``."""
    return WeightedSum.apply(gates, tuple(index), *outputs)
