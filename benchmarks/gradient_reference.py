"""Cost of the gradient study's exact reference (chapter 7): the loss of every cell of the
CIFAR-10 space on one minibatch (``advnas/nb201/cell_enumeration.py``), and the same losses
from one forward pass per cell, measured side by side in one process.

  * on the same sample of cells (blocks of consecutive cells at random places, as the
    enumeration's chunks are; a cell's cost depends on its operations): seconds per cell of
    single forward passes, and of the batched evaluation (the shared first cell, chunks of
    cells with per-cell batch norm) for several chunk sizes: on a CPU large chunks are slower
    per cell (their activations leave the caches), on a GPU faster;
  * the contenders run in turn, in rounds, and each one's median over the rounds is kept:
    the speed-up is the ratio of the medians, measured side by side;
  * seconds for all 4,096 cells at the fastest chunk, at the chapter's size (C = 8, one
    cell per stage, batch 64 at the ``cpu`` profile; target: within 5 minutes on 2 cores).

Both use the same random weights and images; the batched losses are checked against the
single passes on the sample. Results go through the results store
(results/benchmarks/<profile>/gradient-reference-*/).

    python benchmarks/gradient_reference.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored


import pandas as pd
import torch
import torch.nn.functional as F

from advnas import distribution
from advnas.device import default_device, describe
from advnas.nb201.cell_enumeration import all_cells, batched_logits, cell_index, cell_losses, shared_first_cell
from advnas.nb201.supernet import SearchNetwork

SETTINGS = {  # network size, batch, cells timed one by one, chunks tried on a sample of cells, rounds
    "smoke": {"channels": 2, "cells_per_stage": 1, "batch": 4, "sample": 8, "chunks": [1, 64], "chunk_sample": 128,
              "rounds": 1},
    "cpu": {"channels": 8, "cells_per_stage": 1, "batch": 64, "sample": 64, "chunks": [1, 4, 16, 32],
            "chunk_sample": 256, "rounds": 3},
    "paper": {"channels": 16, "cells_per_stage": 5, "batch": 64, "sample": 64, "chunks": [1, 4, 16, 64, 256],
              "chunk_sample": 1024, "rounds": 3},
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
    first = shared_first_cell(model, images, 4)
    single: list[torch.Tensor] = []

    def single_passes():
        with torch.no_grad():
            single[:] = [F.cross_entropy(model(images, distribution.one_hot(c, 4)), labels) for c in single_cells]

    def batched(chunk: int):
        return lambda: [batched_logits(model, images, cells[k:k + chunk], first) for k in range(0, len(cells), chunk)]

    # Rounds in which every contender runs once, in turn: a machine whose load changes slows
    # each contender alike within a round; the medians over rounds are reported.
    rows = []
    for r in range(s["rounds"]):
        rows.append({"round": r, "method": "single forward passes", "chunk": 1,
                     "seconds_per_cell": _stored.timed(single_passes, 1, device) / len(single_cells)})
        for chunk in s["chunks"]:
            rows.append({"round": r, "method": "batched", "chunk": chunk,
                         "seconds_per_cell": _stored.timed(batched(chunk), 1, device) / len(cells)})
    table = pd.DataFrame(rows)
    medians = table.groupby(["method", "chunk"]).seconds_per_cell.median()
    best = int(medians["batched"].idxmin())
    per_cell_single, per_cell_best = float(medians["single forward passes"].iloc[0]), float(medians["batched"][best])
    losses: list[torch.Tensor] = []
    batched_seconds = _stored.timed(lambda: losses.append(cell_losses(model, images, labels, 4, best)), 1, device)
    picked = cell_index(single_cells, 4).cpu()
    error = float((losses[0][picked].float() - torch.stack(single).float().cpu()).abs().max())
    summary = {"device": describe(device), "rounds": s["rounds"], "best_chunk": best,
               "batched_seconds": batched_seconds, "single_seconds_per_cell": per_cell_single,
               "batched_seconds_per_cell": per_cell_best, "single_seconds_all_cells": per_cell_single * 4096,
               # side by side on the same sampled cells, medians over the rounds
               "speedup": per_cell_single / per_cell_best, "max_abs_difference": error,
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
