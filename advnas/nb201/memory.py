"""Peak memory and time of one search iteration of each strategy on the NAS-Bench-201
search network: the claim behind sparse propagation (Sec. 3), measured.

One measurement runs in a fresh Python process (``python -m advnas.nb201.memory``), so that
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

from .. import distribution
from ..cifar.augment import augment
from ..device import synchronize
from .network import NB201Network
from .search import Search, SearchData
from .search_config import NB201SearchConfig
from .supernet import SearchNetwork

PLAIN = "plain"


@dataclass(frozen=True)
class WideConfig(NB201SearchConfig):
    """The search configuration with ``extra_conv3x3`` more copies of conv 3x3 per edge, to
    show how memory grows with |J|."""

    extra_conv3x3: int = 0

    @property
    def op_names(self) -> tuple[str, ...]:
        return super().op_names + ("nor_conv_3x3",) * self.extra_conv3x3


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _peak_resident_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


CELL_LOGIT = 30.0  # theta of the measured cell's operations: sampled with probability 1 - 1e-12


def _profiled_peak_bytes(fn) -> int:
    """Peak of the tensor bytes allocated by ``fn`` on CPU, from the profiler's records."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    level = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        level += event.cpu_memory_usage if event.name == "[memory]" else event.self_cpu_memory_usage
        peak = max(peak, level)
    return int(peak)


def _data(n: int, device: torch.device) -> SearchData:
    g = torch.Generator().manual_seed(0)
    images = lambda: torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8).to(device)  # noqa: E731
    labels = lambda: torch.randint(0, 10, (n,), generator=g).to(device)  # noqa: E731
    return SearchData(images(), labels(), images(), labels(), "synthetic")


def _load_kernels(ops: tuple[str, ...], device: torch.device) -> None:
    """One dense step of a tiny network, so that the library code of every kernel is loaded
    (on CPU, hundreds of MB of resident code pages) before the baseline is read."""
    net = SearchNetwork(2, 1, ops).to(device)
    x = torch.randn(2, 3, 32, 32, device=device)
    gates = torch.ones(6, len(ops), device=device, requires_grad=True)
    F.cross_entropy(net(x, gates, dense=True), torch.zeros(2, dtype=torch.long, device=device)).backward()
    torch.optim.Adam(net.parameters()).step()
    augment(torch.zeros(2, 3, 32, 32, dtype=torch.uint8, device=device))


def measure_here(strategy: str, channels: int, cells_per_stage: int, batch: int, ops: str,
                 extra_conv3x3: int, iterations: int, device: torch.device, cell_seed: int = 0) -> dict[str, Any]:
    """Run in this (fresh) process; see the module docstring."""
    cfg = WideConfig(channels=channels, cells_per_stage=cells_per_stage, batch=batch, ops=ops,
                     extra_conv3x3=extra_conv3x3, train_size=max(batch, 64), val_size=max(batch, 64),
                     epochs=2, warmup_epochs=1)
    data = _data(cfg.train_size, device)
    _load_kernels(cfg.op_names, device)
    cell = distribution.sample(torch.zeros(6, len(cfg.op_names)), torch.Generator().manual_seed(cell_seed))
    arch = SearchNetwork(1, 1, cfg.op_names).arch_string(cell)
    index = torch.arange(batch)
    state: dict[str, Any] = {}

    def build_and_run_twice():
        if strategy == PLAIN:
            net = NB201Network(arch, channels, cells_per_stage).to(device)
            sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

            def iteration():
                sgd.zero_grad()
                F.cross_entropy(net(augment(data.train_images[index])), data.train_labels[index]).backward()
                sgd.step()
        else:
            search = Search(cfg, strategy, 0, data, device)
            with torch.no_grad():
                search.theta.copy_(CELL_LOGIT * cell.to(device).expand_as(search.theta))

            def iteration():
                search.theta_step()
                search.weight_step(index, warmup=False)
        iteration()  # warm-up: optimiser states, kernels
        iteration()
        state["iteration"] = iteration

    baseline = _resident_bytes()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        build_and_run_twice()
        torch.cuda.synchronize(device)
        peak, method = torch.cuda.max_memory_allocated(device) - before, "torch.cuda.max_memory_allocated"
    else:
        peak, method = _profiled_peak_bytes(build_and_run_twice), "torch.profiler memory records (CPU)"
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iterations):
        state["iteration"]()
    synchronize(device)
    seconds = (time.perf_counter() - start) / iterations
    return {"strategy": strategy, "peak_bytes": int(peak), "seconds_per_iteration": seconds,
            "device": str(device), "method": method,
            "peak_rss_bytes": _peak_resident_bytes() - baseline if device.type == "cpu" else None,
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
    proc = subprocess.run([sys.executable, "-m", "advnas.nb201.memory", json.dumps(args)],
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
