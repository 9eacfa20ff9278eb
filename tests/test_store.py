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
