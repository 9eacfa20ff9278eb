"""The CIFAR-10 cell search task (Sec. 5.2, App. D) for the shared search loop.

The loop (``advnas/search/loop.py``) runs Algorithm 1; this module supplies the D/V split
of the CIFAR-10 training images, the augmented minibatch streams, the weight-sharing
network of the NAS-Bench-201 cell, and the accuracy lookup that scores architectures.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ..cifar.augment import augment
from ..cifar.data import CIFAR10
from ..config import ConfigError
from ..data.nb201_benchmark import as_benchmark
from ..search.loop import SearchLoop
from ..search.seeds import derive_seed
from ..search.task import THETA, WEIGHT, LoopSettings, SearchTask
from ..strategies import Draw
from .network import params_mb
from .search_config import NB201SearchConfig
from .supernet import EDGES, SearchNetwork

@dataclass
class SearchData:
    """D and V as uint8 images and labels on the search device."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    variant: str  # "official", "jpeg" or "synthetic"

    def to(self, device: torch.device) -> "SearchData":
        return SearchData(self.train_images.to(device), self.train_labels.to(device), self.val_images.to(device),
                          self.val_labels.to(device), self.variant)


def class_interleaved(labels: torch.Tensor) -> torch.Tensor:
    """A fixed order taking the classes in turn (the 1st image of each class, then the 2nd...),
    keeping each class's own order."""
    rank = torch.empty_like(labels)
    for c in labels.unique():
        members = (labels == c).nonzero().squeeze(1)
        rank[members] = torch.arange(len(members))
    return torch.argsort(rank * (int(labels.max()) + 1) + labels, stable=True)


def split(cifar: CIFAR10, cfg: NB201SearchConfig, device: torch.device) -> SearchData:
    """D = the first ``train_size`` of the first half of the training images ([0, 25000) of
    the 50,000); V = the first ``val_size`` of the second half ([25000, 50000)).
    Deterministic, as the official code (official code: cifar10/cifar.py and search.py, the data).

    The official files hold the images in a random class order, so both halves (and any
    prefix) are mixed. The JPEG copy (and its shipped sample) is sorted by class (ImageFolder
    layout): taken as is, D would hold five classes and V the other five. Its images are
    therefore first put in class-interleaved order, which gives every half and every prefix
    balanced classes. A size larger than a half is refused in one line (the shipped sample
    has far fewer images than the full set)."""
    images, labels = cifar.train_images, cifar.train_labels
    if cifar.variant in ("jpeg", "jpeg-sample"):
        order = class_interleaved(labels)
        images, labels = images[order], labels[order]
    half = len(labels) // 2  # 25,000 for the full training set
    for name in ("train_size", "val_size"):
        if getattr(cfg, name) > half:
            raise ConfigError(f"{name} must be at most {half:,} with data {cfg.data!r} ({len(labels):,} training "
                              f"images, split in halves); got {getattr(cfg, name):,}")
    v = slice(half, half + cfg.val_size)
    return SearchData(images[:cfg.train_size].to(device), labels[:cfg.train_size].to(device),
                      images[v].to(device), labels[v].to(device), cifar.variant)


@functools.lru_cache(maxsize=None)
def arch_params_mb(arch: str) -> float:
    """The paper's params(MB) of a cell: the C = 16, 5-cells-per-stage network's size."""
    return params_mb(arch)


