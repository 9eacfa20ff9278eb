"""Fault injection: bad input and faults on the results store and the command line.

Every bad input and fault the store and the command line are known to face is a test:
``test_bad_input_*`` give the command line (or an API) a user's mistake and require a
one-line error (no traceback) or the correct result; ``test_fault_*`` damage files,
folders, locks and processes and require that nothing is lost, nothing is mislabelled and
nothing is executed. Sizes are tiny: most cases fail before any computation, the others
run the smoke profile on synthetic data in this process; subprocesses only where a second
process is the point (locks, concurrent runs).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from advnas import behaviour, strategies
from advnas.cli import main
from advnas.store import LOCK, MARKER, ResultsStore, Run, RunFolderError, RunLocked

REPO = Path(__file__).resolve().parents[1]
MOD = "toy-speed-benchmark"  # the quickest golden run, for store-level tests
TOY = ["toy", "--strategy", "advantage", "--seeds", "0-1", "--iterations", "20", "--profile", "smoke"]
NB201 = ["nb201", "search", "--strategy", "advantage", "--profile", "smoke", "--quiet", "--epochs", "2"]
PTB = ["ptb", "search", "--strategy", "advantage", "--profile", "smoke"]
COMMANDS = {"toy": TOY, "nb201": NB201, "ptb": PTB}


# Helpers ----------------------------------------------------------------------------------

def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *words: str) -> str:
    """A clean error: status 2 (or 1), one line on stderr starting with "error:", no traceback."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code in (1, 2), err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def user_folder(tmp_path: Path) -> Path:
    """A user's folder: their own config.json, notes and a sub-folder."""
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"my": "settings"}\n')
    (folder / "notes.txt").write_text("do not delete\n")
    (folder / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return folder


@pytest.fixture
def fast_data(monkeypatch):
    """Synthetic CIFAR-10 and a tiny PTB corpus: the smoke profile runs in a second or two."""
    from advnas.nb201 import experiment as nb201_experiment
    from advnas.ptb import experiment as ptb_experiment

    monkeypatch.setattr(nb201_experiment, "_cifar", lambda data="full": None)
    monkeypatch.setattr(nb201_experiment, "split",
                        lambda cifar, cfg, device: nb201_experiment.synthetic_data(128))
    corpus = ptb_experiment.tiny_corpus()
    monkeypatch.setattr(ptb_experiment.corpus, "load", lambda path=None, dataset="ptb": corpus)


@pytest.fixture
def unwritable(tmp_path, monkeypatch):
    """A folder this process may not write into (simulated when running as root)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root ignores permissions: make the operating system's answer explicit
        inside = lambda p: str(Path(p)).startswith(str(folder))  # noqa: E731

        def denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        real_mkdir, real_write, real_access = Path.mkdir, Path.write_text, os.access
        monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: denied(self) if inside(self) and self != folder
                            else real_mkdir(self, *a, **k))
        monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: denied(self) if inside(self)
                            else real_write(self, *a, **k))
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if inside(p) else real_access(p, mode, **k))
    yield folder
    folder.chmod(0o755)


def _ok(n=1.0):
    def compute(ctx):
        return pd.DataFrame({"step": [0]}), {"value": n}
    return compute


class Killed(Exception):
    pass


def _checkpoint_then_die(ctx):
    ctx.save_checkpoint({"epoch": 1, "w": torch.ones(2)})
    raise Killed


# Bad inputs: --out and --output that cannot be written ---------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_out_names_an_existing_file(capsys, tmp_path, command):
    target = tmp_path / "file.txt"
    target.write_text("mine\n")
    code, _, err = cli(capsys, *COMMANDS[command], "--out", target)
    assert_one_line_error(code, err, "is a file")
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_out_lies_under_a_file(capsys, tmp_path, command):
    target = tmp_path / "file.txt"
    target.write_text("mine\n")
    code, _, err = cli(capsys, *COMMANDS[command], "--out", target / "run")
    assert_one_line_error(code, err, "which is a file")
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_out_in_an_unwritable_folder(capsys, unwritable, command):
    code, _, err = cli(capsys, *COMMANDS[command], "--out", unwritable / "run")
    assert_one_line_error(code, err, "writable")
    assert list(unwritable.iterdir()) == []


def test_bad_input_out_is_an_unwritable_folder(capsys, unwritable):
    code, _, err = cli(capsys, *TOY, "--out", unwritable)
    assert_one_line_error(code, err, "not writable")


@pytest.mark.parametrize("case", ["under-a-file", "unwritable", "a-folder", "ends-in-key"])
def test_bad_input_run_output_that_cannot_be_written(capsys, tmp_path, unwritable, case):
    blocker = tmp_path / "file.txt"
    blocker.write_text("mine\n")
    output = {"under-a-file": blocker / "toy.ipynb", "unwritable": unwritable / "toy.ipynb",
              "a-folder": tmp_path, "ends-in-key": tmp_path / "toy.key"}[case]
    code, _, err = cli(capsys, "run", "toy", "--profile", "smoke", "--output", output)
    assert_one_line_error(code, err, "--output")
    assert blocker.read_text() == "mine\n"


# Bad inputs: seeds, sizes, strategies, devices ------------------------------------------------

HUGE = "99999999999999999999999"
SEED_CASES = {
    "toy-huge": [*TOY[:3], "--seeds", HUGE, "--profile", "smoke"],
    "toy-range-too-long": [*TOY[:3], "--seeds", "0-10000000", "--profile", "smoke"],
    "toy-range-beyond-limit": [*TOY[:3], "--seeds", f"4294967290-{HUGE}", "--profile", "smoke"],
    "toy-reversed": [*TOY[:3], "--seeds", "5-3", "--profile", "smoke"],
    "toy-repeated": [*TOY[:3], "--seeds", "0,0", "--profile", "smoke"],
    "toy-negative": [*TOY[:3], "--seeds", "-1", "--profile", "smoke"],
    "nb201-negative": [*NB201, "--seed", "-1"],
    "nb201-huge": [*NB201, "--seed", HUGE],
    "ptb-negative": [*PTB, "--seed", "-1"],
    "ptb-huge": [*PTB, "--seed", HUGE],
    "variance-huge": ["variance", "--edges", "3", "--ops", "3", "--seed", HUGE],
    "variance-negative": ["variance", "--edges", "3", "--ops", "3", "--seed", "-1"],
    "memory-huge": ["memory", "--strategies", "plain", "--cell-seed", HUGE],
}


@pytest.mark.parametrize("case", SEED_CASES)
def test_bad_input_seeds_follow_one_rule_on_every_command(capsys, tmp_path, case):
    argv = SEED_CASES[case]
    if argv[0] in ("toy", "nb201", "ptb"):
        argv = [*argv, "--out", tmp_path / "run"]
    started = time.perf_counter()
    code, _, err = cli(capsys, *argv)
    line = assert_one_line_error(code, err, "seed")
    assert time.perf_counter() - started < 10  # refused before any list or computation is built
    assert not (tmp_path / "run").exists()
    if "huge" in case or "negative" in case:
        assert "[0, 2**32)" in line


@pytest.mark.parametrize("argv, words", [
    (["variance", "--edges", "100000", "--ops", "1000"], ["memory"]),
    (["variance", "--edges", "1000000", "--ops", "2"], ["edges"]),
    (["toy", "--strategy", "advantage", "--seeds", "0-1000", "--profile", "smoke"], ["at most 1000", "memory"]),
])
def test_bad_input_sizes_that_would_exhaust_memory_say_the_limit(capsys, tmp_path, argv, words):
    if argv[0] == "toy":
        argv = [*argv, "--out", tmp_path / "run"]
    started = time.perf_counter()
    code, _, err = cli(capsys, *argv)
    assert_one_line_error(code, err, *words)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("strategy", strategies.names("dense"))
def test_bad_input_ptb_refuses_the_dense_strategies_its_help_does_not_list(capsys, tmp_path, strategy):
    code, _, err = cli(capsys, *PTB[:2], "--strategy", strategy, "--profile", "smoke", "--out", tmp_path / "r")
    line = assert_one_line_error(code, err, "strategy must be one of")
    assert line.endswith(f"got {strategy!r}")
    assert all(name in line for name in strategies.names("sparse", paper_only=False))
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", ["toy", "nb201", "ptb"])
def test_bad_input_unknown_strategy(capsys, tmp_path, command):
    argv = [a if a != "advantage" else "adventage" for a in COMMANDS[command]]
    code, _, err = cli(capsys, *argv, "--out", tmp_path / "r")
    assert_one_line_error(code, err, "strategy must be one of", "advantage")


def test_bad_input_help_lists_per_command_strategies_from_the_registry():
    from advnas.cli import build_parser

    parser = build_parser()
    ptb_help = parser._subparsers._group_actions[0].choices["ptb"]._subparsers._group_actions[0] \
        .choices["search"].format_help()
    for name in strategies.names("dense"):
        assert name not in ptb_help.split("--strategy")[1].split("--profile")[0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present here")
def test_bad_input_memory_on_cuda_without_a_gpu(capsys):
    code, _, err = cli(capsys, "memory", "--device", "cuda", "--strategies", "plain")
    assert_one_line_error(code, err, "no CUDA device")


def test_bad_input_memory_on_an_unknown_device(capsys):
    code, _, err = cli(capsys, "memory", "--device", "tpu", "--strategies", "plain")
    assert_one_line_error(code, err, "--device")


@pytest.mark.parametrize("command", ["toy", "nb201", "ptb", "run", "book"])
def test_bad_input_every_command_that_runs_has_recompute(command):
    from advnas.cli import build_parser

    argv = {"toy": TOY + ["--out", "x"], "nb201": NB201 + ["--out", "x"], "ptb": PTB + ["--out", "x"],
            "run": ["run", "toy"], "book": ["book"]}[command]
    assert build_parser().parse_args([*argv, "--recompute"]).recompute is True


# Bad inputs: a folder of another configuration ------------------------------------------------

@pytest.mark.parametrize("command", ["toy", "ptb"])
def test_bad_input_finished_folder_with_another_configuration(capsys, tmp_path, fast_data, command):
    out = tmp_path / "run"
    first = [*COMMANDS[command], "--out", out]
    assert cli(capsys, *first)[0] == 0
    before = snapshot(out)
    other = [*first, "--seed", "1"] if command == "ptb" else [a if a != "0-1" else "0-2" for a in first]
    code, _, err = cli(capsys, *other)
    assert_one_line_error(code, err, "another configuration", "seeds", "--recompute")
    assert snapshot(out) == before
    code, _, err = cli(capsys, *other, "--recompute", "--json")
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["config"]["seeds"] == ([1] if command == "ptb" else [0, 1, 2])


@pytest.mark.parametrize("command", ["toy", "nb201", "ptb"])
def test_bad_input_rerun_into_a_finished_folder_says_nothing_was_computed(capsys, tmp_path, fast_data, command):
    out = tmp_path / "run"
    argv = [*COMMANDS[command], "--out", out]
    what = {"toy": "toy run", "nb201": "nb201 search", "ptb": "ptb run"}[command]
    code, printed, err = cli(capsys, *argv)
    assert code == 0, err
    assert printed.startswith(f"[advnas] {what} computed and written to {out}"), printed
    before = snapshot(out)
    code, printed, err = cli(capsys, *argv)
    assert code == 0, err
    assert printed.startswith(f"[advnas] {what} reused from {out}, nothing computed (--recompute to compute it "
                              "afresh)"), printed
    assert snapshot(out) == before
    code, printed, err = cli(capsys, *argv, "--recompute")
    assert code == 0 and printed.startswith(f"[advnas] {what} computed and written to {out}"), err


def _interrupted_nb201(tmp_path, monkeypatch, folder, seed=0, epochs=2):
    """An nb201 search into ``folder`` killed after its first epoch (checkpoint written)."""
    from advnas.nb201 import experiment
    from advnas.runlist import notebook
    from advnas.search.loop import SearchLoop

    behaviour.digest("nb201")  # the golden run (once per code version) is not the search to kill
    original = SearchLoop.run

    def dies(self, progress=True, after_epoch=None):
        def hook(search):
            after_epoch(search)
            raise Killed
        original(self, progress, hook)
    monkeypatch.setattr(SearchLoop, "run", dies)
    cfg = notebook("nb201").resolve("smoke", {"seeds": [seed], "strategies": ["advantage"], "epochs": epochs,
                                                  "ops": "nb201"})
    with pytest.raises(Killed):
        experiment.SEARCHES.run_at(cfg, "advantage", seed, "smoke", folder, progress=False)
    monkeypatch.setattr(SearchLoop, "run", original)
    assert (folder / "checkpoint.pt").exists() and not (folder / "summary.json").exists()


@pytest.mark.parametrize("change", [["--seed", "1"], ["--epochs", "3"]])
def test_bad_input_unfinished_folder_resumed_with_another_configuration(capsys, tmp_path, monkeypatch,
                                                                       fast_data, change):
    out = tmp_path / "run"
    _interrupted_nb201(tmp_path, monkeypatch, out)
    before = snapshot(out)
    argv = [*NB201, "--out", out]
    code, _, err = cli(capsys, *argv, *change)
    assert_one_line_error(code, err, "unfinished run of another configuration", change[0][2:], "--recompute")
    assert snapshot(out) == before  # the old seed's checkpoint is neither used nor relabelled
    # The same configuration resumes; it is labelled with the seed and schedule it computed.
    code, _, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    info = json.loads((out / "config.json").read_text())
    assert info["config"]["seeds"] == [0] and info["config"]["epochs"] == 2
    assert json.loads((out / "summary.json").read_text())["seed"] == 0


def test_bad_input_checkpoint_of_another_configuration_is_refused(tmp_path):
    """The checkpoint itself carries its configuration's hash (also without the folder's marker)."""
    store, folder = ResultsStore(tmp_path), tmp_path / "run"
    with pytest.raises(Killed):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, _checkpoint_then_die, MOD)
    (folder / MARKER).unlink()
    atomic = json.dumps({"advnas_run": 1, "config": {"seed": 1}, "config_hash": "x"})
    (folder / MARKER).write_text(atomic)  # a marker edited to claim the other configuration
    with pytest.raises(RunFolderError, match="belongs to configuration"):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 1}, lambda ctx: (ctx.load_checkpoint(), 0)[1], MOD)


# Faults: nothing lost ---------------------------------------------------------------------------

@pytest.mark.parametrize("recompute", [False, True], ids=["plain", "recompute"])
@pytest.mark.parametrize("command", COMMANDS)
def test_fault_a_users_folder_is_never_written_nor_deleted(capsys, tmp_path, command, recompute):
    folder = user_folder(tmp_path)
    before = snapshot(folder)
    code, _, err = cli(capsys, *COMMANDS[command], "--out", folder, *(["--recompute"] if recompute else []))
    assert_one_line_error(code, err, str(folder), "nothing was changed")
    assert snapshot(folder) == before


def test_fault_recompute_keeps_a_users_file_in_a_run_folder(capsys, tmp_path):
    out = tmp_path / "run"
    assert cli(capsys, *TOY, "--out", out)[0] == 0
    (out / "my-notes.txt").write_text("mine\n")
    before = snapshot(out)
    code, _, err = cli(capsys, *TOY, "--out", out, "--recompute")
    assert_one_line_error(code, err, "my-notes.txt")
    assert snapshot(out) == before


def test_fault_recompute_replaces_only_the_runs_own_files(capsys, tmp_path):
    out = tmp_path / "run"
    assert cli(capsys, *TOY, "--out", out)[0] == 0
    code, _, err = cli(capsys, *TOY, "--out", out, "--recompute")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "config.json", "metrics.csv", "summary.json"]


@pytest.mark.parametrize("case", ["foreign-output", "foreign-key", "changed-output"])
def test_fault_run_output_never_overwrites_a_file_it_did_not_write(capsys, tmp_path, case):
    output, key = tmp_path / "f.txt", tmp_path / "f.key"
    if case == "foreign-output":
        output.write_text("mine\n")
    elif case == "foreign-key":
        key.write_text("my key\n")
    else:
        output.write_text("executed\n")
        key.write_text(json.dumps({"key": "abc", "output_sha256": "0" * 64}))
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, "run", "toy", "--profile", "smoke", "--output", output)
    assert_one_line_error(code, err, "--force")
    assert snapshot(tmp_path) == before


def test_fault_run_output_of_its_own_may_be_replaced(tmp_path):
    from advnas.data.locate import file_digest
    from advnas.runner import _check_output

    output, key = tmp_path / "f.ipynb", tmp_path / "f.key"
    output.write_text("{}")
    key.write_text(json.dumps({"key": "abc", "output_sha256": file_digest(output)}))
    _check_output(output, key, overwrite=False)  # ours: no error
    key.write_text(json.dumps({"key": None, "pending": True}))  # an execution that failed half-way
    _check_output(output, key, overwrite=False)
    key.write_text("not ours")
    _check_output(output, key, overwrite=True)  # --force


def test_fault_failed_runs_leave_no_empty_folders(tmp_path):
    store = ResultsStore(tmp_path / "results")

    def boom(ctx):
        raise RuntimeError("out of memory")
    nested = tmp_path / "a" / "b" / "run"
    with pytest.raises(RuntimeError):
        store.run_at(nested, "exp", "smoke", "demo", {}, boom, MOD)
    assert not (tmp_path / "a").exists()
    with pytest.raises(RuntimeError):
        store.run("exp", "smoke", "demo", {}, boom, MOD)
    assert not store.folder("exp", "smoke", "demo", {}).exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuntimeError):
        store.run_at(empty, "exp", "smoke", "demo", {}, boom, MOD)
    assert empty.is_dir() and list(empty.iterdir()) == []  # the user's folder stays, as it was
    with pytest.raises(Killed):  # a run with a checkpoint keeps its folder: it resumes
        store.run_at(tmp_path / "resumable", "exp", "smoke", "demo", {}, _checkpoint_then_die, MOD)
    assert (tmp_path / "resumable" / "checkpoint.pt").exists()


def test_fault_failed_command_leaves_no_empty_folder(capsys, tmp_path, monkeypatch):
    from advnas.toy import experiment

    def oom(*args, **kwargs):
        raise MemoryError("simulated")
    monkeypatch.setattr(experiment, "search", oom)
    with pytest.raises(MemoryError):
        main([*TOY, "--out", str(tmp_path / "new" / "run")])
    assert not (tmp_path / "new").exists()


# Faults: exclusive runs -------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, f"{os.getpid()}\\n".encode(), 0)
    print("held", flush=True)
    time.sleep(120)
""")


