"""Data access: files shipped with the package, verified local copies, a mirror named by
``ADVNAS_DATA_DIR``, or downloads.

``locate(dataset)`` returns checksum-verified paths of PTB, the NAS-Bench-201 table,
CIFAR-10, or the samples the smoke profile reads (``cifar10-sample``, ``ptb-sample``);
``load_nb201_table`` / ``nb201_accuracy`` / ``nb201_index`` read the table.
"""

from .locate import (
    ChecksumError,
    DataError,
    DataNotFoundError,
    DataSource,
    file_digest,
    locate,
    sources_used,
)
from .nb201_table import (
    NB201_DATASETS,
    NB201_OPS,
    check_arch,
    load_nb201_table,
    nb201_accuracy,
    nb201_index,
)
from .registry import DATASETS, DataFile, Dataset, Slot

__all__ = [
    "DATASETS", "NB201_DATASETS", "NB201_OPS", "ChecksumError", "DataError", "DataFile",
    "DataNotFoundError", "DataSource", "Dataset", "Slot", "check_arch", "file_digest",
    "load_nb201_table", "locate", "nb201_accuracy", "nb201_index", "sources_used",
]
