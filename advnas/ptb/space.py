"""The recurrent search space of App. E (official code: ptb/default.py and ptb/cell.py, the model): one cell, 3 intermediate nodes, 6 edges.

Candidate operations, in the official code's index order: identity, tanh, sigmoid, ReLU,
zero. The operation on an edge from node x is the highway unit

    O^j(x) = x + c * (act_j(W^h x) - x),   c = sigmoid(W^c x)            (App. E)

with W^h, W^c shared by the candidates of that edge; O^zero(x) = 0, a true zero output
(decision 11: the official code instead gates the activation only, so its "zero" is the
pass-through (1 - c) * x). Each candidate's output is multiplied by its gate a_ij, so the
gate gradient of the selected operation is <dL/dy_i, O^j(x)>, Eq. (7), summed over time
steps and streams. Intermediate nodes average their incoming edges and the cell output
averages the intermediate nodes, as in the official code (official code: ptb/default.py and ptb/cell.py, the model, decision 11).
"""

from __future__ import annotations

import torch
from torch import nn

OPS = ("identity", "tanh", "sigmoid", "relu", "zero")
ZERO = OPS.index("zero")
N_NODES = 3
# (source, target) in the official order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
EDGES = tuple((s, t) for t in range(1, N_NODES + 1) for s in range(t))
N_EDGES = len(EDGES)
_ACT = {"identity": lambda p: p, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def arch_string(ops: list[int]) -> str:
    """NB201-style genotype: |op~source| per edge, '+' between target nodes (official code: plot_dag.py)."""
    parts, k = [], 0
    for t in range(1, N_NODES + 1):
        parts.append("|" + "|".join(f"{OPS[ops[k + s]]}~{s}" for s in range(t)) + "|")
        k += t
    return "+".join(parts)


def parse_arch(text: str) -> list[int]:
    ops = [OPS.index(tok.split("~")[0]) for tok in text.replace("+", "").split("|") if tok]
    if len(ops) != N_EDGES:
        raise ValueError(f"an architecture has {N_EDGES} edges; got {text!r}")
    return ops


def one_hot_gates(ops: list[int]) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(ops), len(OPS)).float()


class Cell(nn.Module):
    """The gated search cell. ``step`` advances one time step for a (rows, hidden) batch."""

    def __init__(self, hidden: int):
        super().__init__()
        self.hidden = hidden
        # Input node: W^c_in and W^h_in on the concatenation (x_e, h), bias-free (official code: ptb/default.py and ptb/cell.py, the model).
        self.w_in = nn.Parameter(torch.empty(2 * hidden, 2 * hidden))
        # Edges leaving node s: one matrix holding [W^c | W^h] of each, in EDGES order.
        self.out_edges = [[e for e, (s, _) in enumerate(EDGES) if s == src] for src in range(N_NODES)]
        self.w_from = nn.ParameterList(
            nn.Parameter(torch.empty(hidden, 2 * hidden * len(edges))) for edges in self.out_edges)

    def edge_parameters(self, edge: int) -> int:
        return 2 * self.hidden * self.hidden

    def plan(self, gates: torch.Tensor, dense: bool) -> list[list[int]]:
        """Per edge, the operations to compute: all (dense) or those with a nonzero gate in
        any of the stacked architectures (sparse); the zero op is never computed."""
        used = torch.ones_like(gates[0], dtype=torch.bool) if dense else (gates.detach() != 0).any(0)
        return [[j for j in range(len(OPS)) if used[e, j] and j != ZERO] for e in range(N_EDGES)]

    def step(self, x: torch.Tensor, h: torch.Tensor, gates, plan, skipped_ones) -> torch.Tensor:
        """gates[e][j]: a scalar or a (rows, 1) column; skipped_ones[e]: None or the sum of
        the gates of the operations not computed on edge e (GDAS, official code: util.py, Param.update)."""
        H = self.hidden
        c_in, h_in = (torch.cat([x, h], dim=-1) @ self.w_in).split(H, dim=-1)
        nodes = [h + torch.sigmoid(c_in) * (torch.tanh(h_in) - h)]
        incoming: dict[int, list[torch.Tensor]] = {t: [] for t in range(1, N_NODES + 1)}
        for src in range(N_NODES):
            x_s = nodes[src]
            proj = x_s @ self.w_from[src]
            for k, e in enumerate(self.out_edges[src]):
                y = self._edge(x_s, proj[:, 2 * H * k: 2 * H * (k + 1)], gates[e], plan[e])
                if skipped_ones[e] is not None:
                    y = y + skipped_ones[e]
                incoming[EDGES[e][1]].append(y)
            nodes.append(torch.stack(incoming[src + 1]).mean(0))
        return torch.stack(nodes[1:]).mean(0)

    @staticmethod
    def _edge(x, proj, gate, ops) -> torch.Tensor:
        if not ops:
            return torch.zeros_like(x)
        H = x.size(-1)
        c = torch.sigmoid(proj[:, :H])
        pre = proj[:, H:]
        # sum_j a_j (x + c (act_j - x)) = (sum_j a_j)(1 - c) x + c sum_j a_j act_j
        total = sum(gate[j] for j in ops)
        mix = sum(gate[j] * _ACT[OPS[j]](pre) for j in ops)
        return total * (1 - c) * x + c * mix


