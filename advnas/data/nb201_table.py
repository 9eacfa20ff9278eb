"""The NAS-Bench-201 accuracy table and lookups by cell string.

A cell string lists, for nodes 1, 2 and 3, the operation on the edge from every earlier
node ``~0 .. ~k``, with node groups joined by ``+``. The all-3x3 cell (index 1462, CIFAR-10
test accuracy 93.76 after 200 epochs) is::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|
"""

from __future__ import annotations

import functools
import os

import pandas as pd

from .locate import DataError, locate

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_DATASETS = ("cifar10", "cifar100", "imagenet16_120")
COLUMNS = ("index", "arch", *NB201_DATASETS)


@functools.lru_cache(maxsize=4)
def load_nb201_table(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 15,625-row table (columns index, arch, cifar10, cifar100, imagenet16_120; test
    accuracy in %), read from ``locate("nb201", path)``. Cached: copy before modifying."""
    source = locate("nb201", path)
    (table_path,) = source.files.values()
    table = pd.read_csv(table_path)  # gzip or plain, inferred from the suffix
    table.attrs["source"] = f"table {table_path} ({source.origin})"
    if tuple(table.columns) != COLUMNS:
        raise DataError(f"{table_path} has columns {list(table.columns)}; "
                        f"expected {list(COLUMNS)}")
    return table


def nb201_table_source() -> str:
    """Which copy of the table the lookups read: its path and where it was found (after a
    fallback from a corrupt copy, the copy actually used)."""
    return load_nb201_table().attrs["source"]


def check_arch(arch: str) -> str:
    """``arch`` unchanged if it is a well-formed cell string, else a one-line ValueError."""
    if not isinstance(arch, str):
        raise ValueError("arch must be a cell string like "
                         f"'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'; got {arch!r}")
    groups = arch.split("+")
    if len(groups) != 3:
        raise ValueError(f"arch must have 3 node groups joined by '+'; "
                         f"got {len(groups)} in {arch!r}")
    for node, group in enumerate(groups, start=1):
        if len(group) < 2 or group[0] != "|" or group[-1] != "|":
            raise ValueError(f"arch node group {node} must start and end with '|'; "
                             f"got {group!r} in {arch!r}")
        edges = group[1:-1].split("|")
        if len(edges) != node:
            raise ValueError(f"arch node group {node} must have {node} edges; "
                             f"got {len(edges)} in {arch!r}")
        for source, edge in enumerate(edges):
            op, _, index = edge.partition("~")
            if op not in NB201_OPS:
                raise ValueError(f"arch op must be one of {', '.join(NB201_OPS)}; "
                                 f"got {op!r} in {arch!r}")
            if index != str(source):
                raise ValueError(f"arch edge {source + 1} of node group {node} must read input "
                                 f"~{source}; got {edge!r} in {arch!r}")
    return arch


@functools.lru_cache(maxsize=1)
def _by_arch() -> pd.DataFrame:
    return load_nb201_table().set_index("arch")


def nb201_index(arch: str) -> int:
    """The benchmark's index of the cell ``arch``, from the shipped table (an official API
    object: ``nb201_benchmark.as_benchmark(api).index``)."""
    return int(_by_arch().at[check_arch(arch), "index"])


def check_dataset(dataset: str) -> str:
    if dataset not in NB201_DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(NB201_DATASETS)}; got {dataset!r}")
    return dataset


def nb201_accuracy(arch: str, dataset: str = "cifar10") -> float:
    """Test accuracy (%) of ``arch`` after 200 epochs on ``dataset``, averaged over seeds, from
    the shipped table (an official API object: ``nb201_benchmark.as_benchmark(api).accuracy``)."""
    check_dataset(dataset)  # before the table is read
    return float(_by_arch().at[check_arch(arch), dataset])


@functools.lru_cache(maxsize=None)
def _space_accuracies(ops: tuple[str, ...], dataset: str) -> pd.Series:
    """Accuracies of every cell whose six edges use only ``ops``, sorted."""
    table = _by_arch()
    allowed = set(ops)
    in_space = [all(edge.partition("~")[0] in allowed for edge in arch.replace("+", "|").split("|") if edge)
                for arch in table.index]
    return table.loc[in_space, dataset].sort_values().reset_index(drop=True)


def nb201_percentile(arch: str, ops: tuple[str, ...], dataset: str = "cifar10") -> float:
    """The percentile (0-100) of ``arch``'s accuracy among every cell of the space that uses
    only ``ops`` (4**6 = 4,096 cells for the four operations, 5**6 = 15,625 with none): the
    share of those cells that are at most as accurate."""
    accuracy = nb201_accuracy(arch, dataset)
    space = _space_accuracies(tuple(sorted(ops)), dataset)
    return 100.0 * float((space <= accuracy).sum()) / len(space)


def nb201_space_size(ops: tuple[str, ...]) -> int:
    return len(_space_accuracies(tuple(sorted(ops)), "cifar10"))
