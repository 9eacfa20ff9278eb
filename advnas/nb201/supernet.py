"""The NAS-Bench-201 search network: every edge offers all candidate operations, each
output multiplied by a gate a[edge, op] shared by all cells (one architecture for the whole
network, Sec. 5.2).

Under a sparse strategy an operation with a zero gate is not computed (sparse propagation,
Sec. 3): its gate gradient is 0, or, with ``skipped="ones"`` (GDAS), the sum of dL/d(edge
output). The gate gradient of a computed operation is <dL/d(edge output), O(x)> summed over
the batch, the positions and the cells: the first-order advantage of Eq. (7).

Under sparse propagation, when the gates need a gradient, each gated output goes through
``lean.gated_output``, which keeps only what training the sampled architecture alone keeps.
Dense propagation (and ``lean=False``) sums a node's gated outputs in one autograd function
(``mixing.weighted_sum``), which keeps the outputs O(x) of the skip connections and poolings
for their gate gradients; a convolution's gate is folded into its batch norm
(``lean.gated_bn``), which keeps the batch norm's input only, as plain training does (the
dense methods' own code keeps every O(x)). ``fused=False`` writes the plain formula
``gate * op(x)`` term by term, the reference the tests compare both paths against.
"""

from __future__ import annotations

import torch
from torch import nn

from .lean import Recipe, gated_bn, gated_output, tensor_like
from .mixing import weighted_sum
from .network import skeleton
from .ops import make_op

EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # NB201's edge order (arch string order)
SEARCH_OPS = ("skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")  # App. D, zero removed


def op_kind(name: str) -> str:
    """The family of an operation, as ``lean.gated_output`` needs it."""
    return {"none": "none", "skip_connect": "skip", "avg_pool_3x3": "pool"}.get(name, "conv")


class SearchCell(nn.Module):
    def __init__(self, channels: int, ops: tuple[str, ...]):
        super().__init__()
        self.kinds = tuple(op_kind(op) for op in ops)
        self.candidates = nn.ModuleList(nn.ModuleList(make_op(op, channels) for op in ops) for _ in EDGES)

    def forward(self, x: torch.Tensor, gates: torch.Tensor, computed: list[list[bool]], skipped: str,
                lean: bool = False, unit: list[list[bool]] | None = None,
                fused: bool = False) -> tuple[torch.Tensor, Recipe | None]:
        """The cell's output and, when ``lean``, its recipe. A recipe does not reach back
        into the previous cell (recomputation would chain through the whole network), so a
        skip connection from the cell's input keeps that input. ``unit[e][k]``: the gate is
        exactly 1, so 1 * op(x) is op(x), without the multiply (under ``lean`` the gated
        output leaves out its products with the gate, and still gives the gate its gradient).
        ``fused``: the gated outputs of a node are summed by ``mixing.weighted_sum`` (a zero
        operation's term, 0 with gate gradient 0, left out; a convolution's gated in its batch
        norm, ``lean.gated_bn``, and the ReLU of a node formed, kept and differentiated once for
        all the convolutions that read it).
        The skipped operations' gates (exactly 0, ``skipped="ones"``) are summed as scalars and
        added to the node once."""
        nodes, recipes, graph, relus = [x], [None], gates.requires_grad, {}
        gate = [row.unbind() for row in gates.unbind()]  # gate[e][k]: one view per gate, made at once
        for target in (1, 2, 3):
            total, node_recipe = 0, Recipe(tensor_like(x)) if lean else None
            index, outputs, routed = [], [], None
            for e, (source, t) in enumerate(EDGES):
                if t != target:
                    continue
                for k, op in enumerate(self.candidates[e]):
                    if not computed[e][k]:
                        if skipped == "ones":  # 0 in value; routes sum dL/d(node) to the gate
                            routed = gate[e][k] if routed is None else routed + gate[e][k]
                    elif lean:
                        out, term = gated_output(gate[e][k], op, nodes[source], recipes[source], self.kinds[k],
                                                 unit is not None and unit[e][k])
                        total = total + out
                        if term is not None:
                            node_recipe.terms.append(term)
                    elif unit is not None and unit[e][k] and not graph:
                        total = total + op(nodes[source])  # = 1 * op(x), bit for bit
                    elif fused:
                        if self.kinds[k] == "conv" and op[2].affine:  # gated in its BN; ReLU once per node
                            if source not in relus:
                                relus[source] = torch.relu(nodes[source])
                            index.append(None)
                            outputs.append(gated_bn(gate[e][k], op[1](relus[source]), op[2]))
                        elif self.kinds[k] != "none":
                            index.append((e, k))
                            outputs.append(op(nodes[source]))
                    else:
                        total = total + gate[e][k] * op(nodes[source])
            if outputs:
                total = total + weighted_sum(gates, index, outputs)
            elif isinstance(total, int):  # every term a zero operation's
                total = torch.zeros_like(x)
            if routed is not None:
                total = total + routed
                if lean:
                    node_recipe.terms.append((routed, None, ()))
            nodes.append(total)
            recipes.append(node_recipe)
        return nodes[3], recipes[3]


class SearchNetwork(nn.Module):
    def __init__(self, channels: int = 16, cells_per_stage: int = 5, ops: tuple[str, ...] = SEARCH_OPS,
                 num_classes: int = 10, lean: bool = True, fused: bool = True):
        super().__init__()
        self.ops = tuple(ops)
        self.lean, self.fused = lean, fused
        self.stem, layers, self.head = skeleton(channels, cells_per_stage, num_classes,
                                                lambda c: SearchCell(c, self.ops))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, gates: torch.Tensor, dense: bool = False,
                skipped: str = "zero") -> torch.Tensor:
        """Logits for gates (6, |ops|); ``dense`` computes every operation."""
        if gates.shape != (len(EDGES), len(self.ops)):
            raise ValueError(f"gates must have shape ({len(EDGES)}, {len(self.ops)}); got {tuple(gates.shape)}")
        if skipped not in ("zero", "ones"):
            raise ValueError(f"skipped must be 'zero' or 'ones'; got {skipped!r}")
        nonzero, unit = torch.stack([gates.detach() != 0, gates.detach() == 1]).cpu().tolist()  # one transfer
        computed = [[True] * len(row) for row in nonzero] if dense else nonzero
        graph = gates.requires_grad
        lean = self.lean and not dense and graph
        fused = self.fused and not lean
        h = self.stem(x)
        for layer in self.layers:
            h = (layer(h, gates, computed, skipped, lean, unit, fused)[0] if isinstance(layer, SearchCell)
                 else layer(h))
        return self.head(h)

    def arch_string(self, one_hot: torch.Tensor) -> str:
        """The NB201 string of a one-hot architecture (6, |ops|)."""
        names = [self.ops[k] for k in one_hot.argmax(-1).tolist()]
        groups = [[f"{names[e]}~{s}" for e, (s, t) in enumerate(EDGES) if t == target] for target in (1, 2, 3)]
        return "+".join("|" + "|".join(g) + "|" for g in groups)
