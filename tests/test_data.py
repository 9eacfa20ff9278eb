"""The data access layer: lookup order, checksum policy, downloads, the NB201 table."""

import gzip
import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from advnas.data import (
    ChecksumError,
    DataFile,
    Dataset,
    DataNotFoundError,
    Slot,
    file_digest,
    locate,
    nb201_accuracy,
    nb201_index,
)
from advnas.data import registry
from advnas.data.nb201_table import load_nb201_table

from full_data import MIRROR, needs_mirror

ALL_3X3 = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
           "+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
GOOD = b"the right content\n"
BAD = b"the wrong content\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(root: Path, relpath: str, data: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fake_file(relpath: str = "fake/fake.txt", data: bytes = GOOD, **kw) -> DataFile:
    return DataFile(relpath, len(data), sha256(data), "a test file", **kw)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An empty project data/ folder, no mirror, and a one-file dataset "fake"."""
    project = tmp_path / "project"
    monkeypatch.setenv("ADVNAS_PROJECT_DATA", str(project))
    monkeypatch.delenv("ADVNAS_DATA_DIR", raising=False)
    monkeypatch.setitem(registry.DATASETS, "fake", Dataset("fake", "test", (Slot((fake_file(),)),)))
    return tmp_path


def assert_one_line(exc: Exception) -> str:
    message = str(exc)
    assert "\n" not in message and "\r" not in message
    return message


def test_unknown_dataset_is_a_value_error():
    with pytest.raises(ValueError) as info:
        locate("cifar11")
    message = assert_one_line(info.value)
    assert "dataset" in message and "'cifar11'" in message
    assert all(name in message for name in ("ptb", "nb201", "cifar10"))


def test_missing_file_lists_every_place_tried(env):
    with pytest.raises(DataNotFoundError) as info:
        locate("fake", path=env / "explicit")
    message = assert_one_line(info.value)
    assert "fake/fake.txt" in message
    assert f"explicit path: missing {env / 'explicit' / 'fake' / 'fake.txt'}" in message
    assert f"project data/: missing {env / 'project' / 'fake' / 'fake.txt'}" in message
    assert "ADVNAS_DATA_DIR mirror: not set" in message
    assert "download: no download URL" in message
    assert "ADVNAS_DATA_DIR" in message and "explicit path" in message


def test_corrupt_file_raises_checksum_error(env, monkeypatch):
    bad = put(env / "mirror", "fake/fake.txt", BAD)
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(env / "mirror"))
    with pytest.raises(ChecksumError) as info:
        locate("fake")
    message = assert_one_line(info.value)
    expected = f"checksum mismatch at {bad}: expected sha256 {sha256(GOOD)}, got {sha256(BAD)}"
    assert expected in message


def test_corrupt_copies_are_skipped_for_a_good_one(env, monkeypatch):
    put(env / "explicit", "fake/fake.txt", BAD)
    put(env / "project", "fake.txt", BAD)
    good = put(env / "mirror", "fake/fake.txt", GOOD)
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(env / "mirror"))
    source = locate("fake", path=env / "explicit")
    assert source.files == {"fake.txt": good}
    assert source.origin == "ADVNAS_DATA_DIR mirror"


def test_explicit_path_beats_project_data_and_mirror(env, monkeypatch):
    flat = put(env / "explicit", "fake.txt", GOOD)  # the folder holding the file directly
    put(env / "project", "fake/fake.txt", GOOD)
    put(env / "mirror", "fake/fake.txt", GOOD)
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(env / "mirror"))
    assert locate("fake", path=env / "explicit").files == {"fake.txt": flat}
    assert locate("fake").origin == "project data/"


def test_alternatives_are_all_tried_at_a_place_before_the_next(env, monkeypatch):
    official = fake_file("c/official.tgz", b"official", variant="official")
    jpeg = fake_file("c/jpeg.tgz", b"jpeg", variant="jpeg")
    monkeypatch.setitem(registry.DATASETS, "fake", Dataset("fake", "", (Slot((official, jpeg)),)))
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(env / "mirror"))
    put(env / "mirror", official.relpath, b"official")
    put(env / "project", jpeg.relpath, b"jpeg")
    assert locate("fake").variant == "jpeg"  # an earlier place wins over a preferred variant
    put(env / "project", official.relpath, b"official")
    source = locate("fake")
    assert source.variant == "official"
    assert source.files == {"official.tgz": env / "project/c/official.tgz"}


@needs_mirror("ptb")
@needs_mirror("cifar10-jpeg")
@needs_mirror("nb201")
def test_real_mirror_through_the_environment(env, monkeypatch):
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(MIRROR))
    ptb = locate("ptb", download=False)
    assert ptb.origin == "ADVNAS_DATA_DIR mirror"
    assert ptb.files == {f"ptb.{s}.txt": MIRROR / "ptb" / f"ptb.{s}.txt"
                         for s in ("train", "valid", "test")}
    cifar = locate("cifar10", download=False)
    assert cifar.variant == "jpeg"
    assert cifar.files == {"cifar10-jpeg.tar.gz": MIRROR / "cifar10-jpeg/cifar10-jpeg.tar.gz"}
    table = locate("nb201", download=False)
    assert table.origin == "shipped with advnas"  # the shipped table comes before any mirror
    csv = MIRROR / "nb201/nb201_test_accuracy_200ep.csv"
    assert locate("nb201", path=MIRROR, download=False).files == {csv.name: csv}
    assert load_nb201_table(MIRROR / "nb201").equals(load_nb201_table())


def leftovers(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def file_urls(monkeypatch):
    """torchvision's ``download_url``, unchanged except that its transfer function (which
    needs an HTTP response) copies the file a file:// URL names."""
    from torchvision.datasets import utils

    def copy(url: str, filename: str, chunk_size: int = 0) -> None:
        shutil.copyfile(url2pathname(urlparse(url).path), filename)

    monkeypatch.setattr(utils, "_urlretrieve", copy)


