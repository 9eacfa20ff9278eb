"""Peak memory and time per search iteration of every strategy (and of plain training of one
sampled cell) on the NAS-Bench-201 search network, each in a fresh process (see
advnas/cost/memory.py for how the peak is read on CUDA and on CPU), and how the peak grows
with the number of candidate operations |J| (extra copies of conv 3x3), for AdvantageNAS
and DARTS. AdvantageNAS against plain training is measured on several sampled cells
(``cells``), since a cell's activation memory depends on its operations. Results go through
the results store (results/benchmarks/<profile>/memory-*/).

    python benchmarks/memory.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored


import pandas as pd
from tqdm import tqdm

from advnas import strategies
from advnas.cost import memory

SETTINGS = {  # the paper's network (C = 16, 5 cells per stage, batch 64) except in smoke
    "smoke": {"channels": 4, "cells_per_stage": 1, "batch": 16, "iterations": 1, "extra": [0, 2],
              "trend": ["advantage", "darts"], "cells": [0, 1]},
    "cpu": {"channels": 16, "cells_per_stage": 5, "batch": 64, "iterations": 2, "extra": [0, 1, 2, 4],
            "trend": ["advantage", "darts"], "cells": [0, 1, 2, 3]},
    "paper": {"channels": 16, "cells_per_stage": 5, "batch": 64, "iterations": 10, "extra": [0, 1, 2, 4, 8],
              "trend": ["advantage", "darts", "plain"], "cells": [0, 1, 2, 3, 4, 5, 6, 7]},
}
PROPOSED = strategies.PROPOSED


def measurements(profile: str) -> list[tuple[str, int, int]]:
    """(strategy, extra conv 3x3 copies, cell seed) of every measurement: the paper's eight
    strategies and plain training, the |J| trend, AdvantageNAS against plain on more cells."""
    s = SETTINGS[profile]
    jobs = [(name, 0, 0) for name in [*strategies.names(), memory.PLAIN]]
    jobs += [(name, extra, 0) for extra in s["extra"] if extra for name in s["trend"]]
    jobs += [(name, 0, cell) for cell in s["cells"] if cell for name in (PROPOSED, memory.PLAIN)]
    return jobs


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): what is measured, and the losses of the
    measured iterations at a tiny size."""
    return {"measurements": {p: measurements(p) for p in SETTINGS}, "iterations": memory.golden()}


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    s = SETTINGS[profile]
    size = dict(channels=s["channels"], cells_per_stage=s["cells_per_stage"], batch=s["batch"],
                iterations=s["iterations"])
    jobs = measurements(profile)
    rows = [{**memory.measure(name, extra_conv3x3=extra, cell_seed=cell, **size), "extra_conv3x3": extra,
             "cell_seed": cell} for name, extra, cell in tqdm(jobs, desc="memory", mininterval=2.0)]
    table = pd.DataFrame(rows).drop(columns=["ops"])
    base = table[(table.extra_conv3x3 == 0) & (table.cell_seed == 0)].set_index("strategy")
    cells = table[(table.extra_conv3x3 == 0) & table.strategy.isin([PROPOSED, memory.PLAIN])]
    per_cell = cells.pivot(index="cell_seed", columns="strategy", values="peak_bytes")
    per_cell = (per_cell[PROPOSED] / per_cell[memory.PLAIN])
    dense = base.loc[strategies.DENSE, "peak_bytes"]
    sparse = base.loc[strategies.SPARSE, "peak_bytes"]
    summary = {
        "device": table.device.iloc[0], "method": table.method.iloc[0], **{k: s[k] for k in ("channels",
                                                                                         "cells_per_stage", "batch")},
        "peak_bytes": base.peak_bytes.astype(int).to_dict(),
        "seconds_per_iteration": base.seconds_per_iteration.to_dict(),
        "darts_over_advantage": float(base.at["darts", "peak_bytes"] / base.at[PROPOSED, "peak_bytes"]),
        "dense_over_sparse_median": float(dense.median() / sparse.median()),
        "advantage_over_plain": float(base.at[PROPOSED, "peak_bytes"] / base.at["plain", "peak_bytes"]),
        "advantage_over_plain_per_cell": {int(k): float(v) for k, v in per_cell.items()},
        "advantage_over_plain_max": float(per_cell.max()),
        "targets": {"dense_over_sparse": ">= 3", "advantage_over_plain": "<= 1.1"},
    }
    return table, summary


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("memory", profile, SETTINGS, measure, "memory-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "memory", SETTINGS, measure, "memory-benchmark")
