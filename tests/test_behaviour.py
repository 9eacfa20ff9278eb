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


@pytest.mark.parametrize("name", list(behaviour.EXPERIMENTS))
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
    rows[-1]["entropy"] *= 1 + behaviour.RTOL / 10  # another platform's last bits
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
    assert behaviour.part_for("toy", {"strategies": ["gdas", "darts"]}) == "gdas,darts"
    assert behaviour.part_for("theory", {"strategies": ["gdas"]}) is None
    cases = behaviour.part_of(behaviour.reference()["nb201"]["outputs"], "advantage")
    assert len(cases) == 3  # both spaces, and the Eq. 9 control
    toy = behaviour.reference()["toy"]["outputs"]
    assert set(behaviour.part_of(toy, "gdas,darts")) == {"gdas", "darts"}


def test_a_strategy_added_leaves_the_toy_runs_of_the_others_fresh(monkeypatch):
    """The toy searches its strategies side by side; one more beside them changes none of their
    golden cases, so a stored toy run of the paper's eight keeps its digest."""
    from advnas import strategies
    from test_strategies import _Ninth

    monkeypatch.setattr(strategies, "STRATEGIES", {"ninth": _Ninth, **strategies.STRATEGIES})  # drawn first
    outputs = behaviour.run_golden("toy")
    assert "ninth" in outputs
    eight = ",".join(strategies.names())
    before = behaviour.reference()["toy"]
    assert behaviour.digest_of_part(before, outputs, eight) == behaviour.hash_outputs(behaviour.part_of(before["outputs"], eight))


@pytest.mark.parametrize("name", ["nb201", "ptb"])
def test_a_strategy_added_searches_cifar10_and_ptb_and_leaves_the_others_fresh(monkeypatch, name):
    """One class registered (tests/test_strategies.py: _Ninth) and the CIFAR-10 and PTB golden
    runs search with it too; every strategy of the paper keeps its committed part digest, so
    no stored run of theirs goes stale."""
    from advnas import strategies
    from test_strategies import _Ninth

    monkeypatch.setattr(strategies, "STRATEGIES", {"ninth": _Ninth, **strategies.STRATEGIES})  # drawn first
    outputs = behaviour.run_golden(name)
    ninth = behaviour.part_of(outputs, "ninth")
    assert ninth and all("summary" in case for case in ninth.values())
    before = behaviour.reference()[name]
    for strategy in before["parts"]:
        assert behaviour.digest_of_part(before, outputs, strategy) == before["parts"][strategy], strategy


def test_the_reference_is_kept_at_full_precision_with_a_digest_per_strategy():
    """Full precision: a value straddling a rounding boundary of the digest's ``DIGITS`` must
    not make another CPU's outputs look different; per-strategy digests are recorded."""
    reference = behaviour.reference()
    assert all(entry.get("precision") == "full" for entry in reference.values())
    for name in [n for n, golden in behaviour.EXPERIMENTS.items() if golden.per_strategy]:
        parts = reference[name]["parts"]
        assert parts and all(behaviour.part_of(reference[name]["outputs"], s) for s in parts)
        part = next(iter(parts))
        assert behaviour.digest_of(name, reference[name]["outputs"], part) == parts[part]


def test_difference_is_relative_above_one_and_absolute_below():
    assert behaviour.difference(1000.0, 1000.001) == pytest.approx(1e-6, rel=1e-5)
    assert behaviour.difference(1e-17, 3e-17) == pytest.approx(2e-17)  # rounding noise around zero
    assert behaviour.largest_difference({"a": [1.0, "x"]}, {"a": [1.0, "y"]}) == float("inf")
    assert behaviour.largest_difference({"a": [1, 2.0]}, {"a": [1, 2.0 + 1e-12]}) == pytest.approx(5e-13)
    assert behaviour.largest_difference([True], [1.0]) == float("inf")


def test_the_tolerance_is_an_order_of_magnitude_above_the_measured_drift():
    """RTOL rests on a measurement (scripts/measure_golden_drift.py): every golden run under
    torch's plain kernels (and the vector sets the measuring CPU had) and with oneDNN off."""
    drift = json.loads(behaviour.DRIFT.read_text())
    assert {row["golden_run"] for row in drift["rows"]} == set(behaviour.EXPERIMENTS)
    settings = {row["setting"] for row in drift["rows"]}
    assert {"ATEN_CPU_CAPABILITY=default", "oneDNN off"} <= settings
    assert any(row["kernels"] == "DEFAULT" for row in drift["rows"])
    largest = max(row["largest_difference"] for row in drift["rows"])
    assert largest == drift["largest"] < float("inf")
    assert 10 * largest <= behaviour.RTOL < 100 * max(largest, 1e-16)


@pytest.mark.skipif(os.environ.get("ATEN_CPU_CAPABILITY") == "default",
                    reason="the whole run already uses torch's plain kernels")
def test_the_golden_runs_carry_the_committed_digests_under_plain_kernels():
    """Another CPU, simulated: torch's plain (non-vectorised) kernels in a fresh process. Every
    golden run, and every strategy's part, must carry the committed digest."""
    script = ("import json, torch; from advnas import behaviour as b; ref = b.reference(); out = {}\n"
              "for name in b.EXPERIMENTS:\n"
              "    o = b.run_golden(name)\n"
              "    out[name] = {'digest': b.digest_of(name, o), 'parts': {s: b.digest_of(name, o, s) "
              "for s in ref[name].get('parts', {})}, 'difference': b.largest_difference(o, ref[name]['outputs'])}\n"
              "print(json.dumps({'kernels': torch.backends.cpu.get_cpu_capability(), 'runs': out}))")
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["kernels"] == "DEFAULT"
    reference = behaviour.reference()
    for name, got in result["runs"].items():
        assert got["digest"] == reference[name]["digest"], f"{name}: outputs moved by {got['difference']:.3g}"
        assert got["parts"] == reference[name].get("parts", {}), name


def test_the_reproducing_page_tables_the_measured_drift():
    text = behaviour.drift_markdown()
    drift = json.loads(behaviour.DRIFT.read_text())
    assert all(f"| {name} |" in text for name in behaviour.EXPERIMENTS)
    assert f"the tolerance is {behaviour.RTOL:.0e}" in text and drift["git_commit"] in text
    assert "| golden run | default |" in text
