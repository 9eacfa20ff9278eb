"""`pip install .` works: the wheel built from the checkout, installed into a fresh virtual
environment and run from outside the checkout, finds its shipped data (NB201 table, data
samples) as package data and writes its results under ADVNAS_HOME.

No network: the wheel is built without build isolation (setuptools of this environment) and
installed with --no-deps --no-index; the fresh environment sees this environment's
site-packages (torch and the other dependencies) through a .pth file, after its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import advnas

REPO = Path(__file__).resolve().parents[1]
ALL_3X3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
# Variables that would point the installed package back at the checkout or at other folders.
CLEARED = ("PYTHONPATH", "ADVNAS_DATA_DIR", "ADVNAS_PROJECT_DATA", "ADVNAS_RESULTS_DIR", "ADVNAS_BUILD_DIR",
           "ADVNAS_BEHAVIOUR_CACHE", "ADVNAS_HOME", "PIP_INDEX_URL", "PIP_FIND_LINKS")

pytest.importorskip("setuptools", minversion="68", reason="building the wheel offline needs setuptools >= 68")


def _run(argv: list, cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of the fresh environment, its environment variables, a working folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    source = tmp / "source"  # what a source distribution holds: the build never writes into the checkout
    shutil.copytree(REPO / "advnas", source / "advnas", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
          "--wheel-dir", tmp / "wheels", source], tmp, env)
    (wheel,) = (tmp / "wheels").glob("advnas-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp,
                     env).stdout.strip())
    (site / "dependencies-of-the-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel], tmp, env)
    work = tmp / "work"
    work.mkdir()
    env["ADVNAS_HOME"] = str(tmp / "home")
    return python.parent, env, work


def test_the_installed_package_is_not_the_checkout(installed):
    bin_dir, env, work = installed
    where = _run([bin_dir / "python", "-c", "import advnas; print(advnas.__file__)"], work, env).stdout.strip()
    assert not Path(where).resolve().is_relative_to(REPO)
    assert Path(where).resolve().is_relative_to(bin_dir.parent.resolve())


def test_the_console_script_names_itself_and_its_version(installed):
    bin_dir, env, work = installed
    assert _run([bin_dir / "advnas", "--version"], work, env).stdout.strip() == f"advnas {advnas.__version__}"
    assert _run([bin_dir / "advnas", "--help"], work, env).stdout.startswith("usage: advnas ")


def test_an_nb201_lookup_reads_the_shipped_table(installed):
    bin_dir, env, work = installed
    result = json.loads(_run([bin_dir / "advnas", "nb201", "lookup", ALL_3X3, "--json"], work, env).stdout)
    assert result["index"] == 1462 and result["cifar10"] == pytest.approx(93.76)
    assert "shipped with advnas" in result["source"] and str(REPO) not in result["source"]


def test_the_data_samples_are_package_data(installed):
    bin_dir, env, work = installed
    script = ("import json; from advnas.data import locate; "
              "print(json.dumps({n: [locate(n, download=False).origin, *map(str, locate(n).files.values())] "
              "for n in ('cifar10-sample', 'ptb-sample')}))")
    found = json.loads(_run([bin_dir / "python", "-c", script], work, env).stdout)
    for origin, *files in found.values():
        assert origin == "shipped with advnas"
        assert all(Path(f).resolve().is_relative_to(bin_dir.parent.resolve()) for f in files)


def test_a_smoke_toy_search_stores_its_results_under_advnas_home(installed):
    bin_dir, env, work = installed
    summary = json.loads(_run([bin_dir / "advnas", "toy", "--strategy", "advantage", "--seeds", "0", "--iterations",
                               "20", "--profile", "smoke", "--out", "toy-run", "--json"], work, env).stdout)
    assert summary and (work / "toy-run" / "summary.json").is_file()
    in_checkout = REPO / "results" / "toy" / "smoke"
    before = {str(p): p.stat().st_mtime_ns for p in in_checkout.glob("*/summary.json")} if in_checkout.is_dir() else {}
    script = ("from advnas.runlist import notebook; from advnas.toy import experiment; "
              "print(experiment.run_all(notebook('toy').resolve('smoke'), 'smoke').folder)")
    folder = Path(_run([bin_dir / "python", "-c", script], work, env).stdout.strip().splitlines()[-1])
    home = Path(env["ADVNAS_HOME"])
    assert folder.is_relative_to(home / "results" / "toy" / "smoke") and (folder / "summary.json").is_file()
    info = json.loads((folder / "config.json").read_text())
    assert info["git_commit"] == "unknown"  # an installed package is no checkout
    listed = _run([bin_dir / "advnas", "results"], work, env).stdout
    assert "toy/smoke/" in listed and "1 stored results" in listed
    after = {str(p): p.stat().st_mtime_ns for p in in_checkout.glob("*/summary.json")} if in_checkout.is_dir() else {}
    assert after == before  # nothing written into the checkout (its own smoke runs may exist already)


def test_notebook_commands_need_a_checkout_and_say_so_in_one_line(installed):
    bin_dir, env, work = installed
    done = _run([bin_dir / "advnas", "run", "toy", "--profile", "smoke"], work, env, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "needs a checkout" in done.stderr
