"""CIFAR-10 decoding (on tiny synthetic archives) and batched augmentation."""

import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest
import torch

from advnas.cifar.augment import augment, normalise
from advnas.cifar.data import CLASSES, decode_archive


def _jpeg_archive(path, per_split=2):
    from PIL import Image

    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in (0, 3):
                for n in range(per_split):
                    buf = io.BytesIO()
                    Image.fromarray(np.full((32, 32, 3), 40 * label + n, np.uint8)).save(buf, "JPEG", quality=95)
                    info = tarfile.TarInfo(f"cifar10-jpeg/{split}/{CLASSES[label]}/{n:04d}.jpg")
                    info.size = len(buf.getvalue())
                    tar.addfile(info, io.BytesIO(buf.getvalue()))


def _official_archive(path):
    """A tiny archive in the official layout: cifar-10-batches-py/ with data_batch_1..5, test_batch
    and batches.meta, pickled with str keys as the official (Python 2) files decode under
    torchvision's encoding="latin1". Returns {file name: (pickled bytes, content)}."""
    def batch(n, seed):
        rng = np.random.default_rng(seed)
        return {"batch_label": f"batch {seed}", "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                "labels": [int(x) for x in rng.integers(0, 10, n)]}
    contents = {f"data_batch_{i}": batch(i, i) for i in range(1, 6)}
    contents["test_batch"] = batch(4, 9)
    contents["batches.meta"] = {"label_names": list(CLASSES), "num_cases_per_batch": 10000, "num_vis": 3072}
    files = {name: (pickle.dumps(content, protocol=2), content) for name, content in contents.items()}
    with tarfile.open(path, "w:gz") as tar:
        for name, (data, _) in files.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        readme = b"<html>not a batch</html>"
        info = tarfile.TarInfo("cifar-10-batches-py/readme.html")
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    return files


@pytest.fixture
def torchvision_knows(monkeypatch):
    """Point torchvision's published md5s of the batch files at those of a test archive, so its
    own integrity check (CIFAR10._check_integrity, _load_meta) runs on the test's files."""
    from torchvision.datasets import CIFAR10 as TorchvisionCIFAR10

    def know(files):
        md5 = {name: hashlib.md5(data).hexdigest() for name, (data, _) in files.items()}
        monkeypatch.setattr(TorchvisionCIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]]
                                                               for i in range(1, 6)])
        monkeypatch.setattr(TorchvisionCIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
        monkeypatch.setattr(TorchvisionCIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                                         "md5": md5["batches.meta"]})
    return know


def test_jpeg_archive_is_decoded_once_and_cached(tmp_path):
    archive = tmp_path / "cifar10-jpeg.tar.gz"
    _jpeg_archive(archive)
    data = decode_archive(archive, "jpeg", tmp_path / "cache")
    assert data.train_images.shape == (4, 3, 32, 32) and data.train_images.dtype == torch.uint8
    assert sorted(data.train_labels.tolist()) == [0, 0, 3, 3] and data.variant == "jpeg"
    assert abs(int(data.test_images[2].float().mean()) - 120) <= 3  # class 3, n = 0: value 120 (lossy)
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1
    again = decode_archive(archive, "jpeg", tmp_path / "cache")
    assert torch.equal(again.train_images, data.train_images)


def test_official_archive_is_read_through_torchvision(tmp_path, torchvision_knows):
    archive = tmp_path / "cifar-10-python.tar.gz"
    files = _official_archive(archive)
    torchvision_knows(files)
    data = decode_archive(archive, "official", tmp_path / "cache")
    train = [files[f"data_batch_{i}"][1] for i in range(1, 6)]
    assert data.train_images.shape == (15, 3, 32, 32) and data.test_images.shape == (4, 3, 32, 32)
    assert data.train_images.dtype == torch.uint8 and data.train_labels.dtype == torch.int64
    expected = np.concatenate([b["data"] for b in train]).reshape(-1, 3, 32, 32)
    assert torch.equal(data.train_images, torch.from_numpy(expected))  # channel-first, file order
    assert data.train_labels.tolist() == [label for b in train for label in b["labels"]]
    assert data.test_labels.tolist() == files["test_batch"][1]["labels"] and data.variant == "official"
    # extracted once into the cache folder (the batch files only), decoded once into the .pt cache
    (extracted,) = (tmp_path / "cache").glob("cifar10-official-*/cifar-10-batches-py")
    assert sorted(p.name for p in extracted.iterdir()) == sorted(files)
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1


def test_official_batches_altered_after_extraction_are_extracted_afresh(tmp_path, torchvision_knows):
    archive = tmp_path / "cifar-10-python.tar.gz"
    files = _official_archive(archive)
    torchvision_knows(files)
    good = decode_archive(archive, "official", tmp_path / "cache")
    (extracted,) = (tmp_path / "cache").glob("cifar10-official-*/cifar-10-batches-py")
    (extracted / "data_batch_3").write_bytes(pickle.dumps({"data": np.zeros((3, 3072), np.uint8), "labels": [0] * 3}))
    for cache in (tmp_path / "cache").glob("*.pt"):
        cache.unlink()  # decode again from the batches
    with pytest.warns(UserWarning, match="failed torchvision's checksums"):
        again = decode_archive(archive, "official", tmp_path / "cache")
    assert torch.equal(again.train_images, good.train_images)
    assert (extracted / "data_batch_3").read_bytes() == files["data_batch_3"][0]


def test_official_archive_with_batches_torchvision_does_not_know_is_refused(tmp_path):
    """torchvision's published md5s hold for the real archive only: a look-alike is refused in one line."""
    from advnas.data import DataError

    archive = tmp_path / "cifar-10-python.tar.gz"
    _official_archive(archive)
    with pytest.warns(UserWarning), pytest.raises(DataError, match="fail torchvision's checksums") as caught:
        decode_archive(archive, "official", tmp_path / "cache")
    assert "\n" not in str(caught.value)


def test_official_archive_without_its_batches_is_refused(tmp_path):
    from advnas.data import DataError

    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(DataError, match="lacks cifar-10-batches-py/data_batch_2"):
        decode_archive(archive, "official", tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("cifar10-official-*"))  # nothing half-extracted


def test_augmentation_crops_flips_and_normalises():
    images = torch.arange(2 * 3 * 32 * 32, dtype=torch.int64).remainder(256).to(torch.uint8).view(2, 3, 32, 32)
    out = augment(images, torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 32, 32) and out.dtype == torch.float32
    # every output is a shifted (and maybe mirrored) window of the zero-padded input
    padded = normalise(torch.nn.functional.pad(images, (4, 4, 4, 4)))
    for i in range(2):
        windows = [padded[i, :, y:y + 32, x:x + 32] for y in range(9) for x in range(9)]
        windows += [w.flip(-1) for w in windows]
        assert any(torch.allclose(out[i], w) for w in windows)


def test_augmentation_flips_about_half_of_a_large_batch():
    images = torch.zeros(4000, 3, 32, 32, dtype=torch.uint8)
    images[..., :16] = 255  # left half white
    out = augment(images, torch.Generator().manual_seed(1))
    flipped = (out[:, 0, 16, 20] > out[:, 0, 16, 10]).float().mean().item()  # right brighter: flipped
    assert abs(flipped - 0.5) < 4 * (0.25 / 4000) ** 0.5
