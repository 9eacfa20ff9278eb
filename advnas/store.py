"""The results store: one folder per run, written atomically, reused when finished.

Layout: ``<root>/<experiment>/<profile>/<name>-<config hash>/`` holding
  config.json   every setting, seed, profile, device, library version, git commit,
                code fingerprint, the data files actually used, start/finish time and wall time;
  metrics.csv   a tidy table (one observation per row);
  summary.json  the headline numbers. Written last: its presence marks a finished run.
  checkpoint.pt optional, for experiments that resume; removed when the run finishes. It
                carries the configuration's hash and is loaded with ``weights_only=True``.
  snapshots/    optional, kept: states an experiment saves for later use, one folder each
                (the gradient study's search states, ``RunContext.save_snapshot``).
  .advnas-run.json  the marker: the folder is a run of this configuration (written first).
  .advnas-sittings.json  while a run is unfinished: when each sitting (process) computing it
                began; an interrupted sitting counts up to its last checkpoint. On finishing, the
                earlier sittings go into config.json (``earlier_sittings``) and the file is removed.
  .advnas.lock      held while a process computes into the folder (``FolderLock``: ``fcntl.flock``
                on POSIX, ``msvcrt.locking`` on Windows); the operating system releases it
                when the process dies. Elsewhere the filelock package's lock file, taken over
                once its holder is gone.

Every file is written to a temporary name and moved into place (``os.replace``), so a
reader never sees half a file, and a run without ``summary.json`` is never read as done:
it is resumed from its checkpoint, or redone.

The store deletes and overwrites only what it made: it never writes into a folder holding
files it did not write, ``recompute`` removes only the store's own files of a folder that
is recognisably a run (its marker, or the config.json + summary.json of a finished run), a
folder is bound to one configuration (a resume with another one is refused), and two
processes never compute into one folder (the second waits, or is told the holder's pid).
Errors about a run folder are one line (``RunFolderError``) that says how to recover:
``recompute`` (``--recompute`` on the command line), or another folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd
import torch

from . import behaviour, paths, provenance
from .atomic import atomic_write, atomic_write_csv, atomic_write_json, read_json
from .config import ConfigError, check_profile

try:  # POSIX
    import fcntl
except ImportError:
    fcntl = None
try:  # Windows
    import msvcrt
except ImportError:
    msvcrt = None

MARKER = ".advnas-run.json"
LOCK = ".advnas.lock"
SITTINGS = ".advnas-sittings.json"
RESULT_FILES = ("config.json", "metrics.csv", "summary.json", "checkpoint.pt")
STORE_FILES = frozenset((*RESULT_FILES, MARKER, LOCK, SITTINGS))
SNAPSHOTS = "snapshots"  # the one folder the store writes inside a run folder
CHECKPOINT_HASH = "__advnas_config_hash__"  # the key a checkpoint carries its configuration's hash under
RECOVER = "pass --recompute (recompute=True) to compute it afresh, or choose another folder"


class RunFolderError(ConfigError):
    """A run folder cannot be used as asked; the message is one line saying how to recover."""


class RunLocked(RunFolderError):
    """Another process is computing into the folder."""


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise RunFolderError(f"{path.name} in {path.parent} is unreadable ({_one_line(error)}); "
                             f"{RECOVER}") from None


@dataclass
class RunContext:
    """Handed to an experiment's compute function: where to checkpoint and report progress."""

    folder: Path
    config: dict[str, Any]
    device: torch.device
    accept_unmarked_checkpoint: bool = False  # a checkpoint of an older version, in a folder named by the hash

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / "checkpoint.pt"

    @property
    def config_hash(self) -> str:
        return provenance.config_hash(self.config)

    def save_checkpoint(self, state: Any) -> None:
        """Atomically; the state (plain tensors and containers) carries the configuration's hash."""
        tagged = {**state, CHECKPOINT_HASH: self.config_hash} if isinstance(state, dict) else \
            {"state": state, CHECKPOINT_HASH: self.config_hash, "__advnas_wrapped__": True}
        atomic_write(self.checkpoint_path, lambda handle: torch.save(tagged, handle))

    def save_snapshot(self, name: str, files: dict[str, Any]) -> Path:
        """Keep ``files`` (file name -> a torch state, saved with ``torch.save``, or a JSON-able
        object for a ``.json`` name) in ``snapshots/<name>/``; each file written atomically."""
        folder = self.folder / SNAPSHOTS / name
        folder.mkdir(parents=True, exist_ok=True)
        for filename, content in files.items():
            if filename.endswith(".json"):
                atomic_write_json(folder / filename, content)
            else:
                atomic_write(folder / filename, lambda handle: torch.save(content, handle))
        return folder

    def load_checkpoint(self) -> Any | None:
        """The saved state, or None. Only plain tensors and containers are loaded
        (``weights_only=True``: a crafted pickle runs nothing); a checkpoint that is unreadable
        or written for another configuration is refused with one line."""
        path = self.checkpoint_path
        if not path.exists():
            return None
        try:
            state = torch.load(path, weights_only=True, map_location="cpu")
        except Exception as error:  # corrupt, truncated, or not plain data (unsafe)
            raise RunFolderError(f"checkpoint.pt in {self.folder} is unreadable or not plain data "
                                 f"({_one_line(error)}); {RECOVER}") from None
        tag = state.pop(CHECKPOINT_HASH, None) if isinstance(state, dict) else None
        if tag is None and not self.accept_unmarked_checkpoint:
            raise RunFolderError(f"checkpoint.pt in {self.folder} carries no configuration hash "
                                 f"(not written by this version for this run); {RECOVER}")
        if tag is not None and tag != self.config_hash:
            raise RunFolderError(f"checkpoint.pt in {self.folder} belongs to configuration {tag}, not "
                                 f"{self.config_hash}; {RECOVER}")
        if isinstance(state, dict) and state.pop("__advnas_wrapped__", False):
            return state["state"]
        return state


