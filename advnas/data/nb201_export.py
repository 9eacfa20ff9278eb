"""Rebuild the shipped NAS-Bench-201 table from an official benchmark file, and compare tables.

The shipped table (data/README.md) holds, for every cell in the benchmark's index order,
``index, arch, cifar10, cifar100, imagenet16_120``: the test accuracy (%) after the full
200-epoch schedule, averaged over the trained seeds, written with four decimals.
``export_table`` computes the same columns through the official API
(``advnas/data/nb201_benchmark.py``); ``compare_tables`` lists the rows where two tables
differ. ``scripts/export_nb201_table.py`` is the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .nb201_benchmark import APIBenchmark, as_benchmark
from .nb201_table import COLUMNS, NB201_DATASETS, check_arch

FLOAT_FORMAT = "%.4f"  # the shipped CSV's precision


def evaluated_indexes(api: Any) -> list[int]:
    """The indexes the API holds results for: ``evaluated_indexes`` (every index in the
    official files; filled lazily by NATS-Bench's fast mode, then every index of the space)."""
    indexes = getattr(api, "evaluated_indexes", None)
    return sorted(indexes) if indexes else list(range(len(api)))


def export_table(benchmark: Any, progress: bool = False) -> pd.DataFrame:
    """The table's rows for every evaluated cell of ``benchmark`` (an official API object or its
    adapter), in index order. Checks that each cell's string maps back to its own index."""
    adapter = as_benchmark(benchmark)
    if not isinstance(adapter, APIBenchmark):
        raise ValueError("benchmark must be an official NAS-Bench-201 / NATS-Bench topology API object; "
                         "got the shipped table")
    api = adapter.api
    indexes = evaluated_indexes(api)
    if progress:
        from tqdm.auto import tqdm

        indexes = tqdm(indexes, desc="cells", unit="cell")
    rows = []
    for index in indexes:
        arch = check_arch(api[index])
        if adapter.index(arch) != index:
            raise ValueError(f"the benchmark maps cell {index} ({arch}) to index {adapter.index(arch)}")
        rows.append({"index": index, "arch": arch,
                     **{dataset: adapter.accuracy(arch, dataset) for dataset in NB201_DATASETS}})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """The table as the shipped CSV is written: four decimals, no index column."""
    path = Path(path)
    table.to_csv(path, index=False, float_format=FLOAT_FORMAT)
    return path


def compare_tables(exported: pd.DataFrame, reference: pd.DataFrame, tolerance: float = 1e-3,
                   partial: bool = False) -> list[str]:
    """One line per difference: a cell whose string or accuracy (beyond ``tolerance``
    percentage points) differs, a cell in one table only. ``partial``: the exported table
    covers some cells only, and the reference's other cells are not differences."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be a number >= 0 (percentage points); got {tolerance!r}")
    ours, theirs = exported.set_index("index"), reference.set_index("index")
    problems = [f"index {i}: only in the exported table" for i in ours.index.difference(theirs.index)]
    if not partial:
        problems += [f"index {i}: missing from the exported table" for i in theirs.index.difference(ours.index)]
    for index in ours.index.intersection(theirs.index):
        mine, shipped = ours.loc[index], theirs.loc[index]
        if mine["arch"] != shipped["arch"]:
            problems.append(f"index {index}: arch {mine['arch']} here, {shipped['arch']} in the reference")
            continue
        for dataset in NB201_DATASETS:
            if not abs(float(mine[dataset]) - float(shipped[dataset])) <= tolerance:
                problems.append(f"index {index} {dataset}: {float(mine[dataset]):.4f} here, "
                                f"{float(shipped[dataset]):.4f} in the reference")
    return problems
