"""Where computation runs: CUDA when present, CPU otherwise."""

from __future__ import annotations

import os
import platform

import torch


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def describe(device: torch.device | None = None) -> str:
    device = device or default_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work, so that a clock read after it measures it (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
