"""The full data, for the few tests that need it: the mirror named by ``ADVNAS_DATA_DIR``
(CI sets it). Without it those tests skip and say why; everything else, the smoke notebooks
included, runs on the data shipped with advnas."""

import os
from pathlib import Path

import pytest

MIRROR = Path(os.environ["ADVNAS_DATA_DIR"]).resolve() if os.environ.get("ADVNAS_DATA_DIR") else None


def needs_mirror(relpath: str):
    """Skip unless the mirror holds ``relpath`` (a file or folder laid out like data/)."""
    present = MIRROR is not None and (MIRROR / relpath).exists()
    reason = ("needs the full data: ADVNAS_DATA_DIR is not set" if MIRROR is None
              else f"needs the full data: {relpath} is not in the mirror {MIRROR}")
    return pytest.mark.skipif(not present, reason=reason)
