"""Find a dataset's files, verified by checksum, or download them.

For each file a dataset needs, these places are tried in order, and the first copy whose
checksum matches the registry is used. A copy whose checksum does not match is never used:
the search goes on to the next candidate.

1. ``path``, the explicit argument: a folder laid out like the mirror
   (``<path>/ptb/ptb.train.txt``) or the folder holding the files (``<path>/ptb.train.txt``);
2. the files shipped with advnas (package data, ``advnas/_data/``; only files the registry
   marks as shipped: the NB201 table and the data samples of the smoke profile);
3. the project's data folder: ``data/`` of the checkout, or of the user folder for an
   installed package (``advnas/paths.py``; the environment variable ``ADVNAS_PROJECT_DATA``
   overrides it), same two layouts;
4. the mirror named by the environment variable ``ADVNAS_DATA_DIR`` (a relative value is
   relative to the working directory), same two layouts;
5. a download into the project's data folder (``download=True``, files with a URL
   only). The file is written under a temporary name in its final folder, verified, then
   renamed with ``os.replace``: a half-finished or corrupt download never has the final name.

When a file has alternatives (CIFAR-10: the official archive, then the JPEG copy; NB201:
the gzipped table, then the plain CSV) all alternatives are tried at one place before the
next place: the official archive beats a JPEG copy in the same folder, and any local copy
beats a download.

Every call records the files it returned, where they came from and which copies it passed
over (``sources_used``): the results store writes that record into each run's config.json,
so a result names the copy actually used, also after a fallback from a corrupt copy (which
is also reported as a warning).

Checksums are sha256 (md5 where it is the only one known, as for the official CIFAR-10
archive), read in 1 MiB chunks and cached in-process by (path, size, mtime).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from .registry import DATASETS, DataFile, Slot

SHIPPED = "shipped with advnas"


class DataError(RuntimeError):
    """Data could not be provided; the message is one line saying what was tried."""


class DataNotFoundError(DataError):
    """No copy of a file was found anywhere, and none could be downloaded."""


class ChecksumError(DataError):
    """At least one copy of a file was found, but none had the right checksum."""


@dataclass(frozen=True)
class DataSource:
    """The verified files of a dataset, keyed by file name, and where they came from.

    ``origin`` is "explicit path", "shipped with advnas", "project data/", "ADVNAS_DATA_DIR
    mirror" or "download" (joined with " + " when the files came from several places).
    ``variant`` is "official" or "jpeg" for cifar10, "jpeg-sample" for cifar10-sample, None
    otherwise.
    """

    dataset: str
    files: dict[str, Path]
    origin: str
    variant: str | None = None
    passed_over: tuple[str, ...] = ()  # copies found before the one used, and why they were not used


_DIGESTS: dict[tuple[str, int, int, str], str] = {}


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks; cached by (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, algorithm)
    if key not in _DIGESTS:
        digest = hashlib.new(algorithm)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _mismatch(file: DataFile, path: Path) -> str | None:
    """None when ``path`` has ``file``'s checksum, otherwise what was expected and found."""
    got = file_digest(path, file.algorithm)
    return None if got == file.digest else f"expected {file.algorithm} {file.digest}, got {got}"


@dataclass
class _Report:
    """What happened at each place tried for one file."""

    notes: list[str] = field(default_factory=list)
    corrupt: bool = False

    @property
    def passed_over(self) -> list[str]:
        return [note for note in self.notes if "checksum mismatch" in note]

    def mismatch(self, where: str, problem: str) -> None:
        self.corrupt = True
        self.notes.append(f"{where}: checksum mismatch {problem}")

    def error(self, slot: Slot) -> DataError:
        online = any(f.url for f in slot.choices)
        if all(f.shipped for f in slot.choices):  # a file of the package itself
            how = ("reinstall advnas (the file is part of the package), or regenerate it in a checkout "
                   "with scripts/make_samples.py")
        else:
            how = ("set ADVNAS_DATA_DIR to a folder laid out like the mirror "
                   "(e.g. ADVNAS_DATA_DIR=/path/to/mirror), or pass an explicit path"
                   + (", or go online so it can be downloaded" if online else ""))
        kind = ChecksumError if self.corrupt else DataNotFoundError
        tried = "; ".join(self.notes)
        message = f"{slot.label}: no verified copy. Tried {tried}. To provide it, {how}."
        return kind(" ".join(message.splitlines()))


