"""Where advnas reads and writes: one rule, for a checkout and for an installed package.

*Shipped files* (the NAS-Bench-201 table, the data samples of the smoke profile) are package
data in ``advnas/_data/``, read through ``importlib.resources``: a checkout and an installed
wheel hold the same files, and a checkout has them in one place only.

*Data, results and build outputs* go to a *base folder*:

- run from a checkout (the folder above the package holds ``pyproject.toml`` and
  ``notebooks/``): that checkout, so ``data/``, ``results/`` and ``build/`` are the
  repository's own folders;
- otherwise (an installed package): the user folder ``ADVNAS_HOME`` when set, else the
  platform's cache folder: ``$XDG_CACHE_HOME/advnas`` or ``~/.cache/advnas`` on Linux,
  ``~/Library/Caches/advnas`` on macOS, ``%LOCALAPPDATA%\\advnas`` on Windows.

One folder can be moved on its own: ``ADVNAS_PROJECT_DATA`` (data), ``ADVNAS_RESULTS_DIR``
(results), ``ADVNAS_BUILD_DIR`` (build outputs). A relative value is relative to the working
directory. The notebooks and the book's sources exist in a checkout only.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import platform
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED = "_data"  # the package data folder, laid out like a data folder


def checkout_root() -> Path | None:
    """The repository checkout this package runs from, or None for an installed package."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def platform_cache_dir(system: str | None = None) -> Path:
    """The per-user cache folder for advnas on ``system`` (``platform.system()``: "Windows",
    "Darwin", anything else is treated as Linux/Unix); no folder is created."""
    system = system or platform.system()
    if system == "Windows":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "advnas"
    if system == "Darwin":
        return Path.home() / "Library" / "Caches" / "advnas"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "advnas"


def _from_environment(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value).expanduser().absolute() if value else None


def base_dir() -> Path:
    """The checkout when running from one, else the user folder ``ADVNAS_HOME`` or the platform's
    cache folder (see the module docstring)."""
    return checkout_root() or _from_environment("ADVNAS_HOME") or platform_cache_dir()


def _folder(variable: str, name: str) -> Path:
    return _from_environment(variable) or base_dir() / name


def data_dir() -> Path:
    """Where data is looked for and downloaded to: ``data/`` of the base folder."""
    return _folder("ADVNAS_PROJECT_DATA", "data")


def results_dir() -> Path:
    """The results store's root: ``results/`` of the base folder."""
    return _folder("ADVNAS_RESULTS_DIR", "results")


def build_dir() -> Path:
    """Executed notebooks, the staged book, caches: ``build/`` of the base folder."""
    return _folder("ADVNAS_BUILD_DIR", "build")


_EXTRACTED = contextlib.ExitStack()  # only for a package imported from a zip file
atexit.register(_EXTRACTED.close)


@functools.lru_cache(maxsize=1)
def shipped_data_dir() -> Path:
    """The package data folder ``advnas/_data`` as a real folder on disk."""
    folder = resources.files("advnas") / SHIPPED
    if isinstance(folder, Path):
        return folder
    return _EXTRACTED.enter_context(resources.as_file(folder))


def checkout_file(relpath: str, what: str) -> Path:
    """``relpath`` in the checkout; a one-line error when advnas does not run from one."""
    root = checkout_root()
    if root is None:
        from .config import ConfigError

        raise ConfigError(f"{what} needs a checkout of the advnas repository ({relpath} is not part of the "
                          "installed package); run it from a clone of the repository")
    return root / relpath
