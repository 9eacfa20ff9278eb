"""The run list on a Dask LocalCluster (advnas/jobs.py): the same results as in-process
execution, a worker killed mid-run resumed from its checkpoint, one run asked for twice
computed once. Each test stores into its own temporary results folder."""

from __future__ import annotations

import os
import signal
import time

import pytest

distributed = pytest.importorskip("distributed", reason="the cluster tests need Dask distributed")

from advnas import jobs, strategies  # noqa: E402
from advnas.store import ResultsStore  # noqa: E402

TIMING = ("time", "seconds", "per_s", "threads")


def _without_timing(value):
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if not any(t in k for t in TIMING)}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    """A results store for this test; cluster workers inherit the variable when they start."""
    def use(name: str):
        folder = tmp_path / name
        monkeypatch.setenv("ADVNAS_RESULTS_DIR", str(folder))
        return folder
    return use


@pytest.fixture
def local_cluster():
    from distributed import Client, LocalCluster

    clients = []

    def start(workers: int):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        clients.append(Client(cluster))
        return clients[-1]
    yield start
    for client in clients:
        cluster = client.cluster
        client.close()
        cluster.close()


def test_the_run_list_of_every_chapter_has_a_job_per_stored_computation():
    todo = jobs.jobs_for(list(jobs.RUNLIST), "smoke")
    assert {j.chapter for j in todo if j.strategy is None} == {"theory", "toy"}  # not the scorecard
    assert all(j.strategy is not None for j in todo if j.chapter in jobs.SEARCH_CHAPTERS)
    seeds = [-1 if j.seed is None else j.seed for j in jobs.jobs_for(list(jobs.RUNLIST), "cpu")]
    assert seeds == sorted(seeds)  # seeds outermost across chapters: a cut-short list has the first seeds


def test_jobs_cover_each_stored_run_once():
    todo = jobs.jobs_for(["nb201", "zero_op", "dense"], "smoke")
    labels = [j.label for j in todo]
    assert len(labels) == len(set(j.identity() for j in todo))
    # zero_op's four-operation runs are chapter 3's, dense AdvantageNAS too: not listed twice
    nb201 = jobs.jobs_for(["nb201"], "smoke")
    with_none = len(jobs.jobs_for(["zero_op"], "smoke")) - len(nb201) - 1
    assert with_none == len(nb201)
    # + the runs with none, the Eq. 9 control, the dense methods (AdvantageNAS's is chapter 3's)
    assert len(todo) == len(nb201) + with_none + 1 + len(strategies.DENSE)
    folders = [jobs.folder_of(j) for j in todo]
    assert len(set(folders)) == len(folders)


def test_local_cluster_gives_the_summaries_of_sequential_execution(results_dir, local_cluster):
    todo = jobs.jobs_for(["nb201", "ptb"], "smoke")
    results_dir("here")
    here = jobs.run_here(todo, threads=1)
    results_dir("cluster")
    there = jobs.run_on_cluster(todo, client=local_cluster(2), workers=2)
    assert len(here) == len(there) == len(todo) == 2 * len(strategies.names("sparse", paper_only=False))
    for a, b in zip(here, there):
        assert a["job"] == b["job"]
        assert _without_timing(a["summaries"]) == _without_timing(b["summaries"])
    pids = {b["computed_by"][0]["pid"] for b in there}
    assert os.getpid() not in pids and len(pids) == 2  # both workers computed, not this process


def test_a_worker_killed_mid_run_resumes_from_its_checkpoint(results_dir, local_cluster):
    job = jobs.Job("nb201", "smoke", "advantage", 0, overrides=(("epochs", 12),))
    results_dir("reference")
    reference = jobs.run_here([job], threads=1)[0]
    results_dir("killed")
    folder = jobs.folder_of(job)
    client = local_cluster(1)
    future = client.submit(jobs.execute, job, 1, pure=False)
    deadline = time.time() + 300
    while not (folder / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (folder / "checkpoint.pt").exists() and not (folder / "summary.json").exists()
    (pid,) = client.run(os.getpid).values()
    os.kill(pid, signal.SIGKILL)  # the nanny starts a new worker; the scheduler resubmits the job
    resumed = future.result(timeout=600)
    assert resumed["computed_by"][0]["pid"] != pid
    assert _without_timing(resumed["summaries"]) == _without_timing(reference["summaries"])
    metrics = ResultsStore().finished_runs("nb201")[0].metrics
    assert metrics.epoch.tolist() == list(range(1, 13))  # every epoch once: resumed, not redone twice


def test_one_run_asked_for_twice_at_once_is_computed_once(results_dir, local_cluster):
    job = jobs.Job("nb201", "smoke", "gdas", 0, overrides=(("epochs", 6),))
    results_dir("twice")
    client = local_cluster(2)
    first, second = (client.submit(jobs.execute, job, 1, pure=False, key=f"twice-{i}") for i in range(2))
    a, b = first.result(timeout=600), second.result(timeout=600)
    assert a["folders"] == b["folders"] and a["summaries"] == b["summaries"]
    assert a["computed_by"] == b["computed_by"]  # one worker computed, the other read its result
    workers = set(client.run(os.getpid).values())
    assert a["computed_by"][0]["pid"] in workers
