"""Algorithm 1: the one alternating search loop for every task and strategy.

Per epoch e: the weight learning rate is set to the cosine of e over all epochs, theta's to
the cosine of e over the search epochs (0 during warm-up); then the task's plan runs: each
THETA step is the shared theta step (``theta_step.py``) on a batch, each WEIGHT step trains
the weights on the strategy's weight draw (Alg. 1, line 3). During warm-up theta is fixed,
so sampling strategies train the weights on paths drawn from the initial (uniform) mu.

Process best (Table 2's note; the official code's rule): among the one-hot architectures
that theta steps sampled, the one with the lowest theta-step loss. Defined for the sparse
one-hot strategies; the final architecture is the process best for strategies that declare
it, the argmax of theta otherwise.

After every epoch: one log row (losses, learning rates, entropy of mu(theta), argmax and
process-best architectures, the task's own columns, wall time), then a checkpoint holding
every state as plain tensors and containers (loaded with ``weights_only=True``), so that an
interrupted search resumes and ends exactly as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable, Iterator

import torch
from tqdm import tqdm

from .. import distribution, strategies
from ..device import synchronize
from ..strategies import Draw
from .optim import ChainerNesterov, Hooked, cosine
from .seeds import derive_seed
from .task import THETA, WEIGHT, LoopSettings, SearchTask
from .theta_step import theta_step


def rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    """The global random state (dropout draws from it): CPU, and the GPU's when on one."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict[str, torch.Tensor], device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def weight_optimizer(parameters, s: LoopSettings) -> Hooked:
    base = (ChainerNesterov(parameters, s.w_lr, s.w_momentum) if s.w_momentum > 0
            else torch.optim.SGD(parameters, lr=s.w_lr))
    return Hooked(base, s.w_weight_decay, s.w_clip)


def theta_optimizer(theta: torch.Tensor, s: LoopSettings) -> Hooked:
    return Hooked(torch.optim.Adam([theta], lr=s.theta_lr, betas=s.theta_betas, eps=1e-8),
                  s.theta_weight_decay, s.theta_clip)


@contextlib.contextmanager
def frozen(model: torch.nn.Module) -> Iterator[None]:
    """The model's weights without requires_grad for the duration: a backward pass then forms
    no weight gradient (autograd.grad to theta skips them in torch's own operations, not in
    custom Functions, which see only requires_grad) and stops where no gate lies upstream."""
    trained = [p for p in model.parameters() if p.requires_grad]
    for p in trained:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in trained:
            p.requires_grad_(True)


