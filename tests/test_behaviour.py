"""Behaviour fingerprints: results go stale when what an experiment computes changes, not
when its source text does (advnas/behaviour.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from advnas import behaviour, paths, provenance
from advnas.store import ResultsStore

ROOT = paths.checkout_root()


@pytest.mark.parametrize("name", list(behaviour.GOLDEN))
def test_the_committed_reference_matches_the_code(name):
    """After a deliberate change of behaviour: python -m advnas results --update-reference."""
    outputs = behaviour.run_golden(name)
    reference = behaviour.reference()[name]
    assert behaviour.same_outputs(outputs, reference["outputs"]), f"golden run of {name} changed"
    assert behaviour.digest_of(name, outputs) == reference["digest"]


def test_rounding_noise_keeps_the_digest_and_real_changes_do_not():
    reference = behaviour.reference()["nb201"]
    outputs = json.loads(json.dumps(reference["outputs"]))
    key = next(iter(outputs))
    rows = outputs[key]["rows"]
    rows[-1]["entropy"] *= 1 + 1e-13  # another platform's last bits
    assert behaviour.digest_of("nb201", outputs) == reference["digest"]
    rows[-1]["entropy"] *= 1 + 1e-6  # a different computation
    assert behaviour.digest_of("nb201", outputs) != reference["digest"]
    rows[-1]["entropy"] = reference["outputs"][key]["rows"][-1]["entropy"]
    rows[-1]["argmax_arch"] = rows[-1]["argmax_arch"].replace("skip_connect", "avg_pool_3x3", 1) + "x"
    assert behaviour.digest_of("nb201", outputs) != reference["digest"]


def test_every_stored_result_is_fresh():
    stale = [str(r.folder.relative_to(ROOT)) for r in ResultsStore(ROOT / "results").finished_runs()
             if r.is_stale()]
    assert not stale, f"stale results (recompute them): {stale}"


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "advnas", copy / "advnas", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "benchmarks", copy / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")  # a checkout (advnas/paths.py)
    (copy / "notebooks").mkdir()
    return copy


def _staleness_in(copy: Path, run_folder: Path) -> dict:
    """Today's nb201 digest, source hash and the stored run's staleness, under the code in ``copy``."""
    script = ("import json; from advnas import behaviour, provenance; from advnas.store import Run; "
              f"run = Run.load(__import__('pathlib').Path({str(run_folder)!r})); "
              "print(json.dumps({'digest': behaviour.digest('nb201'), 'source': provenance.source_hash(), "
              "'stale': run.is_stale()}))")
    env = {**os.environ, "PYTHONPATH": str(copy), "ADVNAS_BEHAVIOUR_CACHE": str(copy / "cache.json")}
    done = subprocess.run([sys.executable, "-c", script], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def stored_run(tmp_path) -> Path:
    """A stored CIFAR-10 result that records today's nb201 digest."""
    folder = tmp_path / "results" / "nb201" / "cpu" / "demo-0"
    folder.mkdir(parents=True)
    info = {"name": "demo", "profile": "cpu", "config": {}, "finished_at": "",
            "behaviour": {"experiment": "nb201", "digest": behaviour.reference()["nb201"]["digest"]}}
    (folder / "config.json").write_text(json.dumps(info))
    (folder / "summary.json").write_text("{}")
    return folder


def test_comments_and_moved_code_keep_results_fresh(tmp_path, stored_run):
    copy = _copy(tmp_path)
    loop = copy / "advnas" / "search" / "loop.py"
    text = loop.read_text().replace('"""Algorithm 1:', '"""(Reworded.) Algorithm 1:', 1)
    # move a helper to the end of the file and add a comment: same behaviour, other text
    start, end = text.index("def rng_state"), text.index("def set_rng_state")
    text = text[:start] + text[end:] + "\n\n# moved here\n" + text[start:end]
    loop.write_text(text)
    result = _staleness_in(copy, stored_run)
    assert result["source"] != provenance.source_hash()
    assert result["digest"] == behaviour.reference()["nb201"]["digest"] and not result["stale"]


def test_a_change_to_what_a_search_computes_makes_results_stale(tmp_path, stored_run):
    copy = _copy(tmp_path)
    optim = copy / "advnas" / "search" / "optim.py"
    text = optim.read_text()
    assert "(1 + math.cos(math.pi * min(max(epoch, 0), horizon) / horizon)) / 2" in text
    optim.write_text(text.replace("horizon) / horizon)) / 2", "horizon) / horizon)) / 2.5"))
    result = _staleness_in(copy, stored_run)
    assert result["digest"] != behaviour.reference()["nb201"]["digest"] and result["stale"]


def _strategy_run(tmp_path: Path, strategy: str) -> Path:
    """A stored one-strategy CIFAR-10 result recording today's digest of its strategy's part."""
    folder = tmp_path / "results" / "nb201" / "cpu" / f"{strategy}-0"
    folder.mkdir(parents=True)
    part = behaviour.part_of(behaviour.reference()["nb201"]["outputs"], strategy)
    info = {"name": strategy, "profile": "cpu", "config": {"strategies": [strategy]}, "finished_at": "",
            "behaviour": {"experiment": "nb201", "digest": behaviour.hash_outputs(part), "part": strategy}}
    (folder / "config.json").write_text(json.dumps(info))
    (folder / "summary.json").write_text("{}")
    return folder


def test_a_change_to_one_strategy_makes_only_its_results_stale(tmp_path):
    copy = _copy(tmp_path)
    relaxed = copy / "advnas" / "strategies" / "relaxed.py"
    text = relaxed.read_text()
    assert "tau = cosine_temperature(" in text
    relaxed.write_text(text.replace("tau = cosine_temperature(", "tau = 0.9 * cosine_temperature(", 1))
    assert _staleness_in(copy, _strategy_run(tmp_path, "snas"))["stale"]
    assert not _staleness_in(copy, _strategy_run(tmp_path, "advantage"))["stale"]
    assert not _staleness_in(copy, _strategy_run(tmp_path, "darts"))["stale"]


def test_a_run_records_the_part_of_its_strategy():
    assert behaviour.part_for("nb201", {"strategies": ["gdas"]}) == "gdas"
    assert behaviour.part_for("nb201", {"strategies": ["gdas", "darts"]}) is None
    assert behaviour.part_for("theory", {"strategies": ["gdas"]}) is None
    cases = behaviour.part_of(behaviour.reference()["nb201"]["outputs"], "advantage")
    assert len(cases) == 3  # both spaces, and the Eq. 9 control
