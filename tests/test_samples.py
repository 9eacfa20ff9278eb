"""The data samples shipped with advnas: verified like every data file, read by the smoke
profile (never the mirror), recorded as the data a run read, and cut reproducibly from the
full data by scripts/make_samples.py."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from advnas import paths
from advnas.cifar.data import CLASSES, load_cifar10
from advnas.data import file_digest, locate, registry
from advnas.nb201 import experiment as nb201_experiment
from advnas.nb201.search import split
from advnas.ptb import corpus
from advnas.runlist import RUNLIST, notebook
from advnas.store import ResultsStore
from full_data import MIRROR, needs_mirror

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FILES = [f for name in registry.SAMPLES.values() for slot in registry.DATASETS[name].slots
                for f in slot.choices]
DATA_CHAPTERS = [name for name, entry in RUNLIST.items() if "data" in entry.config.__dataclass_fields__]


@pytest.fixture
def no_mirror(tmp_path, monkeypatch):
    """No mirror, an empty project data folder, no downloads: only what advnas ships."""
    monkeypatch.delenv("ADVNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("ADVNAS_PROJECT_DATA", str(tmp_path / "empty"))
    return tmp_path


@pytest.mark.parametrize("file", SAMPLE_FILES, ids=lambda f: f.relpath)
def test_every_sample_is_registered_small_and_verifies(file):
    path = paths.shipped_data_dir() / file.relpath
    assert file.shipped and registry.SAMPLE_CHECKSUMS[file.relpath] == (file.size, file.sha256)
    assert path.stat().st_size == file.size < 1_000_000
    assert file_digest(path) == file.sha256


def test_the_samples_are_found_without_a_mirror(no_mirror):
    for name in registry.SAMPLES.values():
        source = locate(name, download=False)
        assert source.origin == "shipped with advnas"
        assert all(p.is_relative_to(paths.shipped_data_dir()) for p in source.files.values())


def test_a_damaged_sample_is_refused_with_its_path(no_mirror, monkeypatch):
    damaged = no_mirror / "package-data"
    relpath = registry.CIFAR10_SAMPLE.relpath
    (damaged / relpath).parent.mkdir(parents=True)
    (damaged / relpath).write_bytes((paths.shipped_data_dir() / relpath).read_bytes()[:1000])
    monkeypatch.setattr(paths, "shipped_data_dir", lambda: damaged)
    with pytest.raises(Exception, match="checksum mismatch at .*cifar10-sample.tar.gz") as info:
        locate("cifar10-sample", download=False)
    assert type(info.value).__name__ == "ChecksumError" and "\n" not in str(info.value)
    assert "reinstall advnas" in str(info.value)


@pytest.mark.parametrize("name", DATA_CHAPTERS)
def test_the_smoke_profile_reads_the_samples_and_the_others_the_full_data(name):
    entry = notebook(name)
    assert entry.resolve("smoke").data == "sample"
    assert entry.resolve("cpu").data == "full" and entry.resolve("paper").data == "full"
    # a run's identity records the sample; runs of the full data keep the identity they had
    strategy = entry.resolve("cpu").strategies[0]
    assert entry.resolve("smoke").run_config(strategy, 0)["data"] == "sample"
    assert "data" not in entry.resolve("cpu").run_config(strategy, 0)


def test_the_cifar10_sample_is_balanced_and_splits_like_the_full_set(no_mirror):
    cifar = load_cifar10(dataset="cifar10-sample", cache_dir=no_mirror / "cache")
    assert cifar.variant == "jpeg-sample"
    per_class = registry.CIFAR10_SAMPLE_PER_CLASS
    assert cifar.train_labels.bincount().tolist() == [per_class["train"]] * len(CLASSES)
    assert cifar.test_labels.bincount().tolist() == [per_class["test"]] * len(CLASSES)
    cfg = notebook("nb201").resolve("smoke")
    data = split(cifar, cfg, torch.device("cpu"))
    assert len(data.train_labels) == cfg.train_size and len(data.val_labels) == cfg.val_size
    for labels in (data.train_labels, data.val_labels):  # class-interleaved: every class in both halves
        counts = labels.bincount(minlength=len(CLASSES))
        assert int(counts.min()) >= cfg.train_size // len(CLASSES) - 1


def test_the_ptb_sample_is_a_corpus_large_enough_for_the_smoke_profile(no_mirror):
    data = corpus.load(dataset="ptb-sample")  # valid and test words are all in the training vocabulary
    cfg = notebook("ptb").resolve("smoke")
    assert data.n_tokens > 1000
    assert data.train.numel() > 10 * cfg.epoch_tokens
    assert min(data.valid.numel(), data.test.numel()) > max(cfg.eval_tokens, cfg.curve_tokens)


def test_a_smoke_run_records_the_sample_it_read(no_mirror):
    cfg = notebook("nb201").resolve("smoke", {"channels": 2, "train_size": 16, "val_size": 16, "batch": 4,
                                              "epochs": 2, "strategies": ["advantage"]})
    run = nb201_experiment.SEARCHES.run(cfg, "advantage", 0, "smoke", ResultsStore(no_mirror / "results"),
                                        progress=False)
    record = run.info["data_sources"]["cifar10-sample"]["files"][registry.CIFAR10_SAMPLE.relpath]
    assert record["origin"] == "shipped with advnas" and record["sha256"] == registry.CIFAR10_SAMPLE.sha256
    assert run.config["data"] == "sample" and run.summary["data_variant"] == "jpeg-sample"


@needs_mirror("cifar10-jpeg")
@needs_mirror("ptb")
def test_the_samples_are_cut_again_byte_for_byte_from_the_full_data():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "make_samples.py"), "--from", str(MIRROR),
                           "--check"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "identical" in done.stdout
