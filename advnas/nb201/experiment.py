"""The CIFAR-10 search experiment through the results store: one run per (strategy, seed).

Each run is its own store folder (``results/nb201/<profile>/<strategy>-seed<S>-<hash>/``),
checkpointed after every epoch; an interrupted run resumes from its last epoch, and a
finished one is read back instead of recomputed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
import torch

from .. import strategies
from ..cifar.data import CIFAR10, load_cifar10
from ..data.nb201_benchmark import as_benchmark
from ..data.choice import dataset_for
from ..store import Run, RunContext
from ..trials import Trials
from .search import SearchData, make_search, split
from .search_config import NB201SearchConfig

EXPERIMENT = "nb201"


@functools.lru_cache(maxsize=2)
def _cifar(data: str = "full") -> CIFAR10:
    """CIFAR-10 for the setting ``data``: the full dataset, or the sample shipped with advnas."""
    return load_cifar10(dataset=dataset_for("cifar10", data))


def _run_config(cfg: NB201SearchConfig, strategy: str, seed: int, benchmark=None) -> dict:
    """The stored configuration; a run scored by an official API object records which (so it
    is a run of its own), a run scored by the shipped table is identified as before."""
    config = cfg.run_config(strategy, seed)
    if benchmark is not None:
        config["nb201_benchmark"] = as_benchmark(benchmark).source
    return config


def _compute(cfg: NB201SearchConfig, strategy: str, seed: int, progress: bool, benchmark=None):
    def compute(ctx: RunContext):
        search = make_search(cfg, strategy, seed, split(_cifar(cfg.data), cfg, ctx.device), ctx.device, benchmark)
        state = ctx.load_checkpoint()
        if state is not None:
            search.load_state_dict(state)
        search.run(progress, after_epoch=lambda s: ctx.save_checkpoint(s.state_dict()))
        return pd.DataFrame(search.rows), search.summary()
    return compute


# One search per (strategy, seed); ``benchmark=`` (an official NAS-Bench-201 / NATS-Bench topology
# API object) scores the found cells instead of the shipped table.
SEARCHES = Trials(EXPERIMENT, lambda strategy, seed: f"{strategy}-seed{seed}", _run_config, _compute)
run_all = SEARCHES.run_all  # the chapters' name


def zero_op_control(cfg: NB201SearchConfig) -> NB201SearchConfig:
    """The ablation of App. F: AdvantageNAS without its zero-operation treatment (Eq. 9)."""
    return cfg.replace(strategies=(strategies.PROPOSED,),
                       strategy_options={strategies.PROPOSED: {"zero_op_treatment": False}})


def collect(runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summaries, one row per run; per-epoch metrics of every run, with strategy and seed)."""
    summaries = pd.DataFrame([{k: v for k, v in r.summary.items() if k != "theta"} for r in runs])
    metrics = pd.concat([r.metrics.assign(strategy=r.summary["strategy"], seed=r.summary["seed"])
                         for r in runs], ignore_index=True)
    return summaries, metrics


@dataclass(frozen=True)
class ZeroOpData:
    """What the zero-operation chapter (App. B, App. F, Table 4) reads: its searches with `none`
    among the candidates, the control without Eq. (9), and the same strategies and seeds on
    the four operations (the CIFAR-10 chapter's runs)."""

    runs: list[Run]  # every strategy of the chapter, with `none`
    control_runs: list[Run]  # AdvantageNAS without Eq. (9), with `none`
    four_ops_runs: list[Run]  # the same searches without `none`
    summaries: pd.DataFrame  # of ``runs``
    metrics: pd.DataFrame  # of ``runs``, per epoch
    control: pd.DataFrame  # of ``control_runs``, labelled "AdvantageNAS without Eq. (9)"
    four_ops: pd.DataFrame  # of ``four_ops_runs``

    @property
    def with_zero(self) -> pd.DataFrame:
        """Table 4's rows: the summaries with `none`, the control's last."""
        return pd.concat([self.summaries, self.control], ignore_index=True)


def zero_op_data(cfg: NB201SearchConfig, profile: str, progress: bool = True, recompute: bool = False) -> ZeroOpData:
    """The zero-operation chapter's runs at ``profile`` (stored runs are read, missing ones
    computed; ``recompute``: all afresh)."""
    # the four-operation comparison is in the space of Sec. 5.2 (Table 2): the CIFAR-10 chapter's runs
    runs, control_runs, four_ops_runs = (run_all(c, profile, progress=progress, recompute=recompute)
                                         for c in (cfg, zero_op_control(cfg), cfg.replace(ops="nb201")))
    summaries, metrics = collect(runs)
    control, _ = collect(control_runs)
    control["label"] = f"{strategies.label(strategies.PROPOSED)} without Eq. (9)"
    four_ops, _ = collect(four_ops_runs)
    return ZeroOpData(runs, control_runs, four_ops_runs, summaries, metrics, control, four_ops)


def synthetic_data(n: int, seed: int = 0) -> SearchData:
    """Random uint8 images and labels as D and V (golden runs, benchmarks, tests)."""
    g = torch.Generator().manual_seed(seed)
    images = lambda: torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)  # noqa: E731
    labels = lambda: torch.randint(0, 10, (n,), generator=g)  # noqa: E731
    return SearchData(images(), labels(), images(), labels(), "synthetic")


def golden() -> dict:
    """Behaviour fingerprint (``advnas/behaviour.py``): every strategy searches a 2-channel
    network on 16 synthetic images for 2 epochs (1 of warm-up), on both spaces, and
    AdvantageNAS once more without Eq. (9); the log rows and summaries are the outputs."""
    cpu = torch.device("cpu")
    data = synthetic_data(16)
    base = NB201SearchConfig(channels=2, cells_per_stage=1, train_size=16, val_size=16, batch=4, epochs=2,
                             warmup_epochs=1, seeds=(0,))
    cases = [(ops, name, {}) for ops in ("nb201", "with-none") for name in strategies.STRATEGIES]
    cases.append(("with-none", strategies.PROPOSED, {"zero_op_treatment": False}))
    outputs = {}
    for ops, name, options in cases:
        cfg = base.replace(ops=ops, strategy_options={name: options})
        search = make_search(cfg, name, 0, data, cpu)
        search.run(progress=False)
        rows = [{k: v for k, v in row.items() if k not in ("epoch_seconds", "wall_time_s")} for row in search.rows]
        summary = {k: v for k, v in search.summary().items() if k != "wall_time_s"}
        outputs[f"{ops}/{name}/{sorted(options.items())}"] = {"rows": rows, "summary": summary}
    return outputs
