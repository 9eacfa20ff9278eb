"""Cost of the gradient study's exact reference (chapter 7): the loss of every cell of the
CIFAR-10 space on one minibatch (``advnas/nb201/cell_enumeration.py``), and the same losses
from one forward pass per cell, measured side by side in one process.

  * seconds for all 4,096 cells, batched (the shared first cell, chunks of cells with
    per-cell batch norm), at the chapter's size (C = 8, one cell per stage, batch 64 at the
    ``cpu`` profile; target: within 5 minutes on 2 cores);
  * seconds per cell of single forward passes, timed on a sample of cells, and the ratio.

Both use the same random weights and images; the batched losses are checked against the
single passes on the sample. Results go through the results store
(results/benchmarks/<profile>/gradient-reference-*/).

    python benchmarks/gradient_reference.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import time

import pandas as pd
import torch
import torch.nn.functional as F

from advnas import distribution
from advnas.device import default_device, describe
from advnas.nb201.cell_enumeration import all_cells, cell_losses
from advnas.nb201.supernet import SearchNetwork

SETTINGS = {  # network size, batch, cells timed one by one, chunk of the batched pass
    "smoke": {"channels": 2, "cells_per_stage": 1, "batch": 4, "sample": 8, "chunk": 256},
    "cpu": {"channels": 8, "cells_per_stage": 1, "batch": 64, "sample": 64, "chunk": 32},
    "paper": {"channels": 16, "cells_per_stage": 5, "batch": 64, "sample": 64, "chunk": 32},
}
TARGET_SECONDS = 300.0


def _network(s: dict, device: torch.device):
    torch.manual_seed(0)
    model = SearchNetwork(s["channels"], s["cells_per_stage"]).to(device).train()
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(s["batch"], 3, 32, 32, generator=generator).to(device)
    labels = torch.randint(0, 10, (s["batch"],), generator=generator).to(device)
    return model, images, labels


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    s, device = SETTINGS[profile], default_device()
    model, images, labels = _network(s, device)
    sample = torch.randperm(4096, generator=torch.Generator().manual_seed(2))[:s["sample"]]
    cells = all_cells(4)[sample].to(device)
    start = time.perf_counter()
    with torch.no_grad():
        single = torch.stack([F.cross_entropy(model(images, distribution.one_hot(c, 4)), labels) for c in cells])
    per_cell_single = (time.perf_counter() - start) / len(cells)
    start = time.perf_counter()
    losses = cell_losses(model, images, labels, 4, s["chunk"])
    batched_seconds = time.perf_counter() - start
    error = float((losses[sample].to(single) - single.double().cpu().to(single)).abs().max())
    table = pd.DataFrame([{"method": "batched (all cells)", "seconds": batched_seconds},
                          {"method": "single forward passes (per cell)", "seconds": per_cell_single}])
    summary = {"device": describe(device), "batched_seconds": batched_seconds,
               "single_seconds_per_cell": per_cell_single,
               "single_seconds_all_cells": per_cell_single * 4096,
               "speedup": per_cell_single * 4096 / batched_seconds, "max_abs_difference": error,
               "target_seconds": TARGET_SECONDS, "within_target": batched_seconds <= TARGET_SECONDS}
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the smoke-size losses of
    the sampled cells."""
    model, images, labels = _network(SETTINGS["smoke"], torch.device("cpu"))
    losses = cell_losses(model, images, labels, 4, 512)
    return {"settings": SETTINGS, "losses": losses[:: 512].tolist()}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("gradient-reference", profile, SETTINGS, measure, "gradient-reference-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "gradient-reference", SETTINGS, measure, "gradient-reference-benchmark")
