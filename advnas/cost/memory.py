"""Peak memory and time of one search iteration of each strategy on the NAS-Bench-201
search network: the claim behind sparse propagation (Sec. 3), measured.

One measurement runs in a fresh Python process (``python -m advnas.cost.memory``), so that
peaks do not mix: the data are made, the network is built, one warm-up iteration is run
(optimiser states allocated), one more iteration is run for the peak, then ``iterations``
search iterations (a theta step on a validation minibatch plus a weight step, as
Algorithm 1) are timed.

``peak_bytes`` is the peak of the bytes held by tensors, from before the network is built
to the end of the second iteration: parameters, gradients, optimiser states and
activations, not the allocator's cache or code.

* On CUDA: ``torch.cuda.max_memory_allocated`` minus what was allocated before.
* On CPU: every allocation and release recorded by ``torch.profiler`` (``profile_memory``)
  over the same span, summed in time order (net per operator); the running maximum is the
  peak. ``peak_rss_bytes`` adds the operating system's view, the peak resident set size
  (``getrusage``) above the resident size before the network existed, allocator overheads
  included; it is an upper bound and noisier.

The sampled cell is the same for every measurement: ``plain`` is ordinary training (forward,
backward, SGD step) of a stand-alone network with the cell drawn uniformly with
``cell_seed``, and for the search strategies theta starts concentrated on that cell (logits
30 on its operations), so that sampling strategies run that cell on both steps.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .. import distribution, strategies
from ..cifar.augment import augment
from ..config import SEED_LIMIT, SEED_RULE, Config
from ..device import synchronize
from ..nb201.experiment import synthetic_data
from ..nb201.network import NB201Network
from ..nb201.search import SearchData, make_search
from ..nb201.search_config import OP_SETS, NB201SearchConfig
from ..nb201.supernet import SearchNetwork

PLAIN = "plain"


@dataclass(frozen=True)
class MemoryConfig(Config):
    """``python -m advnas memory``: what to measure. Defaults: the paper's network."""

    strategies: tuple[str, ...] = (*strategies.names(), PLAIN)
    channels: int = 16
    cells_per_stage: int = 5
    batch: int = 64
    ops: str = "nb201"
    extra_conv3x3: int = 0
    iterations: int = 3
    cell_seed: int = 0

    def validate(self) -> None:
        allowed = [*strategies.STRATEGIES, PLAIN]
        unknown = [s for s in self.strategies if s not in allowed]
        self.require(not unknown, "strategies", f"drawn from {', '.join(allowed)}", unknown[0] if unknown else None)
        for name, low in (("channels", 1), ("cells_per_stage", 1), ("batch", 2), ("iterations", 1),
                          ("extra_conv3x3", 0), ("cell_seed", 0)):
            self.require(getattr(self, name) >= low, name, f"an integer >= {low}", getattr(self, name))
        self.require(self.ops in OP_SETS, "ops", " or ".join(OP_SETS), self.ops)
        self.require(self.cell_seed < SEED_LIMIT, "cell_seed", SEED_RULE, self.cell_seed)


@dataclass(frozen=True)
class WideConfig(NB201SearchConfig):
    """The search configuration with ``extra_conv3x3`` more copies of conv 3x3 per edge, to
    show how memory grows with |J|."""

    extra_conv3x3: int = 0

    @property
    def op_names(self) -> tuple[str, ...]:
        return super().op_names + ("nor_conv_3x3",) * self.extra_conv3x3


CELL_LOGIT = 30.0  # theta of the measured cell's operations: sampled with probability 1 - 1e-12


