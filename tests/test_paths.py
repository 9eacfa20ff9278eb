"""Where advnas reads and writes (advnas/paths.py): a checkout's own folders, else ADVNAS_HOME,
else the platform's cache folder; shipped files from the package."""

from pathlib import Path

import pytest

from advnas import paths
from advnas.config import ConfigError
from advnas.data import registry
from advnas.runlist import notebook
from advnas.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
OVERRIDES = ("ADVNAS_HOME", "ADVNAS_PROJECT_DATA", "ADVNAS_RESULTS_DIR", "ADVNAS_BUILD_DIR", "XDG_CACHE_HOME")


@pytest.fixture
def clean(monkeypatch):
    for variable in OVERRIDES:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def installed(tmp_path, clean):
    """advnas as if installed: its package folder in a site-packages, no checkout around it."""
    clean.setattr(paths, "PACKAGE_DIR", tmp_path / "site-packages" / "advnas")
    return clean


def test_a_checkout_uses_its_own_folders(clean):
    assert paths.checkout_root() == REPO
    assert (paths.data_dir(), paths.results_dir(), paths.build_dir()) == (REPO / "data", REPO / "results",
                                                                         REPO / "build")
    assert ResultsStore().root == REPO / "results"


def test_an_installed_package_uses_advnas_home(tmp_path, installed):
    installed.setenv("ADVNAS_HOME", str(tmp_path / "home"))
    assert paths.checkout_root() is None
    home = tmp_path / "home"
    assert (paths.data_dir(), paths.results_dir(), paths.build_dir()) == (home / "data", home / "results",
                                                                         home / "build")
    assert ResultsStore().root == home / "results"


def test_without_advnas_home_the_platform_cache_folder(tmp_path, installed):
    installed.setenv("HOME", str(tmp_path))
    assert paths.base_dir() == paths.platform_cache_dir()
    assert paths.platform_cache_dir("Linux") == tmp_path / ".cache" / "advnas"
    installed.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.platform_cache_dir("Linux") == tmp_path / "xdg" / "advnas"
    assert paths.platform_cache_dir("Darwin") == tmp_path / "Library" / "Caches" / "advnas"
    installed.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert paths.platform_cache_dir("Windows") == tmp_path / "Local" / "advnas"


def test_one_folder_can_be_moved_and_a_relative_value_is_relative_to_the_working_folder(tmp_path, clean):
    clean.chdir(tmp_path)
    clean.setenv("ADVNAS_RESULTS_DIR", "elsewhere/results")
    assert paths.results_dir() == tmp_path / "elsewhere" / "results"
    assert paths.data_dir() == REPO / "data"


def test_notebooks_and_the_book_need_a_checkout(installed):
    with pytest.raises(ConfigError, match="needs a checkout of the advnas repository") as info:
        notebook("toy").source
    assert "\n" not in str(info.value) and "notebooks/02_toy.ipynb" in str(info.value)


def test_shipped_files_are_package_data():
    shipped = paths.shipped_data_dir()
    assert shipped == REPO / "advnas" / "_data"
    files = [f for d in registry.DATASETS.values() for slot in d.slots for f in slot.choices if f.shipped]
    assert {f.relpath for f in files} >= {registry.NB201_GZ.relpath, registry.CIFAR10_SAMPLE.relpath}
    assert all((shipped / f.relpath).is_file() for f in files)


def test_only_the_paths_module_locates_files_from_its_own_source():
    """Every folder is found through advnas/paths.py (one rule), none next to a module's file."""
    offenders = [str(p.relative_to(REPO)) for p in sorted((REPO / "advnas").rglob("*.py"))
                 if p.name != "paths.py" and "__file__" in p.read_text()]
    assert offenders == []
