"""Seed derivation shared by every experiment: independent streams from one trial seed.

``derive_seed("strategy", "advantage", 0)`` hashes "strategy/advantage/0", so each stream
(initial weights, data order, augmentation, the strategy's draws) is reproducible from the
trial seed alone and independent of the others and of the order in which they are made.
"""

from __future__ import annotations

import hashlib
from typing import Any


def derive_seed(*parts: Any) -> int:
    """A 32-bit seed from the parts' text, joined by "/"."""
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)
