"""NAS-Bench-201 evaluation of a cell: test accuracy and parameter count.

The accuracy is CIFAR-10 test accuracy after the full 200-epoch schedule, averaged over
the benchmark's seeds, from the table shipped with the package in advnas/_data/nb201, or from
the official API when the user points to its benchmark file or passes an API object
(``advnas/data/nb201_benchmark.py``). The parameter count is computed from the network itself.
"""

from __future__ import annotations

import os
from typing import Any

from ..data.nb201_benchmark import as_benchmark, load_api
from ..data.nb201_table import check_arch
from .network import params_mb


def lookup(arch: str, api: str | os.PathLike | Any = None) -> dict:
    """Index, CIFAR-10 accuracy and params(MB) of ``arch``. ``api``: None (the shipped table),
    the path of an official benchmark file, or an official API object."""
    check_arch(arch)
    benchmark = load_api(api) if isinstance(api, (str, os.PathLike)) else as_benchmark(api)
    return {"arch": arch, "index": benchmark.index(arch), "cifar10": benchmark.accuracy(arch, "cifar10"),
            "params_mb": round(params_mb(arch), 6), "source": benchmark.source}
