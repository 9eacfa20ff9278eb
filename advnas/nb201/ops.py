"""The candidate operations of NAS-Bench-201, as its reference code defines them.

nor_conv_kxk is ReLU -> Conv (no bias) -> BatchNorm; avg_pool_3x3 does not count padding;
skip_connect is the identity; none outputs zeros. (The official AdvantageNAS code differs:
no ReLU, conv biases, padded pooling; official code: cifar10/search.py and discrepancies 2 and 4.)
"""

from __future__ import annotations

import torch
from torch import nn

from .lean import relu_conv

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, conv, bn = self
        return bn(relu_conv(x, conv))  # = bn(conv(relu(x))), keeping x rather than relu(x)


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(name: str, channels: int) -> nn.Module:
    """One candidate operation on an edge of a cell with ``channels`` channels (stride 1)."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"operation must be one of {', '.join(OPS)}; got {name!r}")