def test_download_lands_verified_under_the_final_name(env, monkeypatch, file_urls):
    source = put(env / "server", "fake.txt", GOOD)
    entry = fake_file(url=source.as_uri(), md5=hashlib.md5(GOOD).hexdigest())
    monkeypatch.setitem(registry.DATASETS, "fake", Dataset("fake", "", (Slot((entry,)),)))
    found = locate("fake")
    assert found.origin == "download"
    assert found.files == {"fake.txt": env / "project/fake/fake.txt"}
    assert leftovers(env / "project") == [env / "project/fake/fake.txt"]
    assert found.files["fake.txt"].read_bytes() == GOOD
    assert locate("fake").origin == "project data/"


@pytest.mark.parametrize("md5", [None, hashlib.md5(GOOD).hexdigest()])
def test_bad_download_leaves_no_file(env, monkeypatch, file_urls, md5):
    source = put(env / "server", "fake.txt", BAD)
    entry = fake_file(url=source.as_uri(), md5=md5)
    monkeypatch.setitem(registry.DATASETS, "fake", Dataset("fake", "", (Slot((entry,)),)))
    with pytest.raises(ChecksumError) as info:
        locate("fake")
    message = assert_one_line(info.value)
    assert f"download {source.as_uri()}: checksum mismatch" in message
    assert leftovers(env / "project") == []


def test_failed_or_disabled_download(env, monkeypatch, file_urls):
    entry = fake_file(url=(env / "server/absent.txt").as_uri())
    monkeypatch.setitem(registry.DATASETS, "fake", Dataset("fake", "", (Slot((entry,)),)))
    with pytest.raises(DataNotFoundError) as info:
        locate("fake")
    assert "download failed" in assert_one_line(info.value)
    assert "go online" in str(info.value)
    with pytest.raises(DataNotFoundError, match=r"download: not attempted \(download=False\)"):
        locate("fake", download=False)
    assert leftovers(env / "project") == []


def test_digests_are_cached_by_path_size_and_mtime(tmp_path):
    path = put(tmp_path, "f.bin", GOOD)
    stat = path.stat()
    assert file_digest(path) == sha256(GOOD)
    path.write_bytes(BAD)  # same size; restore the mtime: the cached digest is returned
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_digest(path) == sha256(GOOD)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_digest(path) == sha256(BAD)


def test_shipped_nb201_table_verifies(monkeypatch):
    monkeypatch.delenv("ADVNAS_PROJECT_DATA", raising=False)
    source = locate("nb201", download=False)
    assert source.origin == "shipped with advnas"
    (path,) = source.files.values()
    assert path.name == "nb201_test_accuracy_200ep.csv.gz"
    assert sha256(gzip.decompress(path.read_bytes())) == registry.NB201_CSV.sha256
    assert file_digest(path) == registry.NB201_GZ.sha256


def test_nb201_lookup_matches_the_paper(monkeypatch):
    monkeypatch.delenv("ADVNAS_PROJECT_DATA", raising=False)
    table = load_nb201_table()
    assert table.shape == (15625, 5) and list(table["index"]) == list(range(15625))
    assert nb201_index(ALL_3X3) == 1462
    assert nb201_accuracy(ALL_3X3) == pytest.approx(93.76)
    assert table["cifar10"].max() == pytest.approx(94.37, abs=0.005)
    with pytest.raises(ValueError, match="dataset must be one of cifar10, cifar100, imagenet16"):
        nb201_accuracy(ALL_3X3, "cifar-10")


@pytest.mark.parametrize("arch, problem", [
    ("nor_conv_3x3", "3 node groups"),
    (ALL_3X3.replace("nor_conv_3x3~1|+", "nor_conv_5x5~1|+"), "op must be one of none, skip_"),
    (ALL_3X3.replace("~2|", "~1|"), "must read input ~2"),
    (ALL_3X3[:-1], "must start and end with '|'"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node group 2 must have 2 edges"),
    (ALL_3X3 + "\n", "must start and end"),
    (None, "cell string"),
])
def test_malformed_arch_is_a_value_error(arch, problem):
    with pytest.raises(ValueError, match=problem) as info:
        nb201_index(arch)
    assert_one_line(info.value)
