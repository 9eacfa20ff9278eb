import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from advnas import behaviour
from advnas.store import LOCK, ResultsStore, Run

REPO = Path(__file__).resolve().parents[1]


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
    assert run.computed and not again.computed  # what the command line reports: computed, or reused
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


def test_recompute_is_an_argument_and_nothing_else_asks_for_it(results_dir, monkeypatch):
    store, calls = ResultsStore(), []
    store.run("exp", "smoke", "demo", {}, _compute(calls), MODULES)
    monkeypatch.setenv("ADVNAS_RECOMPUTE", "1")  # the environment variable of earlier versions: ignored
    store.run("exp", "smoke", "demo", {}, _compute(calls), MODULES)
    assert len(calls) == 1
    store.run("exp", "smoke", "demo", {}, _compute(calls), MODULES, recompute=True)
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
    assert earlier[0]["git_commit"] == run.info["git_commit"]  # each sitting names the commit it ran
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


# The store without fcntl (Windows has msvcrt instead; elsewhere the filelock package) --------------

WITHOUT_FCNTL = textwrap.dedent("""
    import fcntl as _posix  # for an emulation only: advnas must not see it
    import sys
    sys.modules["fcntl"] = None  # import fcntl fails, as on Windows
    from pathlib import Path

    import pandas as pd

    from advnas import store
    {emulate}
    folder = Path(sys.argv[1])
    compute = lambda ctx: (pd.DataFrame({{"step": [0, 1]}}), {{"final_loss": 0.5}})
    def run():
        return store.ResultsStore(folder.parent).run_at(folder, "exp", "smoke", "demo", {{"seed": 1}}, compute,
                                                         "{module}", wait=False)
    print("lock", "fcntl" if store.fcntl else "msvcrt" if store.msvcrt else "filelock", flush=True)
    {body}
""")


def _without_fcntl(folder, body, emulate=""):
    script = WITHOUT_FCNTL.format(emulate=emulate, module=MODULES, body=body)
    return subprocess.Popen([sys.executable, "-c", script, str(folder)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def test_without_fcntl_or_msvcrt_the_store_locks_with_filelock(tmp_path):
    body = textwrap.dedent("""
        first = run()
        print("computed", first.computed, first.summary["final_loss"], "then", run().computed)
        held = store.FolderLock(folder)
        held.acquire(wait=False)
        try:
            store.FolderLock(folder).acquire(wait=False)
        except store.RunLocked as error:
            print("refused:", error)
        held.release()
        again = store.FolderLock(folder)
        again.acquire(wait=False)  # released: free again
        again.release()
        print("released", (folder / store.LOCK).exists())
    """)
    done = _without_fcntl(tmp_path / "run", body)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["lock filelock", "computed True 0.5 then False"], out
    assert lines[2].startswith("refused:") and "in use by another run" in lines[2] and f"pid {done.pid}" in lines[2]
    assert lines[3] == "released False"


# msvcrt.locking emulated by POSIX record locks (like msvcrt's: a byte range, dropped with the
# process); installed in the store only (a fake msvcrt module would make Python think it is on Windows)
MSVCRT = textwrap.dedent("""
    import os as _os, types as _types
    def _locking(fd, mode, nbytes):
        at = _os.lseek(fd, 0, _os.SEEK_CUR)
        if mode == 2:  # LK_NBLCK
            try:
                _posix.lockf(fd, _posix.LOCK_EX | _posix.LOCK_NB, nbytes, at)
            except BlockingIOError:
                raise PermissionError(13, "locked") from None
        else:  # LK_UNLCK
            _posix.lockf(fd, _posix.LOCK_UN, nbytes, at)
    store.msvcrt = _types.SimpleNamespace(LK_NBLCK=2, LK_UNLCK=0, locking=_locking)
""")
HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 1 << 20)  # the byte the Windows branch locks
    os.write(fd, f"{os.getpid()}\\n".encode())
    print("held", flush=True)
    time.sleep(120)
""")


def test_the_windows_branch_refuses_a_held_folder_and_takes_it_once_its_holder_died(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder / LOCK)], stdout=subprocess.PIPE, text=True)
    body = textwrap.dedent("""
        try:
            run()
        except store.RunLocked as error:
            print("refused:", error, flush=True)
        sys.stdin.readline()  # the holder is gone
        print("computed", run().computed)
    """)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = _without_fcntl(folder, body, emulate=MSVCRT)
        assert done.stdout.readline().strip() == "lock msvcrt"
        refused = done.stdout.readline()
        assert refused.startswith("refused:") and f"pid {holder.pid}" in refused, refused
    finally:
        holder.kill()
        holder.wait()
    out, err = done.communicate("go\n", timeout=300)
    assert done.returncode == 0, err
    assert out.splitlines() == ["computed True"]
    assert (folder / "summary.json").is_file() and not (folder / LOCK).exists()


def test_stored_reads_a_finished_run_and_computes_nothing(results_dir):
    store = ResultsStore()
    assert store.stored("exp", "smoke", "demo", {"seed": 7}) is None
    assert not any(results_dir.rglob("*demo*"))  # nothing written
    store.run("exp", "smoke", "demo", {"seed": 7}, lambda ctx: (pd.DataFrame({"x": [1]}), {"ok": True}), MODULES)
    assert store.stored("exp", "smoke", "demo", {"seed": 7}).summary == {"ok": True}