def test_fault_lock_names_its_holder_and_dies_with_it(capsys, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / LOCK)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = cli(capsys, *TOY, "--out", out)
        assert_one_line_error(code, err, "in use", f"pid {holder.pid}")
        assert not (out / "summary.json").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    code, _, err = cli(capsys, *TOY, "--out", out)  # the kernel released the dead holder's lock
    assert code == 0, err
    assert not (out / LOCK).exists()


def test_fault_two_runs_into_one_folder_at_once(capsys, tmp_path):
    """Seed 0 (another process) and seed 1 (here) into one --out at the same time: the second
    reports the first and no result; the first's result is the one stored."""
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen([sys.executable, "-m", "advnas", *TOY[:3], "--seeds", "0", "--iterations", "100",
                              "--profile", "smoke", "--json", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not (out / MARKER).exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    code, printed, err = cli(capsys, *TOY[:3], "--seeds", "1", "--iterations", "100", "--profile", "smoke",
                             "--json", "--out", out)
    assert_one_line_error(code, err, str(out))
    assert printed == ""  # never reports a result it did not store
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert json.loads(stdout)["per_seed"].keys() == {"0"}
    assert Run.load(out).config["seeds"] == [0] and json.loads((out / "summary.json").read_text()) == json.loads(stdout)


def test_fault_the_store_waits_for_the_holder_and_reuses_its_result(tmp_path):
    store, folder, calls = ResultsStore(tmp_path), tmp_path / "run", []
    started = threading.Event()

    def slow(ctx):
        calls.append("slow")
        started.set()
        time.sleep(0.5)
        return pd.DataFrame({"step": [0]}), {"value": 1}

    results = {}
    thread = threading.Thread(target=lambda: results.setdefault(
        "a", store.run_at(folder, "exp", "smoke", "demo", {"k": 1}, slow, MOD)))
    thread.start()
    assert started.wait(30)
    with pytest.raises(RunLocked, match=f"pid {os.getpid()}"):
        store.run_at(folder, "exp", "smoke", "demo", {"k": 1}, _ok(), MOD, wait=False)
    b = store.run_at(folder, "exp", "smoke", "demo", {"k": 1}, _ok(2), MOD, wait=True)
    thread.join()
    assert calls == ["slow"] and b.summary == {"value": 1} == results["a"].summary


# Faults: corrupt folders ------------------------------------------------------------------------

@pytest.mark.parametrize("name, damage", [
    ("summary.json", b'{"per_seed": '), ("config.json", b"\x00\xff garbage"), ("config.json", b"[1, 2]"),
    (MARKER, b"{"),
])
def test_fault_corrupt_record_gives_one_line_and_recompute_recovers(capsys, tmp_path, name, damage):
    out = tmp_path / "run"
    assert cli(capsys, *TOY, "--out", out)[0] == 0
    if name == MARKER:  # an unfinished run with a corrupt marker
        (out / "summary.json").unlink()
    (out / name).write_bytes(damage)
    code, _, err = cli(capsys, *TOY, "--out", out)
    assert_one_line_error(code, err, "--recompute")
    code, _, err = cli(capsys, *TOY, "--out", out, "--recompute")
    assert code == 0, err
    assert Run.load(out).summary["per_seed"].keys() == {"0", "1"}


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_fault_corrupt_checkpoint_gives_one_line_and_recompute_recovers(tmp_path, damage):
    store, folder = ResultsStore(tmp_path), tmp_path / "run"
    with pytest.raises(Killed):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, _checkpoint_then_die, MOD)
    data = (folder / "checkpoint.pt").read_bytes()
    (folder / "checkpoint.pt").write_bytes({"truncated": data[: len(data) // 2], "garbage": os.urandom(300),
                                            "empty": b""}[damage])
    resume = lambda ctx: (ctx.load_checkpoint(), pd.DataFrame({"s": [0]}), {"ok": 1})[1:]  # noqa: E731
    with pytest.raises(RunFolderError, match="checkpoint.pt .* unreadable") as error:
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, resume, MOD)
    assert "\n" not in str(error.value) and "--recompute" in str(error.value)
    assert store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, resume, MOD, recompute=True).summary == {"ok": 1}


