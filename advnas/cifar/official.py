"""The official CIFAR-10 archive (``cifar-10-python.tar.gz``) read through torchvision.

The archive's checksum is verified by ``advnas.data.locate`` (the registry's md5) before it
gets here. Its batches are extracted once into a cache folder named by the archive's
checksum, ``<cache>/cifar10-official-<digest>/cifar-10-batches-py/``, and read by
``torchvision.datasets.CIFAR10(root, train=..., download=False)``, which checks every
batch file against the md5 published for it before unpickling it (torchvision's
``CIFAR10._check_integrity`` and ``_load_meta``). An extracted copy that fails that check
(altered after extraction) is extracted afresh from the verified archive, once.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import warnings
from pathlib import Path

import numpy as np
import torch

from ..data.locate import DataError

BATCH_FOLDER = "cifar-10-batches-py"  # torchvision's CIFAR10.base_folder
BATCH_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta")


def extract_batches(archive: Path, root: Path) -> Path:
    """``root`` holding ``cifar-10-batches-py/`` with the archive's batch files (extracted unless
    already there). Only those regular files are written, by name, so no member of the archive
    can write outside ``root``; the folder appears complete or not at all."""
    if (root / BATCH_FOLDER).is_dir():
        return root
    tmp = root.with_name(f".{root.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / BATCH_FOLDER).mkdir(parents=True)
    with tarfile.open(archive) as tar:
        for member in tar:  # in archive order: a gzip stream is read once
            folder, _, name = member.name.rpartition("/")
            if member.isfile() and folder.rpartition("/")[2] == BATCH_FOLDER and name in BATCH_FILES:
                (tmp / BATCH_FOLDER / name).write_bytes(tar.extractfile(member).read())
    missing = [name for name in BATCH_FILES if not (tmp / BATCH_FOLDER / name).is_file()]
    if missing:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"{archive} lacks {BATCH_FOLDER}/{', '.join(missing)}; it is not the official CIFAR-10 archive")
    try:
        tmp.rename(root)
    except OSError:  # another process extracted it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def read_batches(root: Path) -> dict[str, torch.Tensor]:
    """Both splits from the extracted batches; RuntimeError when torchvision's md5 check fails."""
    from torchvision.datasets import CIFAR10

    tensors = {}
    for split in ("train", "test"):
        batches = CIFAR10(str(root), train=split == "train", download=False)
        images = np.ascontiguousarray(batches.data.transpose(0, 3, 1, 2))  # torchvision's HWC back to CHW
        tensors[f"{split}_images"] = torch.from_numpy(images)
        tensors[f"{split}_labels"] = torch.as_tensor(batches.targets, dtype=torch.int64)
    return tensors


def decode_official(archive: Path, cache_dir: Path, archive_digest: str) -> dict[str, torch.Tensor]:
    """The images (N, 3, 32, 32) uint8 and labels (N,) int64 of both splits of the (verified)
    official archive."""
    root = extract_batches(archive, cache_dir / f"cifar10-official-{archive_digest[:16]}")
    try:
        return read_batches(root)
    except RuntimeError as error:  # torchvision: "Dataset not found or corrupted", the md5 of a batch
        warnings.warn(f"the extracted CIFAR-10 batches in {root} failed torchvision's checksums ({error}); "
                      "extracting the archive afresh", stacklevel=3)
    shutil.rmtree(root, ignore_errors=True)
    extract_batches(archive, root)
    try:
        return read_batches(root)
    except RuntimeError as error:
        raise DataError(f"the batches of {archive} fail torchvision's checksums ({error}); "
                        "it is not the official CIFAR-10 archive") from None