# an experiment's compute function: given its context, it returns (metrics table, summary dict)
Compute = Callable[[RunContext], tuple[pd.DataFrame, dict[str, Any]]]


@dataclass
class Run:
    """A finished run read back from its folder."""

    folder: Path
    info: dict[str, Any] = field(repr=False)  # the content of config.json
    # True when this call computed it; False when a finished run was read back (the command
    # line says which: a rerun into a finished folder computes nothing)
    computed: bool = field(default=False, compare=False)

    @classmethod
    def load(cls, folder: Path) -> "Run":
        if not (folder / "summary.json").exists():
            raise FileNotFoundError(f"{folder} holds no finished run (summary.json missing)")
        info = _read_json(folder / "config.json")
        if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
            raise RunFolderError(f"config.json in {folder} is not a run's record; {RECOVER}")
        return cls(folder, info)

    @property
    def config(self) -> dict[str, Any]:
        return self.info["config"]

    @cached_property
    def summary(self) -> dict[str, Any]:
        return _read_json(self.folder / "summary.json")

    @cached_property
    def metrics(self) -> pd.DataFrame:
        return pd.read_csv(self.folder / "metrics.csv")

    def is_stale(self) -> bool:
        """True when what its experiment computes changed after it was computed: the golden
        run's digest today differs from the one recorded with the result (``behaviour.py``)."""
        recorded = self.info.get("behaviour")
        if recorded is None:  # computed by a version that recorded no behaviour digest
            return True
        return behaviour.digest(recorded["experiment"], recorded.get("part")) != recorded["digest"]


def differences(old: dict[str, Any], new: dict[str, Any], limit: int = 3) -> str:
    """The settings that differ, as "seeds [0] -> [1], epochs 2 -> 3" (the first ``limit``)."""
    keys = sorted(set(old) | set(new))
    changed = [f"{k} {json.dumps(old.get(k, '(unset)'), default=str)} -> {json.dumps(new.get(k, '(unset)'), default=str)}"
               for k in keys if old.get(k, "(unset)") != new.get(k, "(unset)")]
    shown = ", ".join(changed[:limit]) + (f" and {len(changed) - limit} more" if len(changed) > limit else "")
    return shown or "none (unreadable record)"


