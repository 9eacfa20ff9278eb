"""This library against AutoDL-Projects (the `xautodl` package), on the same search space:

one search iteration (a weight step and an architecture step) of xautodl's GDAS
(`TinyNetworkGDAS`) and first-order DARTS (`TinyNetworkDarts`) against ours (GDAS, DARTS
and AdvantageNAS), on the NAS-Bench-201 space with the zero operation (5 candidates), the
same network size, batch, data (random images, augmented the same way for everyone) and
thread count. Each repeat times every pair (ours, the peer it is compared with) back to
back, the pairs in a shuffled order and the two in alternating order, so that a ratio
compares iterations seconds apart (the machine's speed drifts over a run); the summary
holds medians and quartiles of per-repeat ratios. Peak tensor memory of building the contender
and running two iterations is read from torch.profiler's records (CPU) or the CUDA
allocator, as in advnas/cost/memory.py. Profiled iterations of each contender (the median of
``PROFILED``: a sampling strategy runs another cell each time) split its time into the network's
own kernels (convolution, batch norm, pooling, ReLU), which the same network costs in any
implementation, and the rest: our kernels alone, divided by the peer's whole iteration, is the
lowest ratio reachable by cutting overhead (``kernel_floor``).

xautodl's iteration is the one of its search scripts: SGD (Nesterov, lr 0.025, weight
decay 5e-4, gradient clipping 5) on the weights, Adam (lr 3e-4, betas (0.5, 0.999),
weight decay 1e-3) on the architecture parameters, GDAS at tau = 10.

    pip install --no-deps -r benchmarks/requirements-peers.txt   # xautodl, pinned (see that file)
    python benchmarks/peers.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import statistics

import pandas as pd
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from advnas.cifar.augment import augment
from advnas.device import default_device, synchronize
from advnas.nb201.experiment import synthetic_data
from advnas.cost.memory import peak_tensor_bytes
from advnas.nb201.search import make_search
from advnas.nb201.search_config import OP_SETS, NB201SearchConfig

SETTINGS = {
    "smoke": {"channels": 4, "cells_per_stage": 1, "batch": 16, "repeats": 2, "steps": 1},
    "cpu": {"channels": 16, "cells_per_stage": 5, "batch": 64, "repeats": 7, "steps": 2},
    "paper": {"channels": 16, "cells_per_stage": 5, "batch": 64, "repeats": 21, "steps": 3},
}
OURS = ("gdas", "darts", "advantage")
PEERS = ("xautodl-gdas", "xautodl-darts")
PAIRS = {"gdas_over_xautodl_gdas": ("gdas", "xautodl-gdas"), "darts_over_xautodl_darts": ("darts", "xautodl-darts"),
         "advantage_over_xautodl_gdas": ("advantage", "xautodl-gdas")}
TARGETS = {"gdas_over_xautodl_gdas": 0.8, "darts_over_xautodl_darts": 0.6, "advantage_over_xautodl_gdas": 1.0}


def _batches(data, batch: int, device):
    g = torch.Generator(device=device).manual_seed(1)
    index = torch.arange(batch)
    return lambda: (augment(data.train_images[index], g), data.train_labels[index])


def ours(name: str, s: dict, data, device):
    """Our search iteration: a theta step, then a weight step (Algorithm 1)."""
    cfg = NB201SearchConfig(channels=s["channels"], cells_per_stage=s["cells_per_stage"], batch=s["batch"],
                            ops="with-none", train_size=len(data.train_labels), val_size=len(data.val_labels),
                            epochs=2, warmup_epochs=1)
    search = make_search(cfg, name, 0, data, device)
    index = torch.arange(s["batch"])
    return lambda: (float(search.theta_step(search.task.theta_batch())),
                    float(search.weight_step(search.task.train_batch(index))))


def peer(name: str, s: dict, data, device):
    """xautodl's search iteration: a weight step, then an architecture step."""
    from xautodl.models.cell_searchs.search_model_darts import TinyNetworkDarts
    from xautodl.models.cell_searchs.search_model_gdas import TinyNetworkGDAS

    torch.manual_seed(0)
    cls = TinyNetworkGDAS if name == "xautodl-gdas" else TinyNetworkDarts
    ops = ["none", *[o for o in OP_SETS["with-none"] if o != "none"]]  # xautodl's order, none first
    model = cls(s["channels"], s["cells_per_stage"], 4, 10, ops, False, False).to(device).train()
    if name == "xautodl-gdas":
        model.set_tau(10.0)
    w_opt = torch.optim.SGD(model.get_weights(), lr=0.025, momentum=0.9, weight_decay=5e-4, nesterov=True)
    a_opt = torch.optim.Adam(model.get_alphas(), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    next_batch = _batches(data, s["batch"], device)

    def iteration():
        x, y = next_batch()
        w_opt.zero_grad()
        loss = F.cross_entropy(model(x)[1], y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.get_weights(), 5)
        w_opt.step()
        x, y = next_batch()
        a_opt.zero_grad()
        arch_loss = F.cross_entropy(model(x)[1], y)
        arch_loss.backward()
        a_opt.step()
        return float(arch_loss.detach()), float(loss.detach())
    return iteration


def build(name: str, s: dict, data, device):
    return (ours if name in OURS else peer)(name, s, data, device)



def _peak(name: str, s: dict, data, device) -> int:
    def build_and_run_twice():
        step = build(name, s, data, device)
        step()
        step()
    return peak_tensor_bytes(build_and_run_twice, device)[0]


#: The network's own kernels, which any implementation of the same network runs: what is
#: left when they are taken away (gate mixing, sampling, optimisers, Python) is overhead.
NETWORK_KERNELS = ("convolution", "batch_norm", "pool", "relu", "clamp_min", "threshold_backward")


#: Profiled iterations per contender: one alone was noisy (a sampling strategy's cell, hence its
#: kernels, changes from one iteration to the next), so the split is the median of several.
PROFILED = 5


def kernel_split(step, device, iterations: int = PROFILED) -> dict:
    """Self time of an iteration (CPU time; device time on CUDA), split into the network's kernels
    (NETWORK_KERNELS) and the rest: the median of each over ``iterations`` profiled iterations,
    after one unprofiled."""
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    attribute = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    step()
    synchronize(device)
    splits = []
    for _ in range(iterations):
        with profile(activities=activities) as prof:
            step()
            synchronize(device)
        split = {"network_kernels": 0.0, "rest": 0.0}
        for e in prof.key_averages():
            kind = "network_kernels" if any(k in e.key for k in NETWORK_KERNELS) else "rest"
            split[kind] += getattr(e, attribute, 0.0) / 1e6
        splits.append(split)
    return {kind: statistics.median(split[kind] for split in splits) for kind in ("network_kernels", "rest")}


def _floor(kernels: dict, ours: str, theirs: str) -> float:
    """Our network kernels alone ÷ the peer's whole profiled iteration (medians): the lowest time
    ratio reachable without running fewer or faster kernels."""
    return kernels[ours]["network_kernels"] / (kernels[theirs]["network_kernels"] + kernels[theirs]["rest"])


def _ratio(wide: pd.DataFrame, a: str, b: str) -> dict:
    ratios = (wide[a] / wide[b]).tolist()
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": float(statistics.median(ratios)), "quartiles": [float(quartiles[0]), float(quartiles[2])]}


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    s, device = SETTINGS[profile], default_device()
    data = synthetic_data(max(s["batch"], 64)).to(device)
    names = [*OURS, *PEERS]
    peaks = {name: _peak(name, s, data, device) for name in names}
    steps = {name: build(name, s, data, device) for name in names}
    kernels = {name: kernel_split(steps[name], device) for name in names}  # also the warm-up
    order = torch.Generator().manual_seed(0)
    rows = []
    for r in range(s["repeats"]):
        for p in torch.randperm(len(PAIRS), generator=order).tolist():
            key = list(PAIRS)[p]
            for name in PAIRS[key][::1 if r % 2 == 0 else -1]:
                seconds = _stored.timed(steps[name], s["steps"], device)
                rows.append({"pair": key, "contender": name, "repeat": r, "seconds": seconds})
    table = pd.DataFrame(rows)
    table["peak_bytes"] = table.contender.map(peaks)
    summary = {
        "device": str(device), "torch_threads": torch.get_num_threads(), **{k: s[k] for k in
                                                                           ("channels", "cells_per_stage", "batch")},
        "ops": list(OP_SETS["with-none"]),
        "median_seconds": {k: float(v) for k, v in table.groupby("contender").seconds.median().items()},
        "peak_bytes": peaks,
        "time": {key: _ratio(table[table.pair == key].pivot(index="repeat", columns="contender", values="seconds"),
                             *pair) for key, pair in PAIRS.items()},
        "memory": {key: peaks[ours] / peaks[theirs] for key, (ours, theirs) in PAIRS.items()},
        "targets": TARGETS,
        "kernel_seconds": kernels,
        "profiled_iterations": PROFILED,
        "kernel_floor": {key: _floor(kernels, *pair) for key, pair in PAIRS.items()},
    }
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the losses of our timed
    iterations at a tiny size (xautodl's side is not this project's code)."""
    s = {"channels": 2, "cells_per_stage": 1, "batch": 4}
    data = synthetic_data(4)
    return {"settings": SETTINGS, "losses": {name: ours(name, s, data, torch.device("cpu"))() for name in OURS}}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("peers", profile, SETTINGS, measure, "peers-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "peers", SETTINGS, measure, "peers-benchmark")