def test_fault_ptb_recovers_a_corrupt_folder_with_recompute_alone(capsys, tmp_path, fast_data, monkeypatch):
    out = tmp_path / "run"
    assert cli(capsys, *PTB, "--out", out)[0] == 0
    (out / "summary.json").write_text("{")
    assert_one_line_error(*cli(capsys, *PTB, "--out", out)[::2], "--recompute")
    code, _, err = cli(capsys, *PTB, "--out", out, "--recompute")
    assert code == 0, err


def test_fault_finished_runs_of_older_versions_still_load_and_are_recognised(capsys, tmp_path):
    """A finished folder without the marker (as committed in results/) is read, reused, and
    recognised as a run by --recompute."""
    out = tmp_path / "run"
    assert cli(capsys, *TOY, "--out", out)[0] == 0
    (out / MARKER).unlink()
    before = snapshot(out)
    code, _, err = cli(capsys, *TOY, "--out", out)
    assert code == 0, err
    assert snapshot(out) == before  # read only: no marker, no lock added
    code, _, err = cli(capsys, *TOY, "--out", out, "--recompute")
    assert code == 0, err


def test_fault_committed_results_still_load():
    runs = ResultsStore(REPO / "results").finished_runs()
    assert runs and all(isinstance(run.summary, dict) for run in runs[:20])


