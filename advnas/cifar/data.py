"""CIFAR-10 as uint8 tensors in memory, from the official archive or the JPEG copy.

Either source is located and checksum-verified by ``advnas.data.locate``, decoded once and
cached as a ``.pt`` file beside the project's data (keyed by the archive's checksum), so a
search never touches an image file or a worker process.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.locate import file_digest, locate, project_data_dir

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass
class CIFAR10:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 of both splits."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    variant: str  # "official" or "jpeg" (a lossy re-encoding: results from it must say so)


def _decode_official(archive: Path) -> dict[str, torch.Tensor]:
    images, labels = {"train": [], "test": []}, {"train": [], "test": []}
    with tarfile.open(archive) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            split = "train" if name.startswith("data_batch") else "test" if name == "test_batch" else None
            if split is None:
                continue
            batch = pickle.load(tar.extractfile(member), encoding="bytes")
            images[split].append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            labels[split].append(np.asarray(batch[b"labels"], dtype=np.int64))
    return {f"{s}_{k}": torch.from_numpy(np.concatenate(v[s]))
            for s in ("train", "test") for k, v in (("images", images), ("labels", labels))}


def _decode_jpeg(archive: Path) -> dict[str, torch.Tensor]:
    """ImageFolder layout inside the archive: <root>/<split>/<class>/<n>.jpg, decoded once."""
    from PIL import Image

    images, labels = {"train": [], "test": []}, {"train": [], "test": []}
    with tarfile.open(archive) as tar:
        for member in sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".jpg")),
                             key=lambda m: m.name):
            parts = Path(member.name).parts
            split, label = parts[-3], CLASSES.index(parts[-2])
            with Image.open(io.BytesIO(tar.extractfile(member).read())) as image:
                images[split].append(np.asarray(image.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1))
            labels[split].append(label)
    return {f"{s}_{k}": torch.from_numpy(np.stack(v[s]) if k == "images" else np.asarray(v[s], dtype=np.int64))
            for s in ("train", "test") for k, v in (("images", images), ("labels", labels))}


def decode_archive(archive: Path, variant: str, cache_dir: Path | None = None) -> CIFAR10:
    """Decode ``archive`` once; later calls read the cache named by its checksum."""
    cache_dir = cache_dir or project_data_dir() / "cache"
    cache = cache_dir / f"cifar10-{variant}-{file_digest(archive)[:16]}.pt"
    if cache.exists():
        tensors = torch.load(cache)
    else:
        tensors = (_decode_official if variant == "official" else _decode_jpeg)(archive)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        torch.save(tensors, tmp)
        tmp.replace(cache)
    return CIFAR10(**tensors, variant=variant)


def load_cifar10(path: str | Path | None = None, cache_dir: Path | None = None) -> CIFAR10:
    """Locate (and verify) CIFAR-10, then decode it once into memory."""
    source = locate("cifar10", path)
    (archive,) = source.files.values()
    return decode_archive(archive, source.variant, cache_dir)
