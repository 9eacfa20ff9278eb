"""The results store: one folder per run, written atomically, reused when finished.

Layout: ``<root>/<experiment>/<profile>/<name>-<config hash>/`` holding
  config.json   every setting, seed, profile, device, library version, git commit,
                code fingerprint, start/finish time and wall time;
  metrics.csv   a tidy table (one observation per row);
  summary.json  the headline numbers. Written last: its presence marks a finished run.
  checkpoint.pt optional, for experiments that resume; removed when the run finishes.

Every file is written to a temporary name and moved into place (``os.replace``), so a
reader never sees half a file, and a run without ``summary.json`` is never read as done:
it is resumed from its checkpoint, or redone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import torch

from . import behaviour, provenance
from .config import check_profile

DEFAULT_ROOT = provenance.PROJECT_ROOT / "results"


def results_root() -> Path:
    return Path(os.environ.get("ADVNAS_RESULTS_DIR", DEFAULT_ROOT))


def recompute_requested() -> bool:
    """ADVNAS_RECOMPUTE=1 makes every run compute afresh (``make book RECOMPUTE=1``; the
    command line passes ``--recompute`` as an argument instead)."""
    return os.environ.get("ADVNAS_RECOMPUTE", "") not in ("", "0")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def atomic_write_csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_bytes(path, table.to_csv(index=False).encode())


@dataclass
class RunContext:
    """Handed to an experiment's compute function: where to checkpoint and report progress."""

    folder: Path
    config: dict[str, Any]
    device: torch.device

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / "checkpoint.pt"

    def save_checkpoint(self, state: Any) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".checkpoint.", suffix=".tmp")
        os.close(fd)
        try:
            torch.save(state, tmp)
            os.replace(tmp, self.checkpoint_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_checkpoint(self) -> Any | None:
        if not self.checkpoint_path.exists():
            return None
        return torch.load(self.checkpoint_path, weights_only=True)


@dataclass
class Run:
    """A finished run read back from its folder."""

    folder: Path
    info: dict[str, Any] = field(repr=False)  # the content of config.json

    @classmethod
    def load(cls, folder: Path) -> "Run":
        if not (folder / "summary.json").exists():
            raise FileNotFoundError(f"{folder} holds no finished run (summary.json missing)")
        return cls(folder, json.loads((folder / "config.json").read_text()))

    @property
    def config(self) -> dict[str, Any]:
        return self.info["config"]

    @cached_property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.folder / "summary.json").read_text())

    @cached_property
    def metrics(self) -> pd.DataFrame:
        return pd.read_csv(self.folder / "metrics.csv")

    def is_stale(self) -> bool:
        """True when what its experiment computes changed after it was computed: the golden
        run's digest today differs from the one recorded with the result (``behaviour.py``)."""
        recorded = self.info.get("behaviour")
        if recorded is None:  # computed by a version that recorded no behaviour digest
            return True
        return behaviour.digest(recorded["experiment"]) != recorded["digest"]


class ResultsStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else results_root()

    def folder(self, experiment: str, profile: str, name: str, config: dict[str, Any]) -> Path:
        return self.root / experiment / check_profile(profile) / f"{name}-{provenance.config_hash(config)}"

    def run(self, experiment: str, profile: str, name: str, config: dict[str, Any],
            compute: Callable[[RunContext], tuple[pd.DataFrame, dict[str, Any]]],
            behaviour_of: str, device: torch.device | None = None,
            recompute: bool | None = None) -> Run:
        """Return the finished run for this configuration, computing it only when needed.

        ``compute(ctx)`` returns (metrics table, summary dict). A folder without summary.json
        is an interrupted run: its checkpoint (if any) is kept, so ``compute`` may resume.
        ``behaviour_of`` names the golden run whose digest the result records (``behaviour.py``).
        """
        folder = self.folder(experiment, profile, name, config)
        return self.run_at(folder, experiment, profile, name, config, compute, behaviour_of,
                           device, recompute)

    def run_at(self, folder: Path, experiment: str, profile: str, name: str, config: dict[str, Any],
               compute: Callable[[RunContext], tuple[pd.DataFrame, dict[str, Any]]],
               behaviour_of: str, device: torch.device | None = None,
               recompute: bool | None = None) -> Run:
        """``run`` with an explicit folder (e.g. a command line's ``--out DIR``). A finished
        run there with another configuration is an error, not silently reused."""
        check_profile(profile)
        behaviour.check_experiment(behaviour_of)
        recompute = recompute_requested() if recompute is None else recompute
        if (folder / "summary.json").exists() and Run.load(folder).config != config and not recompute:
            raise ValueError(f"{folder} holds a finished run with another configuration; "
                             "choose another folder or pass --recompute")
        if (folder / "summary.json").exists() and not recompute:
            return Run.load(folder)
        if recompute and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        device = device or torch.device("cpu")
        digest = behaviour.digest(behaviour_of)  # of the code as it is when the run starts
        started = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        metrics, summary = compute(RunContext(folder, config, device))
        wall = time.perf_counter() - t0
        info = {
            "experiment": experiment,
            "profile": profile,
            "name": name,
            "config": config,
            "behaviour": {"experiment": behaviour_of, "digest": digest,
                          "recorded": "when computed"},
            "source_hash": provenance.source_hash(),  # a record only
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "wall_time_s": round(wall, 3),
            **provenance.environment(device),
        }
        atomic_write_csv(folder / "metrics.csv", metrics)
        atomic_write_json(folder / "config.json", info)
        atomic_write_json(folder / "summary.json", summary)
        (folder / "checkpoint.pt").unlink(missing_ok=True)
        return Run.load(folder)

    def finished_runs(self, experiment: str | None = None) -> list[Run]:
        pattern = f"{experiment or '*'}/*/*/summary.json"
        return [Run.load(p.parent) for p in sorted(self.root.glob(pattern))]

    def latest(self, experiment: str, name: str, profile: str) -> Run | None:
        """The most recently finished run called ``name`` for ``profile`` (else for cpu)."""
        runs = [r for r in self.finished_runs(experiment) if r.info["name"] == name]
        for wanted in (profile, "cpu"):
            matching = sorted((r for r in runs if r.info["profile"] == wanted), key=lambda r: r.info["finished_at"])
            if matching:
                return matching[-1]
        return None
