"""NAS-Bench-201 evaluation of a cell: test accuracy and parameter count.

The accuracy is CIFAR-10 test accuracy after the full 200-epoch schedule, averaged over
the benchmark's seeds, from the table shipped with the package in advnas/_data/nb201 (or
the official API when the user points to its .pth file). The parameter count is computed
from the network itself.
"""

from __future__ import annotations

from pathlib import Path

from ..data.nb201_table import check_arch, nb201_accuracy, nb201_index, nb201_table_source
from .network import params_mb


def _official_api(path: Path, arch: str) -> tuple[int, float]:
    """Index and 200-epoch CIFAR-10 test accuracy from the nas-bench-201 package's API."""
    try:
        from nas_201_api import NASBench201API
    except ImportError:
        raise ValueError("--api needs the nas-bench-201 package: pip install nas-bench-201") from None
    if not path.exists():
        raise ValueError(f"--api file not found: {path}")
    api = NASBench201API(str(path), verbose=False)
    index = api.query_index_by_arch(arch)
    # hp="200": the full schedule, as NB201 API v1.0's default (official code: the decisions page, discrepancy 18)
    info = api.get_more_info(index, "cifar10", hp="200", is_random=False)
    return index, float(info["test-accuracy"])


def lookup(arch: str, api: Path | None = None) -> dict:
    check_arch(arch)
    index, accuracy = (_official_api(api, arch) if api is not None
                       else (nb201_index(arch), nb201_accuracy(arch, "cifar10")))
    return {"arch": arch, "index": index, "cifar10": accuracy, "params_mb": round(params_mb(arch), 6),
            "source": "official API" if api is not None else nb201_table_source()}