def _find_in(slot: Slot, where: str, root: Path, report: _Report) -> tuple[DataFile, Path] | None:
    """The first verified alternative of ``slot`` under ``root`` (mirror layout or flat; in
    the shipped files, only the alternatives that are shipped, in the mirror layout)."""
    missing = []
    shipped = where == SHIPPED
    for file in slot.choices:
        if shipped and not file.shipped:
            continue
        for path in dict.fromkeys((root / file.relpath,) if shipped else (root / file.relpath, root / file.name)):
            if not path.is_file():
                missing.append(str(path))
                continue
            try:
                problem = _mismatch(file, path)
            except OSError as exc:
                report.notes.append(f"{where}: unreadable {path}: {exc}")
                continue
            if problem is None:
                return file, path
            report.mismatch(where, f"at {path}: {problem}")
    if missing:
        report.notes.append(f"{where}: missing {', '.join(missing)}")
    return None


def _download(file: DataFile, dest: Path) -> str | None:
    """Download ``file`` to ``dest`` via a temporary name in the same folder with
    torchvision's ``download_url`` (which also checks the md5 when known). Returns None on
    success, otherwise the checksum problem; network and disk errors propagate."""
    from torchvision.datasets.utils import download_url  # heavy import: only when downloading

    dest.parent.mkdir(parents=True, exist_ok=True)
    # Not created in advance: download_url skips the download when the file already exists.
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
    try:
        try:
            download_url(file.url, str(dest.parent), filename=tmp.name, md5=file.md5)
        except RuntimeError:  # torchvision's md5 check failed: describe it with our own check
            if not tmp.is_file():
                raise
        problem = _mismatch(file, tmp)
        if problem is None:
            os.replace(tmp, dest)
        return problem
    finally:
        tmp.unlink(missing_ok=True)


def _download_slot(slot: Slot, allowed: bool, report: _Report) -> tuple[DataFile, Path] | None:
    """The first alternative of ``slot`` that downloads and verifies into the project data/."""
    downloadable = [f for f in slot.choices if f.url]
    if not downloadable:
        report.notes.append("download: no download URL for this file")
    elif not allowed:
        report.notes.append("download: not attempted (download=False)")
    for file in downloadable if allowed else []:
        dest = paths.data_dir() / file.relpath
        try:
            problem = _download(file, dest)
        except (OSError, RuntimeError, ValueError) as exc:
            report.notes.append(f"download {file.url}: download failed: {exc}")
            continue
        if problem is None:
            return file, dest
        report.mismatch(f"download {file.url}", f"of the downloaded file: {problem}")
    return None


def _locate_file(slot: Slot, path: str | os.PathLike | None,
                 download: bool) -> tuple[DataFile, Path, str, list[str]]:
    report = _Report()
    places = [] if path is None else [("explicit path", Path(path).expanduser())]
    if any(f.shipped for f in slot.choices):
        places.append((SHIPPED, paths.shipped_data_dir()))
    places.append(("project data/", paths.data_dir()))
    mirror = os.environ.get("ADVNAS_DATA_DIR")
    if mirror:
        places.append(("ADVNAS_DATA_DIR mirror", Path(mirror).expanduser()))
    for where, root in places:
        if found := _find_in(slot, where, root, report):
            return (*found, where, report.passed_over)
    if not mirror:
        report.notes.append("ADVNAS_DATA_DIR mirror: not set")
    if found := _download_slot(slot, download, report):
        return (*found, "download", report.passed_over)
    raise report.error(slot)


def locate(dataset: str, path: str | os.PathLike | None = None,
           download: bool = True) -> DataSource:
    """Verified paths of every file of ``dataset`` (a name of the registry: "ptb", "nb201",
    "cifar10", or a shipped sample, "ptb-sample" or "cifar10-sample").

    See the module docstring for the search order. Raises ``ValueError`` for an unknown
    dataset, ``ChecksumError`` when a file was found only with a wrong checksum, and
    ``DataNotFoundError`` when it was not found at all.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {dataset!r}")
    found = [_locate_file(slot, path, download) for slot in DATASETS[dataset].slots]
    source = DataSource(
        dataset=dataset,
        files={file.name: p for file, p, _, _ in found},
        origin=" + ".join(dict.fromkeys(where for _, _, where, _ in found)),
        variant=next((file.variant for file, _, _, _ in found if file.variant), None),
        passed_over=tuple(note for *_, notes in found for note in notes),
    )
    for note in source.passed_over:
        warnings.warn(f"{dataset}: a corrupt copy was passed over ({note}); using "
                      f"{', '.join(map(str, source.files.values()))} ({source.origin})", stacklevel=2)
    _USED[dataset] = {
        "files": {file.relpath: {"path": str(p), file.algorithm: file.digest, "origin": where}
                  for file, p, where, _ in found},
        "passed_over": list(source.passed_over),
    }
    return source


_USED: dict[str, dict] = {}


def sources_used() -> dict[str, dict]:
    """Every dataset located by this process so far: for each file, the path actually read,
    its verified checksum and where it came from, and the copies passed over (a copy);
    the latest location of each dataset wins."""
    return json.loads(json.dumps(_USED))
