"""Penn Treebank (Mikolov's version) as token streams (Sec. 5.3; official code: ptb/ptb.py).

Every line gets an ``<eos>`` at its end; the vocabulary (10,000 words) is built from the
training split in order of first appearance. The files come from ``advnas.data.locate``,
which verifies their checksums (mirror, project data/ or a download; the smoke profile's
excerpts are shipped with advnas).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..data import locate

SPLITS = ("train", "valid", "test")
EOS = "<eos>"


def read_words(path: Path) -> list[str]:
    words: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            words += line.split() + [EOS]
    return words


@dataclass
class Corpus:
    vocab: list[str]
    train: torch.Tensor  # int64 token ids
    valid: torch.Tensor
    test: torch.Tensor

    @property
    def n_tokens(self) -> int:
        return len(self.vocab)

    def split(self, name: str) -> torch.Tensor:
        if name not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {name!r}")
        return getattr(self, name)


def build(words: dict[str, list[str]]) -> Corpus:
    """Vocabulary from train (first appearance); valid/test words must be in it."""
    index: dict[str, int] = {}
    for w in words["train"]:
        index.setdefault(w, len(index))
    ids = {}
    for split in SPLITS:
        missing = next((w for w in words[split] if w not in index), None)
        if missing is not None:
            raise ValueError(f"word {missing!r} of the {split} split is not in the training vocabulary")
        ids[split] = torch.tensor([index[w] for w in words[split]], dtype=torch.long)
    return Corpus(list(index), ids["train"], ids["valid"], ids["test"])


_CACHE: dict[tuple, Corpus] = {}


def load(path=None, dataset: str = "ptb") -> Corpus:
    """The verified PTB corpus (cached in-process per set of files). ``dataset``: "ptb" (the
    full corpus) or "ptb-sample" (the excerpts shipped with advnas)."""
    if dataset not in ("ptb", "ptb-sample"):
        raise ValueError(f"dataset must be ptb or ptb-sample; got {dataset!r}")
    source = locate(dataset, path)
    key = tuple(sorted((n, str(p), p.stat().st_mtime) for n, p in source.files.items()))
    if key not in _CACHE:
        _CACHE[key] = build({s: read_words(source.files[f"{dataset}.{s}.txt"]) for s in SPLITS})
    return _CACHE[key]


def batchify(tokens: torch.Tensor, streams: int) -> torch.Tensor:
    """(T, streams): ``streams`` parallel streams, stream k starting at offset k * T
    (official code: ptb/ptb.py, ParallelSequentialIterator); the tail that does not fill a row is dropped."""
    length = tokens.numel() // streams
    if length < 2:
        raise ValueError(f"{tokens.numel()} tokens are too few for {streams} streams")
    return tokens[: length * streams].view(streams, length).t().contiguous()


def chunks(data: torch.Tensor, bptt: int, limit_tokens: int = 0, epoch: int = 0):
    """(input, target) pairs of at most ``bptt`` time steps for truncated backpropagation
    through time, over the whole of ``data`` (T, streams). With ``limit_tokens`` > 0 an
    epoch is about that many target tokens, and epoch e continues where epoch e - 1
    stopped, wrapping around at the end of the streams."""
    steps = data.size(0) - 1
    if limit_tokens <= 0:
        starts = range(0, steps, bptt)
    else:
        per_epoch = -(-min(steps, max(1, limit_tokens // data.size(1))) // bptt)
        whole = -(-steps // bptt)
        starts = [((epoch * per_epoch + k) % whole) * bptt for k in range(per_epoch)]
    for start in starts:
        n = min(bptt, steps - start)
        yield data[start:start + n], data[start + 1:start + 1 + n]


def n_chunks(data: torch.Tensor, bptt: int, limit_tokens: int = 0) -> int:
    """Chunks per epoch (see ``chunks``)."""
    steps = data.size(0) - 1
    if limit_tokens > 0:
        steps = min(steps, max(1, limit_tokens // data.size(1)))
    return -(-steps // bptt)