class Batches:
    """Minibatch indices from successive random permutations (the V iterator advances only on
    theta steps). A partial batch at the end of a permutation is dropped."""

    def __init__(self, size: int, batch: int, generator: torch.Generator):
        self.size, self.batch, self.generator = size, batch, generator
        self.order: torch.Tensor | None = None
        self.position = 0

    def next(self) -> torch.Tensor:
        if self.order is None or self.position + self.batch > self.size:
            self.order, self.position = torch.randperm(self.size, generator=self.generator), 0
        index = self.order[self.position:self.position + self.batch]
        self.position += self.batch
        return index

    def state_dict(self) -> dict[str, Any]:
        return {"order": self.order, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order, self.position = state["order"], state["position"]


def loop_settings(cfg: NB201SearchConfig) -> LoopSettings:
    return LoopSettings(epochs=cfg.epochs, warmup_epochs=cfg.warmup_epochs, w_lr=cfg.w_lr,
                        w_momentum=cfg.w_momentum, w_weight_decay=cfg.w_weight_decay, w_clip=cfg.w_clip,
                        theta_lr=cfg.theta_lr, theta_betas=(cfg.theta_beta1, cfg.theta_beta2),
                        theta_weight_decay=cfg.theta_weight_decay, theta_clip=cfg.theta_clip,
                        theta_steps=cfg.theta_steps)


class CellSearchTask(SearchTask):
    """The NAS-Bench-201 cell on CIFAR-10: an epoch is one pass over D in minibatches of a
    fresh permutation, each preceded (after warm-up) by a theta step on the next minibatch
    of V (the official alternation starts with a theta step, official code: cifar10/search.py, the schedule). Both minibatches are
    augmented (official code: cifar10/cifar.py and search.py, the data). The network stays in training mode throughout, so batch norm
    always uses batch statistics (official code: cifar10/basemodel.py). Architectures are scored by their NAS-Bench-201
    test accuracy, from the shipped table or from ``benchmark``, an official NAS-Bench-201 / NATS-Bench topology
    API object (``advnas/data/nb201_benchmark.py``); the scores are reported, never used by the search."""

    name = "nb201"
    n_edges = len(EDGES)

    def __init__(self, cfg: NB201SearchConfig, data: SearchData, benchmark=None):
        self.cfg, self.data = cfg, data
        self.benchmark = as_benchmark(benchmark)
        self.op_names = cfg.op_names
        self.model: SearchNetwork | None = None

    def build(self, seed: int, device: torch.device) -> SearchNetwork:
        cfg = self.cfg
        self.model = SearchNetwork(cfg.channels, cfg.cells_per_stage, cfg.op_names).to(device).train()
        self.data_generator = torch.Generator().manual_seed(derive_seed("data", seed))
        self.augment_generator = torch.Generator(device=device).manual_seed(derive_seed("augment", seed))
        self.val_batches = Batches(cfg.val_size, cfg.batch, self.data_generator)
        return self.model

    def _minibatch(self, images: torch.Tensor, labels: torch.Tensor, index: torch.Tensor):
        index = index.to(images.device)
        return augment(images[index], self.augment_generator), labels[index]

    def train_batch(self, index: torch.Tensor):
        """The augmented D minibatch of ``index``."""
        return self._minibatch(self.data.train_images, self.data.train_labels, index)

    def theta_batch(self):
        """The next augmented minibatch of V."""
        return self._minibatch(self.data.val_images, self.data.val_labels, self.val_batches.next())

    def plan(self, epoch: int, warmup: bool):
        cfg = self.cfg
        order = torch.randperm(cfg.train_size, generator=self.data_generator)
        for b in range(cfg.batches_per_epoch):
            if not warmup:
                yield THETA, self.theta_batch()
            yield WEIGHT, self.train_batch(order[b * cfg.batch:(b + 1) * cfg.batch])

    def loss(self, batch, draw: Draw, graph: bool = False) -> torch.Tensor:
        """Mean cross-entropy of the minibatch; one per architecture when ``draw.samples``.
        A theta step of REINFORCE or PARSEC is a forward pass only."""
        images, labels = batch
        with torch.set_grad_enabled(self.needs_graph(draw, graph)):
            gates = list(draw.gates) if draw.samples else [draw.gates]
            losses = [F.cross_entropy(self.model(images, g, dense=draw.dense, skipped=draw.skipped), labels)
                      for g in gates]
        return torch.stack(losses) if draw.samples else losses[0]

    def arch_string(self, gates: torch.Tensor) -> str:
        return self.model.arch_string(gates)

    def accuracy(self, arch: str) -> float:
        """The cell's CIFAR-10 test accuracy (%) after 200 epochs, from the benchmark."""
        return self.benchmark.accuracy(arch, "cifar10")

    def epoch_metrics(self, argmax_arch: str, best_arch: str | None) -> dict[str, Any]:
        return {"argmax_accuracy": self.accuracy(argmax_arch),
                "process_best_accuracy": self.accuracy(best_arch) if best_arch else math.nan}

    def summary(self, search: dict[str, Any]) -> dict[str, Any]:
        argmax_arch, best_arch = search["argmax_arch"], search["process_best_arch"]
        return {
            "ops": self.cfg.ops,
            "final_accuracy": self.accuracy(search["final_arch"]),
            "argmax_accuracy": self.accuracy(argmax_arch),
            "argmax_params_mb": arch_params_mb(argmax_arch),
            "process_best_accuracy": self.accuracy(best_arch) if best_arch else None,
            "process_best_params_mb": arch_params_mb(best_arch) if best_arch else None,
            "data_variant": self.data.variant,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"data": self.data_generator.get_state(), "augment": self.augment_generator.get_state(),
                "val_batches": self.val_batches.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.data_generator.set_state(state["data"])
        self.augment_generator.set_state(state["augment"])
        self.val_batches.load_state_dict(state["val_batches"])


def make_search(cfg: NB201SearchConfig, strategy: str, seed: int, data: SearchData,
                device: torch.device, benchmark=None) -> SearchLoop:
    """One CIFAR-10 search (Algorithm 1) with ``strategy`` and its options from ``cfg``; found cells
    are scored by the shipped table, or by ``benchmark`` (an official API object)."""
    cfg = cfg.for_strategy(strategy)
    return SearchLoop(CellSearchTask(cfg, data, benchmark), loop_settings(cfg), strategy, seed, device,
                      cfg.options_for(strategy))

