"""Algorithm 1 on the NAS-Bench-201 search network: alternating weight and theta steps.

One epoch is one pass over D (``train_size // batch`` minibatches of a fresh permutation).
During the first ``warmup_epochs`` epochs theta is fixed and only the weights are trained,
on the strategy's own draws from the initial (uniform) distribution. Afterwards every
iteration is a theta step on the next minibatch of V followed by a weight step on the next
minibatch of D (the official alternation starts with a theta step, spec §2.4). Both
minibatches are augmented (spec §2.1). The network stays in training mode throughout, so
batch norm always uses batch statistics (spec §2.2).

Logged after every epoch: the argmax architecture and its NAS-Bench-201 accuracy, the
process-best architecture (the sampled one-hot architecture with the lowest single
validation-minibatch loss, spec §2.8) and its accuracy, the entropy of mu(theta) (App. H),
the mean losses, learning rates and wall time. A checkpoint holding every state (weights,
theta, both optimisers, the strategy, every random generator, the logs) is written after
every epoch, so an interrupted search resumes and ends exactly as an uninterrupted one.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from tqdm import tqdm

from .. import distribution, strategies
from ..cifar.augment import augment
from ..cifar.data import CIFAR10
from ..data.nb201_table import nb201_accuracy
from ..device import synchronize
from ..search.optim import ChainerNesterov, Hooked, cosine
from ..search.theta_step import theta_step
from ..strategies import Draw
from .network import params_mb
from .search_config import NB201SearchConfig
from .supernet import EDGES, SearchNetwork

VALIDATION_OFFSET = 25_000  # V = training images [25000, 50000) (spec §2.1)


@dataclass
class SearchData:
    """D and V as uint8 images and labels on the search device."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    variant: str  # "official" or "jpeg"


def class_interleaved(labels: torch.Tensor) -> torch.Tensor:
    """A fixed order taking the classes in turn (the 1st image of each class, then the 2nd...),
    keeping each class's own order."""
    rank = torch.empty_like(labels)
    for c in labels.unique():
        members = (labels == c).nonzero().squeeze(1)
        rank[members] = torch.arange(len(members))
    return torch.argsort(rank * (int(labels.max()) + 1) + labels, stable=True)


def split(cifar: CIFAR10, cfg: NB201SearchConfig, device: torch.device) -> SearchData:
    """D = the first ``train_size`` of training images [0, 25000); V = the first
    ``val_size`` of [25000, 50000). Deterministic, as the official code (spec §2.1).

    The official files hold the images in a random class order, so both halves (and any
    prefix) are mixed. The JPEG copy is sorted by class (ImageFolder layout): taken as is,
    D would hold five classes and V the other five. Its images are therefore first put in
    class-interleaved order, which gives every half and every prefix balanced classes."""
    images, labels = cifar.train_images, cifar.train_labels
    if cifar.variant == "jpeg":
        order = class_interleaved(labels)
        images, labels = images[order], labels[order]
    v = slice(VALIDATION_OFFSET, VALIDATION_OFFSET + cfg.val_size)
    return SearchData(images[:cfg.train_size].to(device), labels[:cfg.train_size].to(device),
                      images[v].to(device), labels[v].to(device), cifar.variant)


@functools.lru_cache(maxsize=None)
def arch_params_mb(arch: str) -> float:
    """The paper's params(MB) of a cell: the C = 16, 5-cells-per-stage network's size."""
    return params_mb(arch)


def _seed(*parts: Any) -> int:
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)


class _Batches:
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


