"""The gradient study through the results store: one run per seed of the source search.

Each run reruns the source strategy's CIFAR-10 search with the chapter's settings (the same
configuration, hence the same search, as the stored run of that strategy and seed), stops at
each point, measures every strategy's gradient, and keeps the search state, the loss of
every cell and every strategy's draws there as a snapshot (``snapshots/<point>/``:
``checkpoint.pt``, ``losses.pt``, ``draws.pt``, ``search.json``), so that any other statistic
of the draws can be computed later without drawing again. It checkpoints after each point, so an interrupted study resumes
at the next point. ``python -m advnas nb201 gradients --checkpoint <snapshot folder>``
measures again at a kept point.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..device import default_device
from ..store import Run, RunContext
from ..trials import Trials
from ..nb201.experiment import _cifar, synthetic_data
from ..nb201.search import SearchData, make_search, split
from ..nb201.search_config import NB201SearchConfig
from . import study
from .config import GradientStudyConfig

EXPERIMENT = "gradients"
CHECKPOINT, LOSSES, DRAWS, SEARCH = "checkpoint.pt", "losses.pt", "draws.pt", "search.json"


def run_config(cfg: GradientStudyConfig, seed: int) -> dict[str, Any]:
    """The stored configuration of one seed's study: every setting (those recorded only when
    changed, as the search's own, left out at their defaults), every strategy's options."""
    config = {**cfg.to_dict(), "seeds": [seed]}
    config["strategy_options"] = {name: cfg.options_for(name) for name in cfg.strategies}
    return cfg.recorded(config)


def _study(cfg: GradientStudyConfig, seed: int, data: SearchData, ctx: RunContext | None, progress: bool):
    """(metrics: one row per point, strategy and target; summary) of one seed."""
    search_cfg = cfg.search_config()
    device = ctx.device if ctx is not None else torch.device("cpu")
    search = make_search(search_cfg, cfg.source, seed, data, device)
    state = ctx.load_checkpoint() if ctx is not None else None
    rows, points = [], []
    if state is not None:
        search.load_state_dict(state["search"])
        rows, points = list(state["rows"]), list(state["points"])
    for point_name in sorted(cfg.points, key=cfg.point_epoch):
        if any(p["point"] == point_name for p in points):
            continue
        search.run(progress, until=cfg.point_epoch(point_name))
        images, labels = study.fixed_minibatch(search, seed, search.epoch)
        losses = study.measure_losses(search, images, labels, cfg.chunk, progress)
        point = study.Point(search, images, labels, losses)
        kept: dict[str, torch.Tensor] = {}
        measured = study.measure_point(point, list(cfg.strategies), cfg.draws, seed, cfg.options_for,
                                       progress, keep=kept)
        rows += [{"seed": seed, "point": point_name, "epoch": search.epoch, **row} for row in measured]
        points.append({"point": point_name, "seed": seed, **study.point_summary(point)})
        if ctx is not None:
            ctx.save_snapshot(point_name, {
                CHECKPOINT: search.state_dict(), LOSSES: losses, DRAWS: kept,
                SEARCH: {"config": search_cfg.run_config(cfg.source, seed), "strategy": cfg.source, "seed": seed,
                         "epoch": search.epoch, "point": point_name}})
            ctx.save_checkpoint({"search": search.state_dict(), "rows": rows, "points": points})
    source_rows = [{k: v for k, v in row.items() if k in ("epoch", "entropy", "argmax_arch")} for row in search.rows]
    return pd.DataFrame(rows), {"points": points, "source_search": source_rows, "source": cfg.source,
                                "seed": seed}


def _compute(cfg: GradientStudyConfig, source: str, seed: int, progress: bool):
    return lambda ctx: _study(cfg, seed, split(_cifar(cfg.data), cfg.search_config(), ctx.device), ctx, progress)


# One study per seed of the source strategy's search (its runs named as that search's).
STUDIES = Trials(EXPERIMENT, lambda source, seed: f"{source}-seed{seed}",
                 lambda cfg, source, seed: run_config(cfg, seed), _compute,
                 lambda cfg: [(cfg.source, seed) for seed in cfg.seeds])
run_all = STUDIES.run_all  # the chapter's name


def collect(runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per point, strategy and target; one row per point)."""
    metrics = pd.concat([r.metrics for r in runs], ignore_index=True)
    points = pd.DataFrame([p for r in runs for p in r.summary["points"]])
    return metrics, points


def load_snapshot(folder: Path | str, device: torch.device | None = None, data: SearchData | None = None):
    """(search loop at the saved state, its configuration, the saved cell losses or None) from
    a snapshot folder, or from an unfinished CIFAR-10 search's run folder (its checkpoint)."""
    folder = Path(folder)
    device = device or default_device()
    if (folder / SEARCH).is_file():
        info = json.loads((folder / SEARCH).read_text())
        config, strategy, seed = info["config"], info["strategy"], info["seed"]
    elif (folder / ".advnas-run.json").is_file():
        info = json.loads((folder / ".advnas-run.json").read_text())
        config = info["config"]
        strategy, seed = config["strategies"][0], config["seeds"][0]
    else:
        raise FileNotFoundError(f"checkpoint must be a folder holding {SEARCH} and {CHECKPOINT} (a gradient-study "
                                f"snapshot) or an unfinished CIFAR-10 search; {folder} holds neither")
    if not (folder / CHECKPOINT).is_file():
        raise FileNotFoundError(f"checkpoint: {folder} holds no {CHECKPOINT}")
    search_cfg = NB201SearchConfig.from_dict(config)
    data = data if data is not None else split(_cifar(search_cfg.data), search_cfg, device)
    search = make_search(search_cfg, strategy, seed, data, device)
    state = torch.load(folder / CHECKPOINT, weights_only=True, map_location=device)
    state.pop("__advnas_config_hash__", None)
    search.load_state_dict(state)
    losses = torch.load(folder / LOSSES, weights_only=True) if (folder / LOSSES).is_file() else None
    return search, search_cfg, losses


def golden() -> dict:
    """Behaviour fingerprint (``advnas/behaviour.py``): the study on a 2-channel network, 16
    synthetic images, minibatches of 4, every sparse strategy 6 draws at two points."""
    cfg = GradientStudyConfig(channels=2, cells_per_stage=1, train_size=16, val_size=16, batch=4, epochs=2,
                              warmup_epochs=1, seeds=(0,), points=("warmup_end", "end"), draws=6, chunk=256)
    metrics, summary = _study(cfg, 0, synthetic_data(16), None, progress=False)
    return {"rows": metrics.to_dict("records"), "points": summary["points"]}
