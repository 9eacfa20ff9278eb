"""Cut the data samples shipped with advnas (the smoke profile's data) from the full data,
and record their sizes and sha256 in advnas/data/registry.py.

    python scripts/make_samples.py [--from DATA_FOLDER] [--check]

DATA_FOLDER (default: $ADVNAS_DATA_DIR) is laid out like data/. The samples are cut from
cifar10-jpeg/cifar10-jpeg.tar.gz and ptb/ptb.{train,valid,test}.txt, each verified against
the registry's checksum first, and written to advnas/_data/ (package data):

  cifar10-sample/cifar10-sample.tar.gz  the first 50 training and 10 test images of each class
      of the JPEG copy (files 0000.jpg, 0001.jpg, ... in name order), the JPEG files unchanged,
      in its ImageFolder layout (cifar10-sample/<split>/<class>/NNNN.jpg): a ustar archive with
      owner 0, mode 0644 and time 0 for every member, gzipped at level 9 with no name and time 0;
  ptb-sample/ptb-sample.train.txt       the first 2,000 lines of ptb.train.txt;
  ptb-sample/ptb-sample.valid.txt, .test.txt  every line of ptb.valid.txt / ptb.test.txt whose
      words all occur in the training excerpt (the vocabulary is built from the training
      split), in order.

Lines and image files are copied byte for byte, so the same full data gives the same
samples (the gzip stream is the same with the same zlib). --check cuts them into a temporary
folder and compares them with the committed files and the registry (exit status 1 on any
difference) without changing anything.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's advnas, not another installed copy

from advnas import paths  # noqa: E402
from advnas.data import registry  # noqa: E402
from advnas.cifar.data import CLASSES  # noqa: E402
from advnas.data.locate import file_digest  # noqa: E402

BEGIN, END = "# BEGIN SAMPLE CHECKSUMS\n", "# END SAMPLE CHECKSUMS\n"


class SampleError(RuntimeError):
    """A source file is missing or corrupt; one line naming it."""


def verified(root: Path, file: registry.DataFile) -> Path:
    """``root``/relpath when its checksum is the registry's; else a one-line SampleError."""
    path = root / file.relpath
    if not path.is_file():
        raise SampleError(f"{path}: missing (--from must name a folder laid out like data/)")
    got = file_digest(path, file.algorithm)
    if got != file.digest:
        raise SampleError(f"{path}: checksum mismatch, expected {file.algorithm} {file.digest}, got {got}")
    return path


def cifar10_sample(archive: Path) -> bytes:
    """The gzipped tar of the first images of each class and split (see the docstring)."""
    wanted = registry.CIFAR10_SAMPLE_PER_CLASS
    with tarfile.open(archive) as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile() and m.name.endswith(".jpg"))
    chosen: dict[str, str] = {}  # member name -> name in the sample
    taken: dict[tuple[str, str], int] = {}
    for name in names:
        split, label, file = Path(name).parts[-3:]
        if taken.get((split, label), 0) < wanted.get(split, 0):
            taken[(split, label)] = taken.get((split, label), 0) + 1
            chosen[name] = f"cifar10-sample/{split}/{label}/{file}"
    expected = {(split, label) for split in wanted for label in CLASSES}
    if set(taken) != expected or any(taken[k] != wanted[k[0]] for k in expected):
        raise SampleError(f"{archive}: not the ImageFolder layout of the JPEG copy (classes or counts differ)")
    picked: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:  # a second pass in the archive's order: no seeking back
        for member in tar:
            if member.name in chosen:
                picked[chosen[member.name]] = tar.extractfile(member).read()
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(picked.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    zipped = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=zipped, compresslevel=9, mtime=0) as handle:
        handle.write(packed.getvalue())
    return zipped.getvalue()


def ptb_sample(sources: dict[str, Path]) -> dict[str, bytes]:
    """The three excerpts (see the docstring), keyed by split."""
    train = sources["train"].read_bytes().splitlines(keepends=True)[:registry.PTB_SAMPLE_TRAIN_LINES]
    vocabulary = {word for line in train for word in line.split()}
    out = {"train": b"".join(train)}
    for split in ("valid", "test"):
        lines = sources[split].read_bytes().splitlines(keepends=True)
        out[split] = b"".join(line for line in lines if set(line.split()) <= vocabulary)
    return out


def cut(source: Path) -> dict[str, bytes]:
    """Every sample file, keyed by its registry relpath."""
    archive = verified(source, registry.CIFAR10_JPEG)
    ptb = {split: verified(source, file) for split, file in
           zip(("train", "valid", "test"), (slot.choices[0] for slot in registry.PTB.slots))}
    files = {registry.CIFAR10_SAMPLE.relpath: cifar10_sample(archive)}
    for split, data in ptb_sample(ptb).items():
        files[f"ptb-sample/ptb-sample.{split}.txt"] = data
    return files


def checksums_block(files: dict[str, bytes]) -> str:
    lines = [BEGIN, "SAMPLE_CHECKSUMS: dict[str, tuple[int, str]] = {\n"]
    for relpath, data in sorted(files.items()):
        lines.append(f'    "{relpath}": ({len(data)}, "{hashlib.sha256(data).hexdigest()}"),\n')
    return "".join(lines + ["}\n", END])


def write(files: dict[str, bytes], shipped: Path, registry_file: Path) -> None:
    for relpath, data in files.items():
        target = shipped / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        print(f"[make_samples] {target.relative_to(REPO)}: {len(data):,} bytes")
    text = registry_file.read_text()
    block = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not block.search(text):
        raise SampleError(f"{registry_file}: the markers {BEGIN.strip()!r} and {END.strip()!r} are missing")
    registry_file.write_text(block.sub(lambda _: checksums_block(files), text))
    print(f"[make_samples] sizes and sha256 written to {registry_file.relative_to(REPO)}")


def check(files: dict[str, bytes], shipped: Path) -> list[str]:
    """The differences between freshly cut samples and the committed ones (files and registry)."""
    problems = []
    for relpath, data in files.items():
        committed = shipped / relpath
        if not committed.is_file() or committed.read_bytes() != data:
            problems.append(f"{committed.relative_to(REPO)} differs from a fresh cut")
        if registry.SAMPLE_CHECKSUMS.get(relpath) != (len(data), hashlib.sha256(data).hexdigest()):
            problems.append(f"the registry's size or sha256 of {relpath} differs from a fresh cut")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", default=os.environ.get("ADVNAS_DATA_DIR"),
                        help="the full data, laid out like data/ (default: $ADVNAS_DATA_DIR)")
    parser.add_argument("--check", action="store_true", help="compare with the committed samples; change nothing")
    args = parser.parse_args(argv)
    if not args.source:
        print("error: --from must name the full data (laid out like data/); ADVNAS_DATA_DIR is not set",
              file=sys.stderr)
        return 2
    if paths.checkout_root() != REPO:
        print(f"error: advnas was imported from {paths.PACKAGE_DIR}, not from the checkout {REPO}", file=sys.stderr)
        return 2
    try:
        files = cut(Path(args.source).expanduser().resolve())
    except SampleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    shipped = paths.shipped_data_dir()
    if args.check:
        problems = check(files, shipped)
        for problem in problems:
            print(f"[make_samples] {problem}", file=sys.stderr)
        print(f"[make_samples] {len(files)} samples: " + ("differences found" if problems else "identical"))
        return 1 if problems else 0
    write(files, shipped, paths.PACKAGE_DIR / "data" / "registry.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
