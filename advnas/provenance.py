"""Where a result came from: git commit, library version, code fingerprint, machine."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
import sys
from typing import Any

import torch

from . import __version__, paths
from .device import describe


def git_commit() -> str:
    """The commit of the checkout, with "+dirty" when tracked files outside results/ differ;
    "unknown" for an installed package (no checkout) or without git."""
    root = paths.checkout_root()
    if root is None:
        return "unknown"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short=10", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    try:
        # Stored results are not code: a changed results/ folder does not make a run "dirty".
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"))
    except (OSError, subprocess.CalledProcessError):
        dirty = False
    return commit + ("+dirty" if dirty else "")


@functools.lru_cache(maxsize=None)
def source_hash() -> str:
    """SHA-256 over the library's and (in a checkout) the benchmarks' source text: a record of the
    code that computed a result. Staleness is decided by behaviour (``behaviour.py``), not by it."""
    root = paths.checkout_root()
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")) + (sorted((root / "benchmarks").glob("*.py")) if root else []):
        digest.update(path.relative_to(paths.PACKAGE_DIR.parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]


def environment(device: torch.device | None = None) -> dict[str, Any]:
    return {
        "advnas_version": __version__,
        "git_commit": git_commit(),
        "device": describe(device),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(),
    }