def peak_tensor_bytes(fn, device: torch.device) -> tuple[int, str]:
    """Peak of the tensor bytes ``fn`` allocates beyond what was allocated before it, and the
    method: the CUDA allocator's statistics, or on CPU torch.profiler's memory records."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - before), "torch.cuda.max_memory_allocated"
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    level = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        level += event.cpu_memory_usage if event.name == "[memory]" else event.self_cpu_memory_usage
        peak = max(peak, level)
    return int(peak), "torch.profiler memory records (CPU)"


def _load_kernels(ops: tuple[str, ...], device: torch.device) -> None:
    """One dense step of a tiny network, so that the library code of every kernel is loaded
    (on CPU, hundreds of MB of resident code pages) before the baseline is read."""
    net = SearchNetwork(2, 1, ops).to(device)
    x = torch.randn(2, 3, 32, 32, device=device)
    gates = torch.ones(6, len(ops), device=device, requires_grad=True)
    F.cross_entropy(net(x, gates, dense=True), torch.zeros(2, dtype=torch.long, device=device)).backward()
    torch.optim.Adam(net.parameters()).step()
    augment(torch.zeros(2, 3, 32, 32, dtype=torch.uint8, device=device))


def _config(channels: int, cells_per_stage: int, batch: int, ops: str, extra_conv3x3: int) -> WideConfig:
    return WideConfig(channels=channels, cells_per_stage=cells_per_stage, batch=batch, ops=ops,
                      extra_conv3x3=extra_conv3x3, train_size=max(batch, 64), val_size=max(batch, 64),
                      epochs=2, warmup_epochs=1)


def measured_cell(cfg: WideConfig, cell_seed: int) -> tuple[torch.Tensor, str]:
    """The uniformly drawn cell that every measurement runs: its gates and genotype."""
    cell = distribution.sample(torch.zeros(6, len(cfg.op_names)), torch.Generator().manual_seed(cell_seed))
    return cell, SearchNetwork(1, 1, cfg.op_names).arch_string(cell)


def iteration(strategy: str, cfg: WideConfig, cell_seed: int, data: SearchData, device: torch.device):
    """Build what one measurement runs and return its iteration: plain training of the
    sampled cell, or a search iteration (theta step, then weight step) with theta
    concentrated on that cell. The iteration returns its losses."""
    cell, arch = measured_cell(cfg, cell_seed)
    index = torch.arange(cfg.batch)
    if strategy == PLAIN:
        net = NB201Network(arch, cfg.channels, cfg.cells_per_stage).to(device)
        sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

        def plain_iteration():
            sgd.zero_grad()
            loss = F.cross_entropy(net(augment(data.train_images[index])), data.train_labels[index])
            loss.backward()
            sgd.step()
            return [loss.detach()]
        return plain_iteration
    search = make_search(cfg, strategy, 0, data, device)
    with torch.no_grad():
        search.theta.copy_(CELL_LOGIT * cell.to(device).expand_as(search.theta))

    def search_iteration():
        theta_loss = search.theta_step(search.task.theta_batch())
        return [theta_loss, search.weight_step(search.task.train_batch(index))]
    return search_iteration


def measure_here(strategy: str, channels: int, cells_per_stage: int, batch: int, ops: str,
                 extra_conv3x3: int, iterations: int, device: torch.device, cell_seed: int = 0) -> dict[str, Any]:
    """Run in this (fresh) process; see the module docstring."""
    cfg = _config(channels, cells_per_stage, batch, ops, extra_conv3x3)
    data = synthetic_data(cfg.train_size).to(device)
    _load_kernels(cfg.op_names, device)
    arch = measured_cell(cfg, cell_seed)[1]
    state: dict[str, Any] = {}

    def build_and_run_twice():
        step = iteration(strategy, cfg, cell_seed, data, device)
        step()  # warm-up: optimiser states, kernels
        step()
        state["iteration"] = step

    with open("/proc/self/statm") as f:  # the resident size before the network exists
        baseline = int(f.read().split()[1]) * resource.getpagesize()
    peak, method = peak_tensor_bytes(build_and_run_twice, device)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iterations):
        state["iteration"]()
    synchronize(device)
    seconds = (time.perf_counter() - start) / iterations
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    return {"strategy": strategy, "peak_bytes": int(peak), "seconds_per_iteration": seconds,
            "device": str(device), "method": method,
            "peak_rss_bytes": peak_rss - baseline if device.type == "cpu" else None,
            "cell": arch, "channels": channels, "cells_per_stage": cells_per_stage,
            "batch": batch, "n_ops": len(cfg.op_names), "ops": list(cfg.op_names), "iterations": iterations,
            "torch_threads": torch.get_num_threads()}


def measure(strategy: str, channels: int = 16, cells_per_stage: int = 5, batch: int = 64, ops: str = "nb201",
            extra_conv3x3: int = 0, iterations: int = 3, device: str | None = None,
            cell_seed: int = 0) -> dict[str, Any]:
    """One measurement in a fresh process (this module run as a script)."""
    args = {"strategy": strategy, "channels": channels, "cells_per_stage": cells_per_stage, "batch": batch,
            "ops": ops, "extra_conv3x3": extra_conv3x3, "iterations": iterations, "device": device,
            "cell_seed": cell_seed}
    proc = subprocess.run([sys.executable, "-m", "advnas.cost.memory", json.dumps(args)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"memory measurement of {strategy} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _main() -> None:
    from ..device import default_device

    args = json.loads(sys.argv[1])
    device = torch.device(args.pop("device") or default_device())
    print(json.dumps(measure_here(device=device, **args)))


if __name__ == "__main__":
    _main()


def golden() -> dict:
    """The losses of two iterations of each measurement at a tiny size (behaviour fingerprint
    of the memory benchmark, ``benchmarks/memory.py``)."""
    cfg = _config(2, 1, 4, "nb201", 1)
    outputs = {}
    for name in [*strategies.names(), PLAIN]:
        step = iteration(name, cfg, 1, synthetic_data(cfg.train_size), torch.device("cpu"))
        outputs[name] = [float(x) for x in step() + step()]
    return outputs
