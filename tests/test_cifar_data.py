"""CIFAR-10 decoding (on tiny synthetic archives) and batched augmentation."""

import io
import pickle
import tarfile

import numpy as np
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
    def batch(n, seed):
        rng = np.random.default_rng(seed)
        return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(rng.integers(0, 10, n))}
    with tarfile.open(path, "w:gz") as tar:
        for name, content in [("data_batch_1", batch(3, 0)), ("data_batch_2", batch(2, 1)), ("test_batch", batch(4, 2))]:
            data = pickle.dumps(content)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return batch(3, 0)


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


def test_official_archive_layout(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    first = _official_archive(archive)
    data = decode_archive(archive, "official", tmp_path / "cache")
    assert data.train_images.shape == (5, 3, 32, 32) and data.test_images.shape == (4, 3, 32, 32)
    assert torch.equal(data.train_images[0].flatten(), torch.from_numpy(first[b"data"][0]))


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
