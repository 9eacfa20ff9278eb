"""Batched CIFAR-10 augmentation on the device: 4-pixel zero padding, random 32x32 crop,
horizontal flip (App. D), then per-channel normalisation. No per-image Python."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
PAD = 4
SIZE = 32


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, 32, 32) -> float, scaled to [0, 1] and standardised per channel."""
    x = images.to(torch.get_default_dtype()).div_(255)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def augment(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random crop after 4-pixel padding and random horizontal flip, for a whole batch.

    ``images`` is uint8 (B, 3, 32, 32) on any device; returns normalised float images."""
    b = images.shape[0]
    padded = F.pad(images, (PAD, PAD, PAD, PAD))  # zeros, as torchvision's RandomCrop(32, 4)
    dev = images.device
    dy = torch.randint(0, 2 * PAD + 1, (b,), generator=generator, device=dev)
    dx = torch.randint(0, 2 * PAD + 1, (b,), generator=generator, device=dev)
    flip = torch.rand(b, generator=generator, device=dev) < 0.5
    steps = torch.arange(SIZE, device=dev)
    rows = (dy[:, None] + steps)[:, :, None]  # (B, 32, 1)
    cols = dx[:, None] + steps
    cols = torch.where(flip[:, None], cols.flip(-1), cols)[:, None, :]  # (B, 1, 32)
    batch = torch.arange(b, device=dev)[:, None, None]
    crops = padded.permute(0, 2, 3, 1)[batch, rows, cols]  # (B, 32, 32, 3)
    return normalise(crops.permute(0, 3, 1, 2))