# msvcrt locks a byte range that other processes then can neither read nor write: the lock is
# one byte far past the holder's pid, so a refused process can still read who holds it.
_MSVCRT_LOCK_OFFSET = 1 << 20


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another process holds it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    os.lseek(fd, _MSVCRT_LOCK_OFFSET, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as error:
        if error.errno in (errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)):  # held by another process
            return False
        raise
    return True


def _wait_lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    while not _try_lock(fd):  # msvcrt's own waiting mode gives up after 10 seconds
        time.sleep(0.2)


def _unlock(fd: int) -> None:
    """Before closing, on Windows, which releases the locks of a closed file only eventually
    (closing the file releases a flock at once)."""
    if fcntl is None:
        os.lseek(fd, _MSVCRT_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _first_line(data: bytes) -> str:
    """The holder's pid: the lock file's first line (ours holds only it; filelock's adds the host)."""
    return data.decode(errors="replace").split("\n")[0].strip() or "unknown"


class FolderLock:
    """An exclusive lock on ``<folder>/.advnas.lock``, holding the holder's pid. Released when
    the holder closes it or dies: the operating system drops ``fcntl.flock`` (POSIX) and
    ``msvcrt.locking`` (Windows) with the process. Where neither exists, the ``filelock``
    package's lock: a file naming its holder, taken over once that process is gone."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / LOCK
        self.fd: int | None = None
        self.soft: Any = None  # filelock's lock, on a system with neither fcntl nor msvcrt

    def holder(self, fd: int) -> str:
        try:  # lseek + read: Windows has no os.pread
            os.lseek(fd, 0, os.SEEK_SET)
            return _first_line(os.read(fd, 64))
        except OSError:
            return "unknown"

    def _busy(self, pid: str, wait: bool) -> None:
        """Another process holds the lock: one line naming it, or (``wait``) a note that we wait for it."""
        if not wait:
            raise RunLocked(f"{self.folder} is in use by another run (pid {pid}); wait for it "
                            "to finish, or choose another folder") from None
        print(f"[advnas] {self.folder} is in use by pid {pid}; waiting for it", file=sys.stderr)

    def acquire(self, wait: bool) -> None:
        if fcntl is None and msvcrt is None:
            self._acquire_soft(wait)
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
            if not _try_lock(fd):
                pid = self.holder(fd)
                if not wait:
                    os.close(fd)
                self._busy(pid, wait)
                _wait_lock(fd)
            try:  # the file we locked must still be the lock (its holder may have removed it)
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, f"{os.getpid()}\n".encode())
                self.fd = fd
                return
            _unlock(fd)
            os.close(fd)
            self.folder.mkdir(parents=True, exist_ok=True)

    def _acquire_soft(self, wait: bool) -> None:
        try:
            with warnings.catch_warnings():  # "only soft file lock is available": known, and why it is used
                warnings.simplefilter("ignore", UserWarning)
                import filelock
        except ImportError:
            raise RunFolderError(f"cannot lock the run folder {self.folder}: this system has neither fcntl "
                                 "nor msvcrt; install the filelock package (pip install filelock)") from None
        lock = filelock.FileLock(str(self.path))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            try:
                pid = _first_line(self.path.read_bytes())
            except OSError:
                pid = "unknown"
            self._busy(pid, wait)
            lock.acquire()
        self.soft = lock

    def release(self, remove: bool = True) -> None:
        if self.soft is not None:
            self.soft.release()  # filelock removes its file itself
            self.soft = None
            return
        if self.fd is None:
            return
        if fcntl is None:  # Windows removes no file another process holds open: unlock and close first
            _unlock(self.fd)
        elif remove:
            self.path.unlink(missing_ok=True)  # while held: a waiter sees the file is gone and retries
        os.close(self.fd)
        self.fd = None
        if remove and fcntl is None:
            with contextlib.suppress(PermissionError):  # a waiter has it open, and takes the lock next: it stays
                self.path.unlink(missing_ok=True)


def _prepare_folder(folder: Path) -> list[Path]:
    """Create ``folder`` (one line when it cannot be); the folders created, outermost first."""
    for parent in (folder, *folder.parents):
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                where = "is a file" if parent == folder else f"lies under {parent}, which is a file"
                raise RunFolderError(f"the run folder {folder} {where}; choose a folder")
            break
    created = [p for p in reversed((folder, *folder.parents)) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"cannot create the run folder {folder}: "
                             f"{error.strerror or _one_line(error)}; choose a writable folder") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RunFolderError(f"the run folder {folder} is not writable; choose a writable folder")
    return created


def _foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` that the store did not write, judged by name only."""
    return sorted(p.name for p in folder.iterdir()
                  if not (p.name in STORE_FILES and p.is_file() and not p.is_symlink())
                  and not (p.name == SNAPSHOTS and p.is_dir() and not p.is_symlink()) and not _is_temporary(p.name))


def _legacy_finished(folder: Path) -> bool:
    """A finished run of an older version (no marker): a store-written config.json + summary.json."""
    if not (folder / "summary.json").is_file() or not (folder / "config.json").is_file():
        return False
    info = read_json(folder / "config.json")
    return isinstance(info, dict) and {"experiment", "config", "profile", "finished_at"} <= set(info)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _earlier_sittings(folder: Path) -> list[dict[str, Any]]:
    """The sittings before this one whose work this one resumes: each from its start to the
    last checkpoint it saved (``{"started_at", "saved_until", "seconds", "git_commit"}``, the
    commit recorded by sittings since it was; the run's own is in its provenance). None without a
    checkpoint to resume from (the run starts over, so earlier work is not part of it)."""
    checkpoint = folder / "checkpoint.pt"
    record = read_json(folder / SITTINGS)
    if not checkpoint.exists() or not isinstance(record, dict):
        return []
    earlier = list(record.get("earlier", []))
    saved = datetime.fromtimestamp(checkpoint.stat().st_mtime, timezone.utc)
    try:
        began = datetime.fromisoformat(record["current"])
    except (KeyError, TypeError, ValueError):
        return earlier
    if saved > began:  # the interrupted sitting saved a checkpoint: its work up to it is resumed
        sitting = {"started_at": _iso(began), "saved_until": _iso(saved),
                   "seconds": round((saved - began).total_seconds(), 3)}
        if record.get("current_commit"):
            sitting["git_commit"] = record["current_commit"]
        earlier.append(sitting)
    return earlier


def _check_ownership(folder: Path, adopt: bool) -> None:
    """Refuse (one line) a folder holding files the store did not write."""
    foreign = _foreign_entries(folder)
    if foreign:
        raise RunFolderError(f"{folder} holds files that advnas did not write ({', '.join(foreign[:3])}"
                             f"{', ...' if len(foreign) > 3 else ''}); nothing was changed: choose an empty "
                             "or new folder")
    ours = [name for name in RESULT_FILES if (folder / name).exists()]
    if ours and not (folder / MARKER).exists() and not _legacy_finished(folder) and not adopt:
        raise RunFolderError(f"{folder} holds {', '.join(ours)} but is not an advnas run folder (no "
                             f"{MARKER}); nothing was changed: choose an empty or new folder")


def _remove_run_files(folder: Path) -> None:
    """Delete the store's own files (never the folder, never anything else)."""
    for name in (*RESULT_FILES, MARKER, SITTINGS):
        (folder / name).unlink(missing_ok=True)
    snapshots = folder / SNAPSHOTS
    if snapshots.is_dir() and not snapshots.is_symlink():
        shutil.rmtree(snapshots)
    for path in folder.iterdir():
        if _is_temporary(path.name) and path.is_file():
            path.unlink(missing_ok=True)


# The runs handed out while ``reading()`` is active: the evidence a report rests on (the
# scorecard marks a verdict whose runs are stale).
_READERS: list[list[Run]] = []


@contextlib.contextmanager
def reading() -> Iterator[list[Run]]:
    """Collect every run the store hands out (``run``, ``run_at``, ``latest``) in the block."""
    handed: list[Run] = []
    _READERS.append(handed)
    try:
        yield handed
    finally:
        _READERS.remove(handed)


def _noted(run: Run) -> Run:
    for handed in _READERS:
        handed.append(run)
    return run


class ResultsStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else paths.results_dir()

    def folder(self, experiment: str, profile: str, name: str, config: dict[str, Any]) -> Path:
        return self.root / experiment / check_profile(profile) / f"{name}-{provenance.config_hash(config)}"

    def run(self, experiment: str, profile: str, name: str, config: dict[str, Any], compute: Compute,
            behaviour_of: str, device: torch.device | None = None, recompute: bool = False, wait: bool = True) -> Run:
        """Return the finished run for this configuration, computing it only when needed.

        ``compute(ctx)`` returns (metrics table, summary dict). A folder without summary.json
        is an interrupted run: its checkpoint (if any) is kept, so ``compute`` may resume.
        ``behaviour_of`` names the golden run whose digest the result records (``behaviour.py``).
        """
        folder = self.folder(experiment, profile, name, config)
        return _noted(self._run(folder, experiment, profile, name, config, compute, behaviour_of,
                                device, recompute, wait, adopt=True))

    def stored(self, experiment: str, profile: str, name: str, config: dict[str, Any]) -> Run | None:
        """The finished run for this configuration when one is stored (nothing computed or
        written), else None."""
        folder = self.folder(experiment, profile, name, config)
        if not (folder / "summary.json").is_file() or (folder / LOCK).exists():
            return None
        return _noted(self._finished(folder, config))

    def run_at(self, folder: Path, experiment: str, profile: str, name: str, config: dict[str, Any],
               compute: Compute, behaviour_of: str, device: torch.device | None = None,
               recompute: bool = False, wait: bool = True) -> Run:
        """``run`` with an explicit folder (e.g. a command line's ``--out DIR``). A finished
        run there with another configuration is an error, not silently reused; a folder
        holding files the store did not write is refused. ``wait=False``: fail with one line
        naming the holder's pid when another process is computing into the folder."""
        return _noted(self._run(Path(folder), experiment, profile, name, config, compute, behaviour_of,
                                device, recompute, wait, adopt=False))

    def _finished(self, folder: Path, config: dict[str, Any]) -> Run:
        """The finished run in ``folder`` if it is of ``config``; otherwise one line."""
        run = Run.load(folder)
        run.summary  # read now: a corrupt summary.json is reported here, in one line
        if run.config != config:
            raise RunFolderError(f"{folder} holds a finished run of another configuration "
                                 f"({differences(run.config, config)}); {RECOVER}")
        return run

    def _run(self, folder: Path, experiment: str, profile: str, name: str, config: dict[str, Any],
             compute: Compute, behaviour_of: str, device: torch.device | None, recompute: bool, wait: bool,
             adopt: bool) -> Run:
        check_profile(profile)
        behaviour.check_experiment(behaviour_of)
        if not recompute and (folder / "summary.json").is_file() and not (folder / LOCK).exists():
            return self._finished(folder, config)  # read only: no lock, nothing written
        created = _prepare_folder(folder)
        _check_ownership(folder, adopt)
        lock = FolderLock(folder)
        try:
            lock.acquire(wait)
        except OSError as error:
            raise RunFolderError(f"cannot lock the run folder {folder}: "
                                 f"{error.strerror or _one_line(error)}; choose a writable folder") from None
        wrote_marker = False
        try:
            _check_ownership(folder, adopt)  # again, under the lock
            marker_path = folder / MARKER
            if recompute:
                if (folder / "summary.json").exists() or marker_path.exists():
                    print(f"[advnas] recompute: removing the run files of {folder}", file=sys.stderr)
                _remove_run_files(folder)
            elif (folder / "summary.json").is_file():
                return self._finished(folder, config)  # finished by the process we waited for
            elif marker_path.exists():
                marker = _read_json(marker_path)
                bound = marker.get("config") if isinstance(marker, dict) else None
                if bound != config:
                    raise RunFolderError(
                        f"{folder} holds an unfinished run of another configuration "
                        f"({differences(bound if isinstance(bound, dict) else {}, config)}); {RECOVER}")
            if not marker_path.exists():
                atomic_write_json(marker_path, {
                    "advnas_run": 1, "experiment": experiment, "profile": profile, "name": name,
                    "config_hash": provenance.config_hash(config), "config": config,
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
                wrote_marker = True
            run = self._compute(folder, experiment, profile, name, config, compute, behaviour_of,
                                device, adopt)
        except BaseException:
            if not (folder / "checkpoint.pt").exists() and not (folder / "summary.json").exists():
                # nothing to resume: leave the folder as it was found (failed runs leave no folders)
                (folder / SITTINGS).unlink(missing_ok=True)
                if wrote_marker:
                    (folder / MARKER).unlink(missing_ok=True)
                lock.release(remove=True)
                for path in reversed(created):
                    try:
                        path.rmdir()
                    except OSError:
                        break
            raise
        finally:
            lock.release(remove=True)
        return run

    def _compute(self, folder: Path, experiment: str, profile: str, name: str, config: dict[str, Any],
                 compute: Compute, behaviour_of: str, device: torch.device | None, adopt: bool) -> Run:
        from .data import sources_used

        device = device or torch.device("cpu")
        part = behaviour.part_for(behaviour_of, config)
        digest = behaviour.digest(behaviour_of, part)  # of the code as it is when the run starts
        environment = provenance.environment(device)  # the commit too: the one that starts the run
        started = datetime.now(timezone.utc)
        earlier = _earlier_sittings(folder)
        atomic_write_json(folder / SITTINGS, {"earlier": earlier, "current": _iso(started),
                                              "current_commit": environment["git_commit"]})
        t0 = time.perf_counter()
        metrics, summary = compute(RunContext(folder, config, device, accept_unmarked_checkpoint=adopt))
        wall = time.perf_counter() - t0
        info = {
            "experiment": experiment,
            "profile": profile,
            "name": name,
            "config": config,
            "behaviour": {"experiment": behaviour_of, "digest": digest, "recorded": "when computed",
                          **({"part": part} if part else {})},
            "source_hash": provenance.source_hash(),  # a record only
            "data_sources": sources_used(),  # the verified files this process read, where from
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_time_s": round(wall, 3),  # this sitting's; earlier ones (a resumed run) below
            **({"earlier_sittings": earlier} if earlier else {}),
            "computed_by": {"host": socket.gethostname(), "pid": os.getpid()},
            **environment,
        }
        atomic_write_csv(folder / "metrics.csv", metrics)
        atomic_write_json(folder / "config.json", info)
        atomic_write_json(folder / "summary.json", summary)
        (folder / "checkpoint.pt").unlink(missing_ok=True)
        (folder / SITTINGS).unlink(missing_ok=True)
        run = Run.load(folder)
        run.computed = True
        return run

    def finished_runs(self, experiment: str | None = None) -> list[Run]:
        pattern = f"{experiment or '*'}/*/*/summary.json"
        return [Run.load(p.parent) for p in sorted(self.root.glob(pattern))]

    def latest(self, experiment: str, name: str, profile: str) -> Run | None:
        """The most recently finished run called ``name`` for ``profile`` (else for cpu)."""
        runs = [r for r in self.finished_runs(experiment) if r.info["name"] == name]
        for wanted in (profile, "cpu"):
            matching = sorted((r for r in runs if r.info["profile"] == wanted), key=lambda r: r.info["finished_at"])
            if matching:
                return _noted(matching[-1])
        return None
