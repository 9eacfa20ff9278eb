"""Where NAS-Bench-201 accuracies come from: the shipped table, or an official API object.

Both sources answer the two questions the code asks of the benchmark, behind one interface:
``index(arch)`` (the benchmark's index of a cell) and ``accuracy(arch, dataset)`` (test
accuracy in % after the full 200-epoch schedule, averaged over the trained seeds).

- ``TableBenchmark``: the table shipped in ``data/nb201`` (``advnas/data/nb201_table.py``).
- ``APIBenchmark``: an official API object of the topology space, duck-typed on
  ``query_index_by_arch`` and ``get_more_info``: ``nas_201_api.NASBench201API`` (the
  ``nas-bench-201`` package, D-X-Y/NAS-Bench-201) or NATS-Bench's topology API
  (``nats_bench.create(path, "tss")``, D-X-Y/NATS-Bench), which need not be installed.

Cell strings are the benchmark's own format, ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` with
NAS-Bench-201's operation names (``check_arch``); the search networks write exactly this
(``advnas/nb201/supernet.py``, ``arch_string``), so they pass to the API unchanged.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from .nb201_table import check_arch, check_dataset, nb201_accuracy, nb201_index, nb201_table_source

# the table's column -> the API's dataset name (official code: nas_201_api/api_201.py, get_more_info)
API_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16_120": "ImageNet16-120"}


class TableBenchmark:
    """The shipped table (read on first use)."""

    name = "table"
    source = property(lambda self: nb201_table_source())
    index = staticmethod(nb201_index)
    accuracy = staticmethod(nb201_accuracy)


def _full_schedule_options(get_more_info) -> dict[str, Any]:
    """Keyword arguments of ``get_more_info`` that select the 200-epoch results averaged over
    seeds. nas-bench-201 v2.x and NATS-Bench take ``hp="200"`` (their default is "12"; official
    code: nas_201_api/api_201.py and nats_bench/api_topology.py, get_more_info); nas-bench-201
    v1.x takes ``use_12epochs_result=False`` (nas_201_api/api.py, get_more_info)."""
    try:
        parameters = inspect.signature(get_more_info).parameters
    except (TypeError, ValueError):  # a builtin or C callable: assume the current API
        parameters = {"hp": None}
    if "hp" in parameters:
        return {"hp": "200", "is_random": False}
    if "use_12epochs_result" in parameters:
        return {"use_12epochs_result": False, "is_random": False}
    raise ValueError("benchmark.get_more_info takes neither hp (nas-bench-201 v2, NATS-Bench) nor "
                     "use_12epochs_result (nas-bench-201 v1); cannot select the 200-epoch results")


class APIBenchmark:
    """An official NAS-Bench-201 or NATS-Bench topology API object.

    The accuracy of a cell is ``get_more_info(index, dataset, <200 epochs>, is_random=False)
    ["test-accuracy"]`` with ``index = query_index_by_arch(arch)``: the test set of CIFAR-10
    (``ori-test``) or the test half of CIFAR-100 and ImageNet16-120 (``x-test``), after the
    last epoch, averaged over the trained seeds, as the shipped table was exported
    (data/README.md)."""

    name = "api"

    def __init__(self, api: Any):
        if not is_api(api):
            raise ValueError(f"benchmark must be a NAS-Bench-201 or NATS-Bench topology API object "
                             f"(with query_index_by_arch and get_more_info); got {type(api).__name__}")
        if getattr(api, "is_size", False) is True:
            raise ValueError("benchmark must be a topology-space API (NATS-Bench 'tss'); got the size space")
        self.api = api
        self._options = _full_schedule_options(api.get_more_info)

    @property
    def source(self) -> str:
        filename = getattr(self.api, "filename", None)
        return f"official API {type(self.api).__name__}" + (f" ({filename})" if filename else "")

    def index(self, arch: str) -> int:
        index = self.api.query_index_by_arch(check_arch(arch))
        if not isinstance(index, int) or index < 0:
            raise ValueError(f"arch {arch!r} is not in the benchmark (query_index_by_arch returned {index!r})")
        return index

    def accuracy(self, arch: str, dataset: str = "cifar10") -> float:
        name = API_DATASETS[check_dataset(dataset)]
        info = self.api.get_more_info(self.index(arch), name, **self._options)
        if info.get("test-accuracy") is None:
            raise ValueError(f"the benchmark has no test accuracy of {arch!r} on {name}")
        return float(info["test-accuracy"])


def is_api(obj: Any) -> bool:
    """Whether ``obj`` looks like an official topology API object."""
    return callable(getattr(obj, "query_index_by_arch", None)) and callable(getattr(obj, "get_more_info", None))


def as_benchmark(benchmark: Any = None) -> TableBenchmark | APIBenchmark:
    """``None`` (the shipped table), an adapter of this module (unchanged), or an official API
    object (wrapped); anything else is a one-line ValueError."""
    if benchmark is None:
        return TableBenchmark()
    if isinstance(benchmark, (TableBenchmark, APIBenchmark)):
        return benchmark
    if is_api(benchmark):
        return APIBenchmark(benchmark)
    raise ValueError("benchmark must be None (the shipped table) or a NAS-Bench-201 / NATS-Bench topology API "
                     f"object (with query_index_by_arch and get_more_info); got {type(benchmark).__name__}")


def load_api(path: str | Path) -> APIBenchmark:
    """The official API on a benchmark file: a NAS-Bench-201 ``.pth`` file through
    ``nas_201_api.NASBench201API``, or a NATS-Bench topology file or folder (``NATS-tss-*``)
    through ``nats_bench.create(path, "tss")``. The ``.pth`` file is read by ``torch.load``
    with PyTorch's default, plain data only."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"api file not found: {path}")
    if path.name.startswith("NATS-tss"):
        try:
            import nats_bench
        except ImportError:
            raise ValueError(f"api {path.name} is a NATS-Bench file and needs the nats_bench package: "
                             "pip install nats_bench") from None
        return APIBenchmark(nats_bench.create(str(path), "tss", fast_mode=path.is_dir(), verbose=False))
    if not path.is_file():
        raise ValueError(f"api must be a NAS-Bench-201 .pth file or a NATS-Bench NATS-tss-* file or folder; got {path}")
    try:
        from nas_201_api import NASBench201API
    except ImportError:
        raise ValueError("api needs the nas-bench-201 package: pip install nas-bench-201") from None
    return APIBenchmark(NASBench201API(str(path), verbose=False))
