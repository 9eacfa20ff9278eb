"""A node of the dense mixed operation as one autograd function.

Under dense propagation (DARTS, SNAS, NASP) a node is sum_t a_t O_t(x) over every edge into
it and every operation on the edge: the mixed operation of DARTS's Eq. (2), with the gates a
of the strategy's relaxation. Written term by term (``total + gate * op(x)``) it costs, per
term, a product and a sum in the forward pass and, in the backward pass, a product for
dL/dO_t = a_t dL/dy and a temporary dL/dy * O_t reduced to the gate's gradient
<dL/dy, O_t> (the first-order advantage of Eq. (7), summed over the batch, the positions and
the cells). ``WeightedSum`` does the forward pass in place into one tensor and the gate
gradients as dot products, which allocate nothing; it keeps the same tensors (the O_t, which
the gate gradients need). A convolution's term comes already gated (``lean.gated_bn`` folds
the gate into its batch norm's affine parameters), so neither its product nor its dot is
formed here. Values and gradients equal those of the term-by-term formula up to rounding
(the tests check it).
"""

from __future__ import annotations

import torch

from .lean import dot


class WeightedSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gates: torch.Tensor, index: tuple[tuple[int, int] | None, ...], *outputs: torch.Tensor):
        """sum_t gates[index[t]] * outputs[t]; ``gates`` (edges, ops), ``index`` (edge, op) per
        term, None for a term already multiplied by its gate (its gate gradient formed by the
        function that made it)."""
        ctx.index = index
        ctx.save_for_backward(gates, *[out for (i, out) in zip(index, outputs) if i is not None])
        total = None
        for i, out in zip(index, outputs):
            if i is None:
                total = out.clone() if total is None else total.add_(out)
            elif total is None:
                total = out * gates[i]
            else:
                total.addcmul_(out, gates[i])
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        gates, *outputs = ctx.saved_tensors
        gated = [i for i in ctx.index if i is not None]
        grad_gates = None
        if ctx.needs_input_grad[0] and gated:
            dots = torch.stack([dot(grad, out) for out in outputs])
            rows, cols = (torch.tensor(axis, device=gates.device) for axis in zip(*gated))
            grad_gates = torch.zeros_like(gates).index_put_((rows, cols), dots, accumulate=True)
        grads = [None if not ctx.needs_input_grad[2 + t] else grad if i is None else grad * gates[i]
                 for t, i in enumerate(ctx.index)]
        return (grad_gates, None, *grads)


def weighted_sum(gates: torch.Tensor, index: list[tuple[int, int] | None], outputs: list[torch.Tensor]) -> torch.Tensor:
    """sum_t gates[index[t]] * outputs[t] through ``WeightedSum`` (index None: outputs[t] as it is)."""
    return WeightedSum.apply(gates, tuple(index), *outputs)
