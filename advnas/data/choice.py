"""The ``data`` setting of the CIFAR-10 and PTB experiments: the full dataset, or the small
sample shipped with advnas (what the smoke profile reads, so that it never needs a mirror or
a download)."""

from __future__ import annotations

from ..config import ConfigError
from .registry import SAMPLES

DATA_CHOICES = ("full", "sample")


def dataset_for(base: str, data: str) -> str:
    """The registry name of ``base`` ("cifar10" or "ptb") under the setting ``data``."""
    if data not in DATA_CHOICES:
        raise ConfigError(f"data must be one of {', '.join(DATA_CHOICES)}; got {data!r}")
    return base if data == "full" else SAMPLES[base]
