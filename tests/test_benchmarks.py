"""The benchmark scripts run end to end (smoke settings; no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_toy_speed_benchmark_smoke(tmp_path):
    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "toy_speed.py"), "--profile", "smoke"],
                          capture_output=True, text=True, env=env, check=True)
    summary = json.loads(next((tmp_path / "benchmarks" / "smoke").glob("toy-speed-*/summary.json")).read_text())
    assert summary["advantage_over_reinforce"] > 0 and summary["full_run_seconds"] > 0
    assert "stored in" in proc.stdout


def test_nb201_speed_benchmark_smoke(tmp_path):
    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "nb201_speed.py"), "--profile", "smoke"],
                          capture_output=True, text=True, env=env, check=True)
    summary = json.loads(next((tmp_path / "benchmarks" / "smoke").glob("nb201-speed-*/summary.json")).read_text())
    (size,) = summary["sizes"].values()
    assert size["search_iteration_over_plain_step"]["median"] > 0
    assert size["advantage_over_reinforce"]["median"] > 0
    assert all(v > 0 for v in summary["augment_images_per_second"].values())
    assert "stored in" in proc.stdout


def test_memory_benchmark_smoke(tmp_path):
    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "memory.py"), "--profile", "smoke"],
                   capture_output=True, text=True, env=env, check=True)
    summary = json.loads(next((tmp_path / "benchmarks" / "smoke").glob("memory-*/summary.json")).read_text())
    assert set(summary["peak_bytes"]) == {"darts", "snas", "nasp", "proxyless", "parsec", "gdas", "reinforce",
                                          "advantage", "plain"}
    # Dense propagation keeps every operation's activations: more memory than sparse, even tiny.
    assert summary["darts_over_advantage"] > 1.2
    assert set(summary["advantage_over_plain_per_cell"]) == {"0", "1"}  # the smoke profile's two cells
