"""Cost of the gradient study's exact reference (chapter 7): the loss of every cell of the
CIFAR-10 space on one minibatch (``advnas/nb201/cell_enumeration.py``), and the same losses
from one forward pass per cell, measured side by side in one process.

  * on the same sample of cells (blocks of consecutive cells at random places, as the
    enumeration's chunks are; a cell's cost depends on its operations): seconds per cell of
    single forward passes, and of the batched evaluation (the shared first cell, chunks of
    cells with per-cell batch norm) for several chunk sizes: on a CPU large chunks are slower
    per cell (their activations leave the caches), on a GPU faster;
  * seconds for all 4,096 cells at the fastest chunk, at the chapter's size (C = 8, one
    cell per stage, batch 64 at the ``cpu`` profile; target: within 5 minutes on 2 cores).

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
from advnas.device import default_device, describe, synchronize
from advnas.nb201.cell_enumeration import all_cells, batched_logits, cell_index, cell_losses, shared_first_cell
from advnas.nb201.supernet import SearchNetwork

SETTINGS = {  # network size, batch, cells timed one by one, chunks tried on a sample of cells
    "smoke": {"channels": 2, "cells_per_stage": 1, "batch": 4, "sample": 8, "chunks": [1, 64], "chunk_sample": 128},
    "cpu": {"channels": 8, "cells_per_stage": 1, "batch": 64, "sample": 64, "chunks": [1, 4, 16, 32],
            "chunk_sample": 256},
    "paper": {"channels": 16, "cells_per_stage": 5, "batch": 64, "sample": 64, "chunks": [1, 4, 16, 64, 256],
              "chunk_sample": 1024},
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
    # The same cells for every contender: blocks of consecutive cells (as the enumeration's
    # chunks are) at random places, since a cell's cost depends on its operations.
    block = max(s["chunks"])
    starts = torch.randperm(4096 // block, generator=torch.Generator().manual_seed(2))[:max(1, s["chunk_sample"] // block)]
    cells = torch.cat([all_cells(4)[int(b) * block:(int(b) + 1) * block] for b in starts]).to(device)
    single_cells = cells[::max(1, len(cells) // s["sample"])]
    rows = []
    synchronize(device)
    start = time.perf_counter()
    with torch.no_grad():
        single = torch.stack([F.cross_entropy(model(images, distribution.one_hot(c, 4)), labels) for c in single_cells])
    synchronize(device)
    per_cell_single = (time.perf_counter() - start) / len(single_cells)
    rows.append({"method": "single forward passes", "chunk": 1, "seconds_per_cell": per_cell_single})
    first = shared_first_cell(model, images, 4)
    for chunk in s["chunks"]:
        synchronize(device)
        start = time.perf_counter()
        for k in range(0, len(cells), chunk):
            batched_logits(model, images, cells[k:k + chunk], first)
        synchronize(device)
        rows.append({"method": "batched", "chunk": chunk, "seconds_per_cell": (time.perf_counter() - start) / len(cells)})
    table = pd.DataFrame(rows)
    best = int(table[table.method == "batched"].sort_values("seconds_per_cell").chunk.iloc[0])
    synchronize(device)
    start = time.perf_counter()
    losses = cell_losses(model, images, labels, 4, best)
    synchronize(device)
    batched_seconds = time.perf_counter() - start
    picked = cell_index(single_cells, 4).cpu()
    error = float((losses[picked].float() - single.float().cpu()).abs().max())
    summary = {"device": describe(device), "best_chunk": best, "batched_seconds": batched_seconds,
               "single_seconds_per_cell": per_cell_single, "single_seconds_all_cells": per_cell_single * 4096,
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
