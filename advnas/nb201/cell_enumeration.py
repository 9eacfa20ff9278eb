"""The loss of every cell of the search space on one minibatch, and the exact gradient of J.

With |J| operations on each of the 6 edges there are |J|^6 cells (4,096 in the space of
Sec. 5.2). For fixed weights w and one fixed minibatch V, the objective of Eq. (3),
J(theta) = E_{a ~ p_theta}[L(a, w; V)], is then a finite sum, and so is its gradient:

    grad_theta J = sum_a p_theta(a) L(a) grad_theta log p_theta(a),
    grad_{theta_i} log p_theta(a) = a_i - mu_i(theta)          (Sec. 4.2, below Eq. 4).

The losses are computed in batches of cells, not one forward pass per cell. The first cell
sees the same input for every cell, so its nodes are computed once per distinct combination
of the edges they depend on (``SharedFirstCell``); after it, the activations of a chunk of
cells are stacked, each edge's operation is applied to the rows of the cells that choose it,
and every batch normalisation normalises each cell's rows with their own statistics, exactly
what a separate forward pass of that cell would do (the search network stays in training
mode, so batch norm always uses batch statistics). Nothing is learnt and no running
statistic moves.
"""

from __future__ import annotations

import contextlib
import types
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from .. import distribution
from ..search.loop import frozen
from .supernet import EDGES, SearchCell, SearchNetwork


def all_cells(n_ops: int, n_edges: int = len(EDGES)) -> torch.Tensor:
    """Every cell as its operation index per edge, shape (n_ops ** n_edges, n_edges), in the
    order of ``distribution.enumerate_architectures`` (edge 0 the most significant digit)."""
    return torch.cartesian_prod(*[torch.arange(n_ops)] * n_edges).reshape(-1, n_edges)


def cell_index(choices: torch.Tensor, n_ops: int) -> torch.Tensor:
    """The row of ``all_cells`` holding each cell in ``choices`` (..., n_edges)."""
    n_edges = choices.shape[-1]
    place = n_ops ** torch.arange(n_edges - 1, -1, -1, device=choices.device)
    return (choices * place).sum(-1)