class LanguageModel(nn.Module):
    """Embedding -> dropout -> cell -> dropout -> linear decoder (no weight tying), all
    parameters U(-init_range, init_range) (official code: ptb/default.py and ptb/cell.py, the model)."""

    def __init__(self, n_tokens: int, hidden: int, dropout: float, init_range: float):
        super().__init__()
        self.embedding = nn.Embedding(n_tokens, hidden)
        self.cell = Cell(hidden)
        self.decoder = nn.Linear(hidden, n_tokens)
        self.dropout = dropout
        for p in self.parameters():
            nn.init.uniform_(p, -init_range, init_range)

    def forward(self, inputs: torch.Tensor, targets: torch.Tensor, h: torch.Tensor, gates: torch.Tensor,
                dense: bool = False, skipped: str = "zero") -> tuple[torch.Tensor, torch.Tensor]:
        """``gates`` (K, E, J): K architectures on the same minibatch (inputs (T, B)).
        Returns the loss of each, shape (K,): per time step the mean cross-entropy over the
        streams, summed over the T steps (official code: ptb/default.py and ptb/cell.py, the model); and the new state (K*B, hidden)."""
        K, (T, B) = gates.shape[0], inputs.shape
        emb = nn.functional.dropout(self.embedding(inputs), self.dropout, self.training)
        if K > 1:
            emb = emb.repeat(1, K, 1)  # rows k*B..(k+1)*B belong to architecture k
            per_row = gates.repeat_interleave(B, dim=0)[:, :, :, None]  # (K*B, E, J, 1)
            g = [[per_row[:, e, j] for j in range(gates.shape[-1])] for e in range(N_EDGES)]
        else:
            g = [[gates[0, e, j] for j in range(gates.shape[-1])] for e in range(N_EDGES)]
        plan = self.cell.plan(gates, dense)
        ones = [None] * N_EDGES
        if skipped == "ones":  # GDAS: an unselected operation contributes gate * ones (official code: util.py, Param.update)
            chosen = gates.detach()[0] != 0  # a selected zero op outputs zero, not ones
            ones = [sum(g[e][j] for j in range(len(OPS)) if j not in plan[e] and not chosen[e, j])
                    for e in range(N_EDGES)]
        outputs = []
        for t in range(T):
            h = self.cell.step(emb[t], h, g, plan, ones)
            outputs.append(h)
        out = nn.functional.dropout(torch.stack(outputs), self.dropout, self.training)
        logits = self.decoder(out)  # (T, K*B, V)
        ce = nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                         targets.repeat(1, K).reshape(-1), reduction="none")
        return ce.view(T, K, B).mean(-1).sum(0), h

    def used_parameters(self, ops: list[int]) -> int:
        """Parameters of the network with the fixed cell ``ops``, counted (decision 17):
        every parameter except W^h, W^c of edges whose operation is zero (never used)."""
        zero_edges = sum(1 for o in ops if o == ZERO)
        total = sum(p.numel() for p in self.parameters())
        return total - zero_edges * self.cell.edge_parameters(0)


def paper_param_formula(ops: list[int], n_tokens: int = 10000, hidden: int = 300) -> float:
    """The official code's accounting, in millions (official code: ptb/custom.py, retraining and evaluation, discrepancy 17):
    (2 V H + 2 H^2 (k + 2)) / 1e6, k = number of edges whose op is not identity."""
    k = sum(1 for o in ops if OPS[o] != "identity")
    return (2 * n_tokens * hidden + 2 * hidden ** 2 * (k + 2)) / 1e6
