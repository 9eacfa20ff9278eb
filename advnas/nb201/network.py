"""The NAS-Bench-201 macro skeleton with one fixed cell (App. D): what the benchmark trained.

stem (3x3 conv, BN) -> N cells (C) -> residual reduction -> N cells (2C) -> residual
reduction -> N cells (4C) -> BN-ReLU -> global average pooling -> linear classifier. A cell
has 4 nodes; node j sums its edges i -> j (i < j). Used here to count the parameters of an
architecture (the paper's "params(MB)": millions of parameters at C = 16, N = 5).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..data.nb201_table import check_arch
from .ops import ReLUConvBN, make_op


def parse_arch(arch: str) -> list[tuple[int, int, str]]:
    """'|op~0|+|op~0|op~1|+|...|' -> [(source, target, op)] for the 6 edges, in string order."""
    check_arch(arch)
    edges = []
    for target, group in enumerate(arch.split("+"), start=1):
        for token in filter(None, group.split("|")):
            op, source = token.split("~")
            edges.append((int(source), target, op))
    return edges


class Cell(nn.Module):
    def __init__(self, arch: str, channels: int):
        super().__init__()
        self.edges = parse_arch(arch)
        self.ops = nn.ModuleList(make_op(op, channels) for _, _, op in self.edges)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            nodes.append(sum(op(nodes[s]) for (s, t, _), op in zip(self.edges, self.ops) if t == target))
        return nodes[3]


class ResidualReduction(nn.Module):
    """NAS-Bench-201's ResNet basic block with stride 2 between stages."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


def skeleton(channels: int, cells_per_stage: int, num_classes: int,
             make_cell: Callable[[int], nn.Module]) -> tuple[nn.Module, list[nn.Module], nn.Module]:
    """(stem, layers, head) of the NB201 macro skeleton; ``make_cell(c)`` builds one cell."""
    stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
    layers, c = [], channels
    for stage in range(3):
        if stage > 0:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers += [make_cell(c) for _ in range(cells_per_stage)]
    head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(c, num_classes))
    return stem, layers, head


class NB201Network(nn.Module):
    def __init__(self, arch: str, channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10):
        super().__init__()
        self.stem, layers, self.head = skeleton(channels, cells_per_stage, num_classes,
                                                lambda c: Cell(arch, c))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)))


def params_mb(arch: str, channels: int = 16, cells_per_stage: int = 5) -> float:
    """Millions of parameters of the network with this cell (the paper's "params(MB)")."""
    return sum(p.numel() for p in NB201Network(arch, channels, cells_per_stage).parameters()) / 1e6