# Faults: nothing executed -----------------------------------------------------------------------

class _Payload:
    """Unpickling it would run a shell command that creates a file."""

    def __init__(self, flag: Path):
        self.flag = flag

    def __reduce__(self):
        return (os.system, (f"touch {self.flag}",))


def test_fault_crafted_checkpoint_in_an_out_folder_runs_nothing(capsys, tmp_path, fast_data):
    out, flag = tmp_path / "run", tmp_path / "pwned"
    out.mkdir()
    torch.save({"epoch": 1, "x": _Payload(flag)}, out / "checkpoint.pt")
    before = snapshot(out)
    code, _, err = cli(capsys, *NB201, "--out", out)
    assert_one_line_error(code, err, "not an advnas run folder")
    assert not flag.exists() and snapshot(out) == before


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_fault_crafted_checkpoint_in_a_run_folder_runs_nothing(tmp_path):
    store, folder, flag = ResultsStore(tmp_path), tmp_path / "run", tmp_path / "pwned"
    with pytest.raises(Killed):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, _checkpoint_then_die, MOD)
    (folder / "checkpoint.pt").write_bytes(pickle.dumps({"epoch": 1, "x": _Payload(flag)}))
    with pytest.raises(RunFolderError, match="unreadable or not plain data"):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, lambda ctx: (ctx.load_checkpoint(), 0)[1], MOD)
    torch.save({"epoch": 1, "x": _Payload(flag)}, folder / "checkpoint.pt")
    with pytest.raises(RunFolderError, match="unreadable or not plain data"):
        store.run_at(folder, "exp", "smoke", "demo", {"seed": 0}, lambda ctx: (ctx.load_checkpoint(), 0)[1], MOD)
    assert not flag.exists()


