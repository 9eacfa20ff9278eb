import json

import pandas as pd
import pytest
import torch

from advnas import behaviour
from advnas.store import ResultsStore, Run


def _compute(calls):
    def compute(ctx):
        calls.append(ctx.folder)
        return pd.DataFrame({"step": [0, 1], "loss": [1.0, 0.5]}), {"final_loss": 0.5}
    return compute


MODULES = "toy-speed-benchmark"  # the experiment whose golden digest the results record (the quickest)


def test_run_writes_the_documented_files_and_is_reused(results_dir):
    store, calls = ResultsStore(), []
    run = store.run("exp", "smoke", "demo", {"seed": 1}, _compute(calls), MODULES)
    for name in ("config.json", "metrics.csv", "summary.json"):
        assert (run.folder / name).exists()
    info = json.loads((run.folder / "config.json").read_text())
    for key in ("config", "profile", "device", "advnas_version", "git_commit", "wall_time_s",
                "behaviour", "source_hash"):
        assert key in info
    assert run.summary == {"final_loss": 0.5} and list(run.metrics.loss) == [1.0, 0.5]
    again = store.run("exp", "smoke", "demo", {"seed": 1}, _compute(calls), MODULES)
    assert len(calls) == 1 and again.folder == run.folder
    store.run("exp", "smoke", "demo", {"seed": 2}, _compute(calls), MODULES)
    assert len(calls) == 2  # another config is another run


def test_interrupted_run_is_not_read_and_keeps_its_checkpoint(results_dir):
    store = ResultsStore()
    folder = store.folder("exp", "smoke", "demo", {"seed": 1})
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text("step,loss\n0,1.0\n")  # half a run: no summary.json
    with pytest.raises(FileNotFoundError):
        Run.load(folder)
    assert store.finished_runs("exp") == []
    seen = {}

    def compute(ctx):
        seen["resumed_from"] = ctx.load_checkpoint()
        return pd.DataFrame({"step": [0]}), {"ok": True}

    torch.save({"epoch": 2}, folder / "checkpoint.pt")
    run = store.run("exp", "smoke", "demo", {"seed": 1}, compute, MODULES)
    assert seen["resumed_from"] == {"epoch": 2}
    assert not (run.folder / "checkpoint.pt").exists()  # removed once finished
    assert [r.folder for r in store.finished_runs("exp")] == [run.folder]


def test_recompute_flag(results_dir, monkeypatch):
    store, calls = ResultsStore(), []
    store.run("exp", "smoke", "demo", {}, _compute(calls), MODULES)
    monkeypatch.setenv("ADVNAS_RECOMPUTE", "1")
    store.run("exp", "smoke", "demo", {}, _compute(calls), MODULES)
    assert len(calls) == 2


def test_staleness_follows_the_behaviour_digest(results_dir, monkeypatch):
    run = ResultsStore().run("exp", "cpu", "demo", {}, _compute([]), MODULES)
    assert not run.is_stale()
    assert run.info["behaviour"] == {"experiment": MODULES, "digest": behaviour.digest(MODULES),
                                     "recorded": "when computed"}
    monkeypatch.setattr(behaviour, "digest", lambda name, part=None: "changed")
    assert run.is_stale()


def test_a_failed_compute_leaves_no_finished_run(results_dir):
    def boom(ctx):
        raise RuntimeError("killed")
    store = ResultsStore()
    with pytest.raises(RuntimeError):
        store.run("exp", "smoke", "demo", {}, boom, MODULES)
    assert store.finished_runs("exp") == []


def test_unknown_profile_is_rejected(results_dir):
    from advnas.config import ConfigError
    with pytest.raises(ConfigError):
        ResultsStore().run("exp", "gpu", "demo", {}, _compute([]), MODULES)


def test_a_resumed_run_records_the_earlier_sitting_up_to_its_last_checkpoint(results_dir):
    import os
    from datetime import datetime, timedelta, timezone

    from advnas import budget
    from advnas.store import SITTINGS

    store = ResultsStore()
    folder = store.folder("exp", "smoke", "demo", {"seed": 1})

    class Interrupted(Exception):
        pass

    def interrupted(ctx):
        ctx.save_checkpoint({"epoch": 1})
        raise Interrupted

    with pytest.raises(Interrupted):
        store.run("exp", "smoke", "demo", {"seed": 1}, interrupted, MODULES)
    assert (folder / SITTINGS).exists() and (folder / "checkpoint.pt").exists()
    # the interrupted sitting began an hour ago and saved its checkpoint 20 minutes later
    began = datetime.now(timezone.utc) - timedelta(hours=1)
    record = json.loads((folder / SITTINGS).read_text())
    (folder / SITTINGS).write_text(json.dumps({**record, "current": began.isoformat(timespec="seconds")}))
    saved = (began + timedelta(minutes=20)).timestamp()
    os.utime(folder / "checkpoint.pt", (saved, saved))

    run = store.run("exp", "smoke", "demo", {"seed": 1},
                    lambda ctx: (pd.DataFrame({"step": [ctx.load_checkpoint()["epoch"]]}), {"ok": True}), MODULES)
    earlier = run.info["earlier_sittings"]
    assert len(earlier) == 1 and earlier[0]["seconds"] == pytest.approx(1200, abs=1)
    assert not (folder / SITTINGS).exists()
    assert budget.compute_seconds(run.info) == pytest.approx(run.info["wall_time_s"] + 1200, abs=1)
    assert budget.occupied_seconds(budget.intervals(run.info)) == pytest.approx(1200 + run.info["wall_time_s"], abs=2)


def test_a_run_started_over_without_a_checkpoint_records_no_earlier_sitting(results_dir):
    store = ResultsStore()

    def fails(ctx):
        raise RuntimeError("before any checkpoint")

    with pytest.raises(RuntimeError):
        store.run("exp", "smoke", "demo", {"seed": 1}, fails, MODULES)
    assert not store.folder("exp", "smoke", "demo", {"seed": 1}).exists()  # failed runs leave no folders
    run = store.run("exp", "smoke", "demo", {"seed": 1}, _compute([]), MODULES)
    assert "earlier_sittings" not in run.info