class SearchLoop:
    """One search: one task, one strategy (with its options), one seed."""

    def __init__(self, task: SearchTask, settings: LoopSettings, strategy: str, seed: int,
                 device: torch.device, options: dict[str, Any] | None = None):
        self.task, self.settings, self.name, self.seed, self.device = task, settings, strategy, seed, device
        torch.manual_seed(task.weights_seed(seed))  # the initial weights depend on the seed only
        self.model = task.build(seed, device)
        self.theta = distribution.init_theta(task.n_edges, len(task.op_names), device=device).requires_grad_(True)
        self.generator = torch.Generator(device=device).manual_seed(task.strategy_seed(strategy, seed))
        self.strategy = strategies.make(strategy, max(settings.theta_steps, 1), self.generator, task.zero_op,
                                        **(options or {}))
        self.w_optimizer = weight_optimizer(self.model.parameters(), settings)
        self.theta_optimizer = theta_optimizer(self.theta, settings)
        self.epoch = 0  # epochs completed
        self.theta_steps = 0
        # Before any theta step the process best is the initial argmax (as the official code).
        self.best_arch = task.arch_string(distribution.argmax(self.theta.detach()))
        self.best_loss = math.inf
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0  # search time, excluding logging and checkpoints

    @property
    def has_process_best(self) -> bool:
        props = self.strategy.properties
        return props.propagation == "sparse" and props.hot == "1-hot"

    # The two steps of Algorithm 1 ---------------------------------------------------------

    def weight_step(self, batch: Any, warmup: bool = False) -> torch.Tensor:
        draw = self.strategy.weight_draw(self.theta, self.theta_steps, warmup)
        loss = self.task.loss(batch, draw, graph=True)
        self.w_optimizer.zero_grad()
        loss.backward()
        self.w_optimizer.step()
        return self.task.logged(loss.detach(), batch)

    def theta_step(self, batch: Any) -> torch.Tensor:
        with frozen(self.model):  # theta's gradient only: no weight gradient is formed
            result = theta_step(self.strategy, self.theta, self.theta_optimizer, self.theta_steps,
                                lambda draw: self.task.loss(batch, draw))
        self.theta_steps += 1
        logged = self.task.logged(result.loss, batch)
        if self.has_process_best:
            self._track_process_best(result.draw, logged)
        return logged.mean()

    def _track_process_best(self, draw: Draw, loss: torch.Tensor) -> None:
        gates, losses = (draw.gates.detach(), loss) if draw.samples else (draw.gates.detach()[None], loss[None])
        k = int(torch.argmin(losses))
        if float(losses[k]) < self.best_loss:
            self.best_loss, self.best_arch = float(losses[k]), self.task.arch_string(gates[k])

    # Epochs ---------------------------------------------------------------------------------

    def run_epoch(self) -> dict[str, Any]:
        s, e = self.settings, self.epoch
        warmup = e < s.warmup_epochs
        w_lr = cosine(s.w_lr, e, s.epochs)
        theta_lr = 0.0 if warmup else cosine(s.theta_lr, e - s.warmup_epochs, s.epochs - s.warmup_epochs)
        self.w_optimizer.set_lr(w_lr)
        self.theta_optimizer.set_lr(theta_lr)
        train_losses, theta_losses = [], []
        synchronize(self.device)
        start = time.perf_counter()
        for kind, batch in self.task.plan(e, warmup):
            if kind == THETA:
                theta_losses.append(self.theta_step(batch))
            elif kind == WEIGHT:
                train_losses.append(self.weight_step(batch, warmup))
            else:
                raise ValueError(f"a plan step is {THETA!r} or {WEIGHT!r}; got {kind!r}")
        synchronize(self.device)
        seconds = time.perf_counter() - start
        self.seconds += seconds
        self.epoch += 1
        row = self._log(warmup, w_lr, theta_lr, train_losses, theta_losses, seconds)
        self.rows.append(row)
        return row

    def _log(self, warmup, w_lr, theta_lr, train_losses, theta_losses, seconds) -> dict[str, Any]:
        theta = self.theta.detach()
        argmax_arch = self.task.arch_string(distribution.argmax(theta))
        best = self.best_arch if self.has_process_best else None
        return {
            "epoch": self.epoch,
            "search_epoch": self.epoch - self.settings.warmup_epochs,
            "phase": "warmup" if warmup else "search",
            "w_lr": w_lr,
            "theta_lr": theta_lr,
            "train_loss": float(torch.stack(train_losses).mean()) if train_losses else math.nan,
            "theta_loss": float(torch.stack(theta_losses).mean()) if theta_losses else math.nan,
            "entropy": float(distribution.entropy(theta)),
            "argmax_arch": argmax_arch,
            "process_best_arch": best,
            "process_best_loss": self.best_loss if best and math.isfinite(self.best_loss) else math.nan,
            **self.task.epoch_metrics(argmax_arch, best),
            "epoch_seconds": seconds,
            "wall_time_s": self.seconds,
        }

    def run(self, progress: bool = True, after_epoch: Callable[["SearchLoop"], None] | None = None,
            until: int | None = None) -> None:
        """Every remaining epoch (up to epoch ``until``); ``after_epoch`` (e.g. a checkpoint) after each."""
        last = self.settings.epochs if until is None else min(until, self.settings.epochs)
        bar = tqdm(total=self.settings.epochs, initial=self.epoch, disable=not progress, mininterval=2.0,
                   desc=f"{self.task.name} {self.name} seed {self.seed}")
        while self.epoch < last:
            row = self.run_epoch()
            bar.update(1)
            bar.set_postfix(H=f"{row['entropy']:.3f}", loss=f"{row['train_loss']:.3f}", refresh=False)
            if after_epoch is not None:
                after_epoch(self)
        bar.close()

    @property
    def finished(self) -> bool:
        return self.epoch >= self.settings.epochs

    # Summary and checkpoints ----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        argmax_arch = self.task.arch_string(distribution.argmax(self.theta.detach()))
        best = self.best_arch if self.has_process_best else None
        chosen = "process_best" if self.strategy.properties.final == "process_best" and best else "argmax"
        summary = {
            "strategy": self.name,
            "seed": self.seed,
            "argmax_arch": argmax_arch,
            "process_best_arch": best,
            "process_best_loss": self.best_loss if best else None,
            "final_rule": chosen,
            "final_arch": best if chosen == "process_best" else argmax_arch,
            "theta": self.theta.detach().cpu().tolist(),
            "theta_steps": self.theta_steps,
            "wall_time_s": self.seconds,
        }
        return {**summary, **self.task.summary(summary)}

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "theta": self.theta.detach().clone(),
            "w_optimizer": self.w_optimizer.state_dict(),
            "theta_optimizer": self.theta_optimizer.state_dict(),
            "strategy": self.strategy.state_dict(),
            "generator": self.generator.get_state(),
            "rng": rng_state(self.device),
            "task": self.task.state_dict(),
            "epoch": self.epoch,
            "theta_steps": self.theta_steps,
            "best_arch": self.best_arch,
            "best_loss": self.best_loss,
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
        self.generator.set_state(state["generator"])
        set_rng_state(state["rng"], self.device)
        self.task.load_state_dict(state["task"])
        self.epoch, self.theta_steps = state["epoch"], state["theta_steps"]
        self.best_arch, self.best_loss = state["best_arch"], state["best_loss"]
        self.rows, self.seconds = list(state["rows"]), state["seconds"]


__all__ = ["SearchLoop", "SearchTask", "LoopSettings", "THETA", "WEIGHT", "derive_seed", "rng_state", "set_rng_state"]