def test_fault_no_unsafe_loading_in_the_library():
    """No weights_only=False, and pickle only on the official CIFAR-10 archive (behind its checksum)."""
    offenders = []
    for path in sorted((REPO / "advnas").rglob("*.py")):
        text = path.read_text()
        if "weights_only=False" in text:
            offenders.append(f"{path.name}: weights_only=False")
        if "pickle.load" in text and path.relative_to(REPO).as_posix() != "advnas/cifar/data.py":
            offenders.append(f"{path.name}: pickle.load")
        for line in text.splitlines():
            if "torch.load(" in line and "weights_only=True" not in line:
                offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []


# Faults: verified inputs ------------------------------------------------------------------------

def _jpeg_archive(path: Path) -> None:
    from PIL import Image

    from advnas.cifar.data import CLASSES

    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for label in (0, 3):
                buf = io.BytesIO()
                Image.fromarray(np.full((32, 32, 3), 40 + 50 * label, np.uint8)).save(buf, "JPEG", quality=95)
                info = tarfile.TarInfo(f"cifar10-jpeg/{split}/{CLASSES[label]}/0000.jpg")
                info.size = len(buf.getvalue())
                tar.addfile(info, io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("damage", ["zeros-plain", "zeros-forged-record", "other-archive", "truncated",
                                    "pickle-payload"])
def test_fault_decoded_cifar_cache_is_verified_and_redecoded(tmp_path, damage):
    from advnas.cifar import data as cifar

    archive, cache_dir, flag = tmp_path / "cifar10-jpeg.tar.gz", tmp_path / "cache", tmp_path / "pwned"
    _jpeg_archive(archive)
    good = cifar.decode_archive(archive, "jpeg", cache_dir)
    (cache,) = cache_dir.glob("*.pt")
    content = torch.load(cache, weights_only=True)
    zeros = {k: torch.zeros_like(v) for k, v in content["tensors"].items()}
    if damage == "zeros-plain":  # the old format: plain tensors of the same shapes
        torch.save(zeros, cache)
    elif damage == "zeros-forged-record":  # the right record, the wrong tensors
        torch.save({**content, "tensors": zeros}, cache)
    elif damage == "other-archive":
        torch.save({**content, "archive_sha256": "0" * 64}, cache)
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:100])
    else:
        torch.save({"tensors": _Payload(flag)}, cache)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = cifar.decode_archive(archive, "jpeg", cache_dir)
    assert any("failed verification" in str(w.message) for w in caught)
    assert torch.equal(again.train_images, good.train_images) and int(again.train_images.max()) > 0
    assert not flag.exists()
    assert cifar._read_cache(cache, content["archive_sha256"]) is not None  # re-written, verified


