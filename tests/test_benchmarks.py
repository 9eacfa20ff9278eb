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


def test_ptb_speed_benchmark_smoke(tmp_path):
    from advnas.ptb import report
    from advnas.store import ResultsStore

    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ptb_speed.py"), "--profile", "smoke"],
                   capture_output=True, text=True, env=env, check=True)
    run = ResultsStore(tmp_path).latest("benchmarks", "ptb-speed", "smoke")
    (size,) = run.summary["sizes"].values()
    # two forward-backward passes of the same network against one: about 2, never below 1
    assert size["search_iteration_over_plain_step"]["median"] > 1
    assert size["search_tokens_per_second"] > 0 and size["plain_tokens_per_second"] > 0
    assert report.speed_benchmark_table(run).shape == (1, 4)
    assert "target ≤ 2.2" in report.speed_benchmark_verdict(run)


def test_peers_benchmark_smoke(tmp_path):
    import pytest

    pytest.importorskip("xautodl", reason="the peer benchmark needs xautodl: "
                        "pip install --no-deps -r benchmarks/requirements-peers.txt")
    from advnas.nb201 import report
    from advnas.store import ResultsStore

    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--profile", "smoke"],
                   capture_output=True, text=True, env=env, check=True)
    run = ResultsStore(tmp_path).latest("benchmarks", "peers", "smoke")
    assert set(run.summary["peak_bytes"]) == {"gdas", "darts", "advantage", "xautodl-gdas", "xautodl-darts"}
    # dense (DARTS) keeps every operation's activations, ours and xautodl's alike
    assert run.summary["peak_bytes"]["darts"] > run.summary["peak_bytes"]["gdas"]
    assert len(report.peers_verdicts(run)) == 3 and report.peers_table(run).shape == (5, 2)
    kernels = run.summary["kernel_seconds"]
    assert kernels["darts"]["network_kernels"] > kernels["gdas"]["network_kernels"]  # every op, not one
    assert all("what limits the ratio" in line for line in report.peers_verdicts(run))


def test_kernel_split_separates_the_network_kernels_from_the_rest():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import torch
    from peers import kernel_split

    x, w = torch.randn(8, 4, 16, 16), torch.randn(4, 4, 3, 3)
    convolutions = kernel_split(lambda: torch.conv2d(x, w, padding=1), torch.device("cpu"))
    elementwise = kernel_split(lambda: (x * 2 + 1).exp(), torch.device("cpu"))
    assert convolutions["network_kernels"] > 0 and elementwise["network_kernels"] == 0
    assert elementwise["rest"] > 0
    calls = []
    kernel_split(lambda: calls.append(torch.conv2d(x, w, padding=1)), torch.device("cpu"), iterations=3)
    assert len(calls) == 4  # one unprofiled, then the three whose medians it returns


def test_paper_cost_projection_from_a_smoke_measurement(tmp_path, monkeypatch):
    from advnas import paper_cost

    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "paper_epoch.py"), "--profile", "smoke"],
                   capture_output=True, text=True, env=env, check=True)
    monkeypatch.setenv("ADVNAS_RESULTS_DIR", str(tmp_path))
    text = paper_cost.markdown(cpu_profile="smoke")
    assert "has not yet been run on a GPU" in text and "whole run list" in text
    run = paper_cost.stored_measurement("smoke")
    assert set(run.summary["setups"]) == set(paper_cost.setups())
    table = paper_cost.projection(run.summary["setups"])
    assert table.loc["whole run list", "runs"] == len(paper_cost.paper_jobs())
    hours = table.loc["whole run list"].drop("runs")
    assert list(hours) == sorted(hours, reverse=True)  # more workers, never longer


def test_paper_cost_prices_a_cifar_search_by_its_epochs():
    from advnas import jobs, paper_cost

    job = next(j for j in paper_cost.paper_jobs() if j.chapter == "nb201")
    cfg = job.config()
    seconds = paper_cost.run_seconds(job, {"warmup_step_s": 1.0, "search_iteration_s": 2.0})
    b = cfg.train_size // cfg.batch
    assert seconds == cfg.warmup_epochs * b + 2 * (cfg.epochs - cfg.warmup_epochs) * b
    assert isinstance(job, jobs.Job)


def test_makespan_is_the_sum_on_one_worker_and_bounded_below_on_several():
    from advnas.paper_cost import makespan

    runs = [3.0, 3.0, 2.0, 2.0, 2.0]
    assert makespan(runs, 1) == 12.0
    assert makespan(runs, 2) == 7.0  # longest first: (3, 2, 2) and (3, 2)
    assert makespan(runs, 8) == 3.0


def test_gradient_reference_benchmark_smoke(tmp_path):
    """The batched losses of all cells agree with single forward passes."""
    from advnas.store import ResultsStore

    env = {**__import__("os").environ, "ADVNAS_RESULTS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gradient_reference.py"), "--profile", "smoke"],
                   capture_output=True, text=True, env=env, check=True)
    summary = ResultsStore(tmp_path).latest("benchmarks", "gradient-reference", "smoke").summary
    assert summary["max_abs_difference"] < 1e-5
    assert summary["batched_seconds"] > 0 and summary["best_chunk"] in (1, 64)


def test_a_benchmark_rerun_says_it_measured_nothing(monkeypatch, tmp_path):
    """A rerun reads the stored measurement back: its last line must not claim a measurement."""
    from advnas.store import Run

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _stored

    assert _stored.what_was_done(Run(tmp_path, {}, computed=True)) == f"[advnas] measured and stored in {tmp_path}"
    assert _stored.what_was_done(Run(tmp_path, {})) == (
        f"[advnas] reused from {tmp_path}, nothing measured (--recompute to measure it afresh)")