def _grouped_batch_norm(self: nn.BatchNorm2d, x: torch.Tensor, group: int) -> torch.Tensor:
    """Batch norm in training mode applied to each run of ``group`` consecutive samples on
    its own (per-channel mean and biased variance over the group's samples and positions)."""
    n, c, h, w = x.shape
    grouped = x.reshape(n // group, group, c, h, w)
    var, mean = torch.var_mean(grouped, dim=(1, 3, 4), correction=0, keepdim=True)
    out = (grouped - mean) * torch.rsqrt(var + self.eps)
    if self.affine:
        out = out * self.weight.view(1, 1, c, 1, 1) + self.bias.view(1, 1, c, 1, 1)
    return out.reshape(n, c, h, w)


@contextlib.contextmanager
def _forward_replaced(modules: list[nn.Module], forward: Callable[[nn.Module, torch.Tensor], torch.Tensor]):
    """Inside the block, each of ``modules`` computes ``forward(module, x)`` instead of its class's forward."""
    for module in modules:
        module.forward = types.MethodType(forward, module)
    try:
        yield
    finally:
        for module in modules:
            del module.forward  # back to the class's forward


def grouped_batch_norm(model: nn.Module, group: int) -> contextlib.AbstractContextManager[None]:
    """Inside the block, every BatchNorm2d of ``model`` normalises each run of ``group``
    samples separately and leaves its running statistics alone."""
    return _forward_replaced([m for m in model.modules() if isinstance(m, nn.BatchNorm2d)],
                             lambda self, x: _grouped_batch_norm(self, x, group))


def _cell_forward(cell: SearchCell, x: torch.Tensor, choices: torch.Tensor, batch: int,
                  gates: torch.Tensor | None = None) -> torch.Tensor:
    """The cell for K architectures at once: ``x`` holds K blocks of ``batch`` rows, block k
    belonging to the cell ``choices[k]`` (one operation index per edge). With ``gates``, edge
    e's output of block k is multiplied by ``gates[k, e]`` (the gate of the selected operation,
    a_ij of Eq. 1), differentiably."""
    k_cells, shape = choices.shape[0], x.shape[1:]
    nodes = [x]
    for target in (1, 2, 3):
        total = None
        for e, (source, t) in enumerate(EDGES):
            if t != target:
                continue
            column = choices[:, e]
            src = nodes[source].view(k_cells, batch, *shape)
            if bool((column == column[0]).all()):  # one operation for the whole chunk: no gathering
                out = cell.candidates[e][int(column[0])](nodes[source]).view_as(src)
            else:
                out = torch.zeros_like(src)
                for op_index, op in enumerate(cell.candidates[e]):
                    rows = (column == op_index).nonzero().squeeze(1)
                    if rows.numel():
                        out[rows] = op(src[rows].flatten(0, 1)).view(len(rows), batch, *shape)
            if gates is not None:
                out = out * gates[:, e].view(k_cells, 1, 1, 1, 1)
            total = out if total is None else total + out
        nodes.append(total.flatten(0, 1))
    return nodes[3]


class SharedFirstCell:
    """The first cell of the network for every cell of the space at once, sharing what cells
    have in common: its input is the same for all of them, so node 1 takes |J| values (one per
    operation on edge 0), node 2 |J|^3 and each edge term into node 3 at most |J|^4; only
    their sum, node 3, takes |J|^6 values, assembled per chunk of cells by gathering.

    ``parts`` are the edge terms into node 3: (the edges they depend on, in the order of
    their values' index digits; the values, shape (|J|^len(edges), B, ...))."""

    def __init__(self, cell: SearchCell, x: torch.Tensor, n_ops: int):
        self.n_ops, self.batch = n_ops, x.shape[0]
        nodes: dict[int, tuple[tuple[int, ...], torch.Tensor]] = {0: ((), x[None])}
        for target in (1, 2, 3):
            parts = []
            for e, (source, t) in enumerate(EDGES):
                if t != target:
                    continue
                deps, values = nodes[source]
                rows = values.flatten(0, 1)
                outs = torch.stack([op(rows).view_as(values) for op in cell.candidates[e]], dim=1)
                parts.append(((*deps, e), outs.flatten(0, 1)))
            if target == 3:
                self.parts = parts
            else:
                deps = tuple(sorted({d for part_deps, _ in parts for d in part_deps}))
                combos = torch.zeros(n_ops ** len(deps), len(EDGES), dtype=torch.long, device=x.device)
                combos[:, list(deps)] = all_cells(n_ops, len(deps)).to(x.device)
                nodes[target] = (deps, self._sum(parts, combos))

    def _sum(self, parts, choices: torch.Tensor) -> torch.Tensor:
        total = None
        for deps, values in parts:
            term = values[cell_index(choices[:, list(deps)], self.n_ops)]
            total = term if total is None else total + term
        return total

    def output(self, choices: torch.Tensor) -> torch.Tensor:
        """Node 3 for the cells ``choices`` (K, 6): K blocks of B rows."""
        return self._sum(self.parts, choices).flatten(0, 1)


def _logits(model: SearchNetwork, images: torch.Tensor, choices: torch.Tensor, first: SharedFirstCell | None = None,
            gates: torch.Tensor | None = None) -> torch.Tensor:
    """``batched_logits``'s logits (called inside ``grouped_batch_norm``), with ``_cell_forward``'s gates."""
    batch, k_cells = images.shape[0], choices.shape[0]
    layers = list(model.layers)
    if first is not None:
        h, layers = first.output(choices), layers[1:]
    else:
        h = model.stem(images).repeat(k_cells, 1, 1, 1)
    for layer in layers:
        h = _cell_forward(layer, h, choices, batch, gates) if isinstance(layer, SearchCell) else layer(h)
    return model.head(h).view(k_cells, batch, -1)


@torch.no_grad()
def batched_logits(model: SearchNetwork, images: torch.Tensor, choices: torch.Tensor,
                   first: SharedFirstCell | None = None) -> torch.Tensor:
    """Logits of every cell in ``choices`` (K, 6) on ``images`` (B, ...): shape (K, B, classes).
    Equal (to rounding) to K separate forward passes ``model(images, one_hot(choices[k]))``.
    ``first``: the first cell computed once for all cells (``SharedFirstCell``)."""
    with grouped_batch_norm(model, images.shape[0]):
        return _logits(model, images, choices, first)


def _mean_losses(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy of each cell's block of ``logits`` (K, B, classes): shape (K,)."""
    per_sample = F.cross_entropy(logits.flatten(0, 1), labels.repeat(len(logits)), reduction="none")
    return per_sample.view(len(logits), -1).mean(1)


@torch.no_grad()
def shared_first_cell(model: SearchNetwork, images: torch.Tensor, n_ops: int) -> SharedFirstCell | None:
    """The first cell for every cell at once, when the network starts with a search cell."""
    if not isinstance(model.layers[0], SearchCell):
        return None
    with grouped_batch_norm(model, images.shape[0]):
        return SharedFirstCell(model.layers[0], model.stem(images), n_ops)


def cell_losses(model: SearchNetwork, images: torch.Tensor, labels: torch.Tensor, n_ops: int,
                chunk: int = 32, progress: bool = False) -> torch.Tensor:
    """The mean cross-entropy on (images, labels) of every cell of ``all_cells(n_ops)``, in its
    order, computed ``chunk`` cells at a time."""
    cells = all_cells(n_ops).to(images.device)
    return choice_losses(model, images, labels, cells, chunk, shared_first_cell(model, images, n_ops), progress,
                         desc=f"loss of every cell ({len(cells)})", leave=True)


def per_cell(per_edge: torch.Tensor) -> torch.Tensor:
    """Each cell of ``all_cells``'s entries of ``per_edge`` (|I|, |J|), one per edge: shape
    (|J|^|I|, |I|); with mu(theta), their product is p_theta(a) (Eq. 2)."""
    n_edges, n_ops = per_edge.shape[-2:]
    return per_edge[torch.arange(n_edges, device=per_edge.device), all_cells(n_ops, n_edges).to(per_edge.device)]


def expected_loss(theta: torch.Tensor, losses: torch.Tensor) -> torch.Tensor:
    """J(theta) = sum_a p_theta(a) L(a) (Eq. 3 at fixed w and V); differentiable in theta."""
    log_p = per_cell(torch.log_softmax(theta.double(), dim=-1)).sum(-1)
    return (log_p.exp() * losses.to(theta.device)).sum()


def exact_gradient(theta: torch.Tensor, losses: torch.Tensor) -> torch.Tensor:
    """grad_theta J = sum_a p_theta(a) L(a) (a - mu) as a finite sum, shape (6, |J|).

    Per edge i and operation j: sum over cells with a_i = j of p L, minus mu_ij sum_a p L."""
    n_edges, n_ops = theta.shape[-2:]
    mu = distribution.probabilities(theta.detach().double())
    cells = all_cells(n_ops, n_edges).to(theta.device)
    weighted = per_cell(mu).prod(-1) * losses.to(theta.device)
    chosen = torch.zeros(n_edges, n_ops, dtype=torch.float64, device=theta.device)
    for i in range(n_edges):
        chosen[i].index_add_(0, cells[:, i], weighted)
    return chosen - mu * weighted.sum()


def log_marginal_gradient(theta: torch.Tensor, losses: torch.Tensor) -> torch.Tensor:
    """What PARSEC's weighted samples estimate, as a descent direction:
    -grad_theta log E_{a ~ p_theta}[exp(-L(a))] (Casale et al. 2019), shape (6, |J|)."""
    theta = theta.detach().double().clone().requires_grad_(True)
    log_p = per_cell(torch.log_softmax(theta, dim=-1)).sum(-1)
    objective = -torch.logsumexp(log_p - losses.to(theta.device), dim=0)
    (gradient,) = torch.autograd.grad(objective, theta)
    return gradient


# The losses Eq. (6) needs and the advantage Eq. (7) computes, for every cell ------------------


def edge_output_zeroed(model: SearchNetwork, edge: int) -> contextlib.AbstractContextManager[None]:
    """Inside the block, operation 0 of edge ``edge`` outputs zeros in every search cell of
    ``model`` (all cells share one architecture, Sec. 5.2): a cell choosing operation 0 there is
    the cell (s_i, 0) of Eq. (6), "where the output of the i-th edge is zero"."""
    return _forward_replaced([layer.candidates[edge][0] for layer in model.layers if isinstance(layer, SearchCell)],
                             lambda self, x: torch.zeros_like(x))


@torch.no_grad()
def choice_losses(model: SearchNetwork, images: torch.Tensor, labels: torch.Tensor, choices: torch.Tensor,
                  chunk: int = 32, first: SharedFirstCell | None = None, progress: bool = False,
                  desc: str | None = None, leave: bool = False) -> torch.Tensor:
    """As ``cell_losses``, for the cells ``choices`` (K, 6) only: (K,) float64 on the CPU."""
    losses = torch.empty(len(choices), dtype=torch.float64)
    for start in tqdm(range(0, len(choices), chunk), disable=not progress, mininterval=2.0,
                      desc=desc or f"loss of {len(choices)} cells", leave=leave):
        part = choices[start:start + chunk]
        logits = batched_logits(model, images, part, first)
        losses[start:start + len(part)] = _mean_losses(logits, labels).double().cpu()
    return losses


def zeroed_edge_losses(model: SearchNetwork, images: torch.Tensor, labels: torch.Tensor, n_ops: int,
                       chunk: int = 32, progress: bool = False) -> torch.Tensor:
    """L((s_i, 0)) of Eq. (6) for every cell a of ``all_cells(n_ops)`` and edge i: shape
    (n_ops ** 6, 6) float64, column i the loss of a with edge i's output zero.

    It does not depend on a_i, so per edge only the n_ops ** 5 cells with a_i = 0 are
    evaluated, with operation 0 of edge i outputting zeros (``edge_output_zeroed``), by the
    batched evaluation of ``cell_losses`` (shared first cell, per-cell batch norm)."""
    cells = all_cells(n_ops).to(images.device)
    out = torch.empty(len(cells), len(EDGES), dtype=torch.float64)
    for i in range(len(EDGES)):
        state = cells.clone()
        state[:, i] = 0  # (s_i, a_i = 0) stands for (s_i, 0)
        evaluated = cells[cells[:, i] == 0]
        with edge_output_zeroed(model, i):
            first = shared_first_cell(model, images, n_ops)
            losses = choice_losses(model, images, labels, evaluated, chunk, first, progress)
        table = torch.full((len(cells),), float("nan"), dtype=torch.float64)
        table[cell_index(evaluated, n_ops).cpu()] = losses
        out[:, i] = table[cell_index(state, n_ops).cpu()]
    return out


def advantage_chunk(model: SearchNetwork, images: torch.Tensor, labels: torch.Tensor,
                    choices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(L(a), (K,); the first-order advantage of Eq. (7) in loss units, (K, 6)) of the cells
    ``choices`` (K, 6): one forward and one backward pass for the chunk. Edge i's advantage is
    dL/da_ij at the one-hot a for the selected j, i.e. <dL/dO_i, O_i^j(x)> summed over the
    network's cells, what ``Strategy.per_edge_advantage`` takes from the search's backward."""
    batch, k_cells = images.shape[0], choices.shape[0]
    gates = torch.ones(k_cells, len(EDGES), dtype=images.dtype, device=images.device, requires_grad=True)
    with grouped_batch_norm(model, batch), frozen(model), torch.enable_grad():
        losses = _mean_losses(_logits(model, images, choices, gates=gates), labels)
        (advantage,) = torch.autograd.grad(losses.sum(), gates)
    return losses.detach().double().cpu(), advantage.double().cpu()


def first_order_advantages(model: SearchNetwork, images: torch.Tensor, labels: torch.Tensor, n_ops: int,
                           chunk: int = 8, progress: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(L(a), (n_ops ** 6,); A7, (n_ops ** 6, 6)) for every cell of ``all_cells(n_ops)``, in
    its order: ``advantage_chunk`` over chunks of ``chunk`` cells (no shared first cell: the
    gates of its edges must be the cell's own)."""
    cells = all_cells(n_ops).to(images.device)
    losses = torch.empty(len(cells), dtype=torch.float64)
    advantages = torch.empty(len(cells), len(EDGES), dtype=torch.float64)
    for start in tqdm(range(0, len(cells), chunk), disable=not progress, mininterval=2.0,
                      desc=f"Eq. (7) of every cell ({len(cells)})"):
        stop = min(start + chunk, len(cells))
        losses[start:stop], advantages[start:stop] = advantage_chunk(model, images, labels, cells[start:stop])
    return losses, advantages
