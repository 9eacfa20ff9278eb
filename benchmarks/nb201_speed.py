"""Speed of the CIFAR-10 search (Sec. 5.2), measured side by side in one process:

  * augmentation throughput (batched pad-crop-flip-normalise, images per second), and its
    share of a search iteration (it must never be the bottleneck);
  * one search iteration (a theta step on V plus a weight step on D, AdvantageNAS) divided by
    one plain training step (forward, backward, SGD) of a stand-alone network with a sampled
    cell (target: <= 2.2; two forward-backward passes make 2.0);
  * AdvantageNAS's theta step divided by REINFORCE's (target: <= 1.05). REINFORCE needs no
    backward pass (its gradient uses the loss only); the official code runs one anyway, so
    the ratio against REINFORCE with a backward pass is reported too;
  * where the time goes: a per-operator breakdown (torch.profiler, the top operators by self
    time) of one search iteration and one plain training step at each size, stored as table
    rows with measurement "profile" and in the summary under "profile".

Each repeat times every contender on the same prepared minibatches, in a shuffled order;
the summary holds medians of per-repeat ratios and their quartiles. Results go through the
results store (results/benchmarks/<profile>/nb201-speed-*/).

    python benchmarks/nb201_speed.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import statistics

import pandas as pd
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from advnas import distribution
from advnas.cifar.augment import augment
from advnas.device import default_device, synchronize
from advnas.nb201.network import NB201Network
from advnas.nb201.experiment import synthetic_data
from advnas.nb201.search import SearchData, make_search
from advnas.nb201.search_config import NB201SearchConfig

SETTINGS = {  # profile -> network sizes (channels, cells per stage) and repeats x steps
    "smoke": {"sizes": [[4, 1]], "repeats": 3, "steps": 2, "augment_repeats": 3},
    "cpu": {"sizes": [[8, 1], [16, 5]], "repeats": 15, "steps": 5, "augment_repeats": 21},
    "paper": {"sizes": [[16, 5]], "repeats": 21, "steps": 10, "augment_repeats": 51},
}
BATCH = 64
PROFILE_TOP = 15  # operators kept per profiled step




def _data(device, n: int = 1024) -> SearchData:
    return synthetic_data(n).to(device)


def augmentation(repeats: int, device) -> list[dict]:
    images = _data(device, 4096).train_images
    g = torch.Generator(device=device).manual_seed(0)
    rows = []
    for batch in (64, 256):
        for r in range(repeats):
            index = torch.randint(0, len(images), (batch,), device=device)
            seconds = _stored.timed(lambda: augment(images[index], g), 5, device)
            rows.append({"measurement": "augment", "batch": batch, "repeat": r, "images_per_second": batch / seconds})
    return rows


def contenders(channels: int, cells: int, device, n: int = 1024) -> tuple[SearchData, dict]:
    """AdvantageNAS, REINFORCE (no backward pass) and REINFORCE with a backward pass."""
    cfg = NB201SearchConfig(channels=channels, cells_per_stage=cells, train_size=n, val_size=n,
                            epochs=2, warmup_epochs=1, batch=BATCH)
    data = _data(device, n)
    searches = {}
    for variant, name, backward in [("advantage", "advantage", True), ("reinforce", "reinforce", False),
                                    ("reinforce+backward", "reinforce", True)]:
        searches[variant] = make_search(cfg, name, 0, data, device)
        searches[variant].strategy.needs_gate_gradient = backward
    return data, searches


def _plain_step(arch: str, channels: int, cells: int, data: SearchData, g, device):
    """One plain training step (forward, backward, SGD) of a stand-alone network with ``arch``."""
    plain = NB201Network(arch, channels, cells).to(device).train()
    sgd = torch.optim.SGD(plain.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x, y = augment(data.train_images[:BATCH], g), data.train_labels[:BATCH]

    def plain_step():
        sgd.zero_grad()
        F.cross_entropy(plain(x), y).backward()
        sgd.step()
    return plain_step


def _tasks(searches: dict, plain_step, data: SearchData, g) -> dict:
    index = torch.arange(BATCH)
    adv = searches["advantage"]
    return {
        "plain_step": plain_step,
        "search_iteration": lambda: (adv.theta_step(adv.task.theta_batch()),
                                     adv.weight_step(adv.task.train_batch(index))),
        "augment": lambda: augment(data.train_images[index], g),
        **{f"theta_step:{v}": (lambda s=s: s.theta_step(s.task.theta_batch())) for v, s in searches.items()},
    }


def iteration_ratio(channels: int, cells: int, repeats: int, steps: int, device) -> list[dict]:
    data, searches = contenders(channels, cells, device)
    g = torch.Generator(device=device).manual_seed(1)
    order = torch.Generator().manual_seed(0)
    rows = []
    for r in range(repeats):
        arch = searches["advantage"].model.arch_string(distribution.sample(torch.zeros(6, 4), order))
        tasks = _tasks(searches, _plain_step(arch, channels, cells, data, g, device), data, g)
        tasks["plain_step"](), tasks["theta_step:advantage"]()  # warm up this network's kernels
        names = list(tasks)
        for i in torch.randperm(len(names), generator=order).tolist():
            rows.append({"measurement": names[i], "channels": channels, "cells_per_stage": cells, "repeat": r,
                         "seconds": _stored.timed(tasks[names[i]], steps, device)})
    return rows


def operator_profile(channels: int, cells: int, device, top: int = PROFILE_TOP) -> list[dict]:
    """Where the time of one search iteration and of one plain step goes: torch.profiler's
    per-operator totals (self time: the operator's own work, without the operators it
    calls), the ``top`` operators by self CPU time (self device time too on CUDA). The plain
    step trains a cell drawn as a weight step of the search draws it."""
    data, searches = contenders(channels, cells, device)
    g = torch.Generator(device=device).manual_seed(2)
    adv = searches["advantage"]
    arch = adv.model.arch_string(adv.strategy.weight_draw(adv.theta, adv.theta_steps, False).gates.detach())
    tasks = _tasks(searches, _plain_step(arch, channels, cells, data, g, device), data, g)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    rows = []
    for name in ("search_iteration", "plain_step"):
        tasks[name]()  # warm up
        synchronize(device)
        with profile(activities=activities) as prof:
            tasks[name]()
            synchronize(device)
        events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        total = sum(e.self_cpu_time_total for e in events)
        for rank, e in enumerate(events[:top]):
            row = {"measurement": "profile", "channels": channels, "cells_per_stage": cells, "task": name,
                   "rank": rank, "operator": e.key, "calls": e.count,
                   "self_cpu_seconds": e.self_cpu_time_total / 1e6,
                   "self_cpu_share": e.self_cpu_time_total / total if total else 0.0}
            if device.type == "cuda":
                row["self_device_seconds"] = getattr(e, "self_device_time_total", 0.0) / 1e6
            rows.append(row)
    return rows


def _profile_summary(rows: pd.DataFrame) -> dict:
    """{size: {task: [{operator, calls, self_cpu_ms, share}]}} from the "profile" rows."""
    out = {}
    for (channels, cells, task), group in rows.groupby(["channels", "cells_per_stage", "task"], sort=False):
        out.setdefault(f"C={int(channels)}, cells/stage={int(cells)}", {})[task] = [
            {"operator": r.operator, "calls": int(r.calls), "self_cpu_ms": round(1e3 * r.self_cpu_seconds, 3),
             "share": round(float(r.self_cpu_share), 4),
             **({"self_device_ms": round(1e3 * r.self_device_seconds, 3)} if hasattr(r, "self_device_seconds") else {})}
            for r in group.sort_values("rank").itertuples()]
    return out


def _ratio(table: pd.DataFrame, a: str, b: str) -> dict:
    wide = table.pivot(index="repeat", columns="measurement", values="seconds")
    ratios = (wide[a] / wide[b]).tolist()
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": float(statistics.median(ratios)), "quartiles": [float(quartiles[0]), float(quartiles[2])]}


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    settings, device = SETTINGS[profile], default_device()
    rows = augmentation(settings["augment_repeats"], device)
    for channels, cells in settings["sizes"]:
        rows += iteration_ratio(channels, cells, settings["repeats"], settings["steps"], device)
    for channels, cells in settings["sizes"]:
        rows += operator_profile(channels, cells, device)
    table = pd.DataFrame(rows)
    profiled, timed = table[table.measurement == "profile"], table[table.measurement != "profile"]
    aug = timed[timed.measurement == "augment"]
    summary = {
        "device": str(device), "torch_threads": torch.get_num_threads(),
        "augment_images_per_second": {str(int(b)): float(g.images_per_second.median())
                                      for b, g in aug[aug.batch.notna()].groupby("batch")},
        "sizes": {},
        "iteration_target": 2.2,
        "theta_ratio_target": 1.05,
        "profile": _profile_summary(profiled),
    }
    for (channels, cells), group in timed[timed.channels.notna()].groupby(["channels", "cells_per_stage"]):
        med = group.groupby("measurement").seconds.median()
        summary["sizes"][f"C={int(channels)}, cells/stage={int(cells)}"] = {
            "median_seconds": {k: float(v) for k, v in med.items()},
            "search_iteration_over_plain_step": _ratio(group, "search_iteration", "plain_step"),
            "advantage_over_reinforce": _ratio(group, "theta_step:advantage", "theta_step:reinforce"),
            "advantage_over_reinforce_with_backward": _ratio(group, "theta_step:advantage",
                                                             "theta_step:reinforce+backward"),
            "augment_share_of_iteration": _ratio(group, "augment", "search_iteration"),
        }
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the losses of the timed
    steps at a tiny size."""
    device = torch.device("cpu")
    data, searches = contenders(2, 1, device, n=BATCH)
    tasks = _tasks(searches, lambda: None, data, torch.Generator().manual_seed(1))
    losses = {}
    for name, fn in tasks.items():
        if name.startswith(("theta_step", "search_iteration")):
            out = fn()
            losses[name] = [float(x) for x in (out if isinstance(out, tuple) else (out,))]
    return {"settings": SETTINGS, "losses": losses}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("nb201-speed", profile, SETTINGS, measure, "nb201-speed-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "nb201-speed", SETTINGS, measure, "nb201-speed-benchmark")
