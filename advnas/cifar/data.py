"""CIFAR-10 as uint8 tensors in memory, from the official archive or the JPEG copy (or the
sample of the JPEG copy shipped with advnas, the smoke profile's data).

Either source is located and checksum-verified by ``advnas.data.locate``, decoded once and
cached as a ``.pt`` file beside the project's data (keyed by the archive's checksum), so a
search never touches an image file or a worker process. The cache holds plain tensors only
(loaded with ``weights_only=True``) and carries the checksum of its source archive and the
sha256 of its own tensors; both are verified on every load, and a cache that fails either
check is decoded afresh from the (verified) archive. The official archive is read by
``torchvision.datasets.CIFAR10`` (``advnas/cifar/official.py``), which checks each batch
file's md5 before unpickling it; the JPEG copy is decoded here.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_write
from ..data.locate import file_digest, locate
from ..paths import data_dir
from .official import decode_official

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass
class CIFAR10:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 of both splits."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    variant: str  # "official", "jpeg" (a lossy re-encoding: results from it must say so) or "jpeg-sample"


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


CACHE_FORMAT = 2
FIELDS = ("train_images", "train_labels", "test_images", "test_labels")


def tensors_digest(tensors: dict[str, torch.Tensor]) -> str:
    """sha256 of the tensors' names, dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for name in FIELDS:
        t = tensors[name].contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.numpy())  # C-contiguous: hashed in place, no copy
    return digest.hexdigest()


def _read_cache(cache: Path, archive_digest: str) -> dict[str, torch.Tensor] | None:
    """The cached tensors, or None (with a warning) when the cache fails a check."""
    try:
        content = torch.load(cache, weights_only=True, map_location="cpu")
        ok = (isinstance(content, dict) and content.get("format") == CACHE_FORMAT
              and content.get("archive_sha256") == archive_digest
              and isinstance(content.get("tensors"), dict) and set(content["tensors"]) == set(FIELDS)
              and all(isinstance(t, torch.Tensor) for t in content["tensors"].values())
              and tensors_digest(content["tensors"]) == content.get("tensors_sha256"))
        problem = None if ok else "its recorded checksums do not match"
    except Exception as error:
        problem = " ".join(str(error).split())[:160] or type(error).__name__
    if problem is None:
        return content["tensors"]
    warnings.warn(f"the decoded CIFAR-10 cache {cache} failed verification ({problem}); decoding the "
                  "archive afresh", stacklevel=3)
    return None


def decode_archive(archive: Path, variant: str, cache_dir: Path | None = None) -> CIFAR10:
    """Decode ``archive`` once; later calls read the cache named by its checksum (verified). The
    official archive's batches are extracted into ``cache_dir`` too (``advnas/cifar/official.py``)."""
    cache_dir = cache_dir or data_dir() / "cache"
    archive_digest = file_digest(archive)
    cache = cache_dir / f"cifar10-{variant}-{archive_digest[:16]}.pt"
    tensors = _read_cache(cache, archive_digest) if cache.exists() else None
    if tensors is None:
        tensors = (decode_official(archive, cache_dir, archive_digest) if variant == "official"
                   else _decode_jpeg(archive))
        content = {"format": CACHE_FORMAT, "archive_sha256": archive_digest, "variant": variant,
                   "tensors_sha256": tensors_digest(tensors), "tensors": tensors}
        atomic_write(cache, lambda handle: torch.save(content, handle))
    return CIFAR10(**tensors, variant=variant)


def load_cifar10(path: str | Path | None = None, cache_dir: Path | None = None,
                 dataset: str = "cifar10") -> CIFAR10:
    """Locate (and verify) CIFAR-10, then decode it once into memory. ``dataset``:
    "cifar10" (the full dataset) or "cifar10-sample" (the sample shipped with advnas, decoded
    like the JPEG copy; its variant is "jpeg-sample")."""
    if dataset not in ("cifar10", "cifar10-sample"):
        raise ValueError(f"dataset must be cifar10 or cifar10-sample; got {dataset!r}")
    source = locate(dataset, path)
    (archive,) = source.files.values()
    return decode_archive(archive, source.variant, cache_dir)