def test_fault_truncated_nb201_table_falls_back_and_the_copy_used_is_recorded(tmp_path, monkeypatch):
    import importlib

    locate_mod = importlib.import_module("advnas.data.locate")
    from advnas.data import nb201_table, registry, sources_used
    from advnas.nb201.lookup import lookup

    mirror = Path(os.environ.get("ADVNAS_DATA_DIR", "/nonexistent"))
    if not (mirror / registry.NB201_CSV.relpath).exists():
        pytest.skip("no NB201 table in the ADVNAS_DATA_DIR mirror")
    from advnas import paths

    shipped = paths.shipped_data_dir() / registry.NB201_GZ.relpath
    damaged = tmp_path / "package-data"  # the package's shipped table, truncated
    (damaged / "nb201").mkdir(parents=True)
    (damaged / registry.NB201_GZ.relpath).write_bytes(shipped.read_bytes()[:5000])
    monkeypatch.setattr(paths, "shipped_data_dir", lambda: damaged)
    monkeypatch.setenv("ADVNAS_PROJECT_DATA", str(tmp_path / "data"))
    nb201_table.load_nb201_table.cache_clear()
    nb201_table._by_arch.cache_clear()
    try:
        with pytest.warns(UserWarning, match="corrupt copy was passed over"):
            source = locate_mod.locate("nb201")
        assert source.origin == "ADVNAS_DATA_DIR mirror" and source.passed_over
        record = sources_used()["nb201"]
        assert record["files"][registry.NB201_CSV.relpath]["origin"] == "ADVNAS_DATA_DIR mirror"
        assert "checksum mismatch" in record["passed_over"][0]
        arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = lookup(arch)
        assert result["cifar10"] == pytest.approx(93.76, abs=0.01)
        assert str(mirror) in result["source"] and "mirror" in result["source"]
        assert "shipped" not in result["source"]
        run = ResultsStore(tmp_path / "results").run("exp", "smoke", "demo", {}, _ok(), MOD)
        assert run.info["data_sources"]["nb201"]["files"][registry.NB201_CSV.relpath]["path"].startswith(str(mirror))
    finally:
        nb201_table.load_nb201_table.cache_clear()
        nb201_table._by_arch.cache_clear()