class Search:
    """One search: one strategy, one seed."""

    def __init__(self, cfg: NB201SearchConfig, strategy: str, seed: int, data: SearchData,
                 device: torch.device):
        self.cfg, self.name, self.seed, self.data, self.device = cfg, strategy, seed, data, device
        torch.manual_seed(_seed("weights", seed))  # the initial weights depend on the seed only
        self.model = SearchNetwork(cfg.channels, cfg.cells_per_stage, cfg.op_names).to(device).train()
        self.theta = distribution.init_theta(len(EDGES), len(cfg.op_names), device=device).requires_grad_(True)
        self.generators = {
            "data": torch.Generator().manual_seed(_seed("data", seed)),
            "augment": torch.Generator(device=device).manual_seed(_seed("augment", seed)),
            "strategy": torch.Generator(device=device).manual_seed(_seed("strategy", strategy, seed)),
        }
        self.strategy = strategies.make(strategy, max(cfg.theta_steps, 1), self.generators["strategy"],
                                        **cfg.strategy_options(strategy))
        self.w_optimizer = Hooked(ChainerNesterov(self.model.parameters(), cfg.w_lr, cfg.w_momentum),
                                  cfg.w_weight_decay, cfg.w_clip)
        self.theta_optimizer = Hooked(torch.optim.Adam([self.theta], lr=cfg.theta_lr,
                                                       betas=(cfg.theta_beta1, cfg.theta_beta2), eps=1e-8),
                                      cfg.theta_weight_decay, cfg.theta_clip)
        self.val_batches = _Batches(cfg.val_size, cfg.batch, self.generators["data"])
        self.epoch = 0  # epochs completed
        self.theta_steps = 0
        self.best_arch = self.model.arch_string(distribution.argmax(self.theta.detach()))  # spec §2.8
        self.best_loss = math.inf
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0  # search time, excluding logging and checkpoints

    # One forward pass ---------------------------------------------------------------------

    def loss(self, images: torch.Tensor, labels: torch.Tensor, draw: Draw, graph: bool = False) -> torch.Tensor:
        """Mean cross-entropy of the minibatch; one per architecture when ``draw.samples``.
        The graph is built for a weight step (``graph``) or when a gate needs a gradient; a
        theta step of REINFORCE or PARSEC is a forward pass only."""
        graph = graph or draw.gates.requires_grad or draw.gates.grad_fn is not None
        with torch.set_grad_enabled(graph):
            gates = list(draw.gates) if draw.samples else [draw.gates]
            losses = [F.cross_entropy(self.model(images, g, dense=draw.dense, skipped=draw.skipped), labels)
                      for g in gates]
        return torch.stack(losses) if draw.samples else losses[0]

    def _minibatch(self, images: torch.Tensor, labels: torch.Tensor, index: torch.Tensor):
        index = index.to(images.device)
        return augment(images[index], self.generators["augment"]), labels[index]

    # The two steps of Algorithm 1 -----------------------------------------------------------

    def weight_step(self, index: torch.Tensor, warmup: bool) -> float:
        images, labels = self._minibatch(self.data.train_images, self.data.train_labels, index)
        draw = self.strategy.weight_draw(self.theta, self.theta_steps, warmup)
        loss = self.loss(images, labels, draw, graph=True)
        self.w_optimizer.zero_grad()
        loss.backward()
        self.w_optimizer.step()
        return loss.detach()

    def theta_step(self) -> torch.Tensor:
        images, labels = self._minibatch(self.data.val_images, self.data.val_labels, self.val_batches.next())
        result = theta_step(self.strategy, self.theta, self.theta_optimizer, self.theta_steps,
                            lambda draw: self.loss(images, labels, draw))
        self.theta_steps += 1
        self._track_process_best(result.draws[0], result.losses[0])
        return result.losses[0].mean()

    def _track_process_best(self, draw: Draw, loss: torch.Tensor) -> None:
        """The sampled one-hot architecture with the lowest validation-minibatch loss. Not
        defined for two-hot (ProxylessNAS) or relaxed (dense) architectures (Table 2's note)."""
        if self.strategy.properties.propagation != "sparse" or self.strategy.properties.hot != "1-hot":
            return
        gates, losses = (draw.gates.detach(), loss) if draw.samples else (draw.gates.detach()[None], loss[None])
        k = int(torch.argmin(losses))
        if float(losses[k]) < self.best_loss:
            self.best_loss, self.best_arch = float(losses[k]), self.model.arch_string(gates[k])

    # Epochs ---------------------------------------------------------------------------------

    @property
    def has_process_best(self) -> bool:
        props = self.strategy.properties
        return props.propagation == "sparse" and props.hot == "1-hot"

    def run_epoch(self) -> dict[str, Any]:
        cfg, e = self.cfg, self.epoch
        warmup = e < cfg.warmup_epochs
        w_lr = cosine(cfg.w_lr, e, cfg.epochs)
        theta_lr = 0.0 if warmup else cosine(cfg.theta_lr, e - cfg.warmup_epochs, cfg.epochs - cfg.warmup_epochs)
        self.w_optimizer.set_lr(w_lr)
        self.theta_optimizer.set_lr(theta_lr)
        order = torch.randperm(cfg.train_size, generator=self.generators["data"])
        train_losses, val_losses = [], []
        synchronize(self.device)
        start = time.perf_counter()
        for b in range(cfg.batches_per_epoch):
            if not warmup:
                val_losses.append(self.theta_step())
            train_losses.append(self.weight_step(order[b * cfg.batch:(b + 1) * cfg.batch], warmup))
        synchronize(self.device)
        seconds = time.perf_counter() - start
        self.seconds += seconds
        self.epoch += 1
        row = self._log(warmup, w_lr, theta_lr, train_losses, val_losses, seconds)
        self.rows.append(row)
        return row

    def _log(self, warmup, w_lr, theta_lr, train_losses, val_losses, seconds) -> dict[str, Any]:
        theta = self.theta.detach()
        argmax_arch = self.model.arch_string(distribution.argmax(theta))
        best = self.best_arch if self.has_process_best else None
        return {
            "epoch": self.epoch,
            "search_epoch": self.epoch - self.cfg.warmup_epochs,
            "phase": "warmup" if warmup else "search",
            "w_lr": w_lr,
            "theta_lr": theta_lr,
            "train_loss": float(torch.stack(train_losses).mean()),
            "val_loss": float(torch.stack(val_losses).mean()) if val_losses else math.nan,
            "entropy": float(distribution.entropy(theta)),
            "argmax_arch": argmax_arch,
            "argmax_accuracy": nb201_accuracy(argmax_arch),
            "process_best_arch": best,
            "process_best_accuracy": nb201_accuracy(best) if best else math.nan,
            "process_best_loss": self.best_loss if best and math.isfinite(self.best_loss) else math.nan,
            "epoch_seconds": seconds,
            "wall_time_s": self.seconds,
        }

    def run(self, progress: bool = True, after_epoch: Callable[["Search"], None] | None = None) -> None:
        """Every remaining epoch; ``after_epoch`` (e.g. a checkpoint) after each."""
        bar = tqdm(total=self.cfg.epochs, initial=self.epoch, desc=f"nb201 {self.name} seed {self.seed}",
                   disable=not progress, mininterval=2.0)
        while self.epoch < self.cfg.epochs:
            row = self.run_epoch()
            bar.update(1)
            bar.set_postfix(acc=f"{row['argmax_accuracy']:.2f}", H=f"{row['entropy']:.3f}", refresh=False)
            if after_epoch is not None:
                after_epoch(self)
        bar.close()

    # Summary and checkpoints ----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        final = self.rows[-1]
        argmax_arch, best = final["argmax_arch"], final["process_best_arch"]
        chosen = "process_best" if self.strategy.properties.final == "process_best" and best else "argmax"
        return {
            "strategy": self.name,
            "seed": self.seed,
            "ops": self.cfg.ops,
            "argmax_arch": argmax_arch,
            "argmax_accuracy": final["argmax_accuracy"],
            "argmax_params_mb": arch_params_mb(argmax_arch),
            "process_best_arch": best,
            "process_best_accuracy": final["process_best_accuracy"] if best else None,
            "process_best_params_mb": arch_params_mb(best) if best else None,
            "process_best_loss": final["process_best_loss"] if best else None,
            "final_rule": chosen,
            "final_arch": final[f"{chosen}_arch"],
            "final_accuracy": final[f"{chosen}_accuracy"],
            "theta": self.theta.detach().cpu().tolist(),
            "theta_steps": self.theta_steps,
            "wall_time_s": self.seconds,
            "data_variant": self.data.variant,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "theta": self.theta.detach().clone(),
            "w_optimizer": self.w_optimizer.state_dict(),
            "theta_optimizer": self.theta_optimizer.state_dict(),
            "strategy": self.strategy.state_dict(),
            "generators": {k: g.get_state() for k, g in self.generators.items()},
            "val_batches": self.val_batches.state_dict(),
            "epoch": self.epoch,
            "theta_steps": self.theta_steps,
            "best": (self.best_arch, self.best_loss),
            "rows": self.rows,
            "seconds": self.seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            self.theta.copy_(state["theta"])
        self.w_optimizer.load_state_dict(state["w_optimizer"])
        self.theta_optimizer.load_state_dict(state["theta_optimizer"])
        self.strategy.load_state_dict(state["strategy"])
        for k, g in self.generators.items():
            g.set_state(state["generators"][k])
        self.val_batches.load_state_dict(state["val_batches"])
        self.epoch, self.theta_steps = state["epoch"], state["theta_steps"]
        self.best_arch, self.best_loss = state["best"]
        self.rows, self.seconds = list(state["rows"]), state["seconds"]