# More bad inputs and faults ---------------------------------------------------------------------

@pytest.mark.parametrize("name, value, words", [
    ("seeds", "[0, 99999999999]", ["seeds", "2**32"]),
    ("seeds", "[0, -3]", ["seeds", "2**32"]),
    ("iterations", "0", ["iterations"]),
    ("no_such_parameter", "1", ["unknown parameter"]),
])
def test_bad_input_notebook_parameters_are_refused_before_execution(capsys, tmp_path, name, value, words):
    output = tmp_path / "toy.ipynb"
    code, _, err = cli(capsys, "run", "toy", "--profile", "smoke", "-p", name, value, "--output", output)
    assert_one_line_error(code, err, *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", [".", ""])
def test_bad_input_out_is_the_working_folder(capsys, tmp_path, monkeypatch, out):
    (tmp_path / "paper.tex").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, *TOY, "--out", out, "--recompute")
    assert_one_line_error(code, err, "paper.tex", "nothing was changed")
    assert snapshot(tmp_path) == before


def test_fault_results_listing_with_a_corrupt_run(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ADVNAS_RESULTS_DIR", str(tmp_path))
    run = ResultsStore(tmp_path).run("exp", "smoke", "demo", {}, _ok(), MOD)
    (run.folder / "config.json").write_text("{")
    code, _, err = cli(capsys, "results")
    assert_one_line_error(code, err, "config.json", "--recompute")
