"""Bias and variance of every sparse strategy's theta-gradient in the CIFAR-10 space.

The paper argues that AdvantageNAS lowers the variance of the architecture gradient without
bias (Sec. 4.3-4.4, Theorems 4.1 and 4.2) but measures neither. Here, at a point of a real
search (weights w and theta fixed) and on one fixed augmented V minibatch, the exact
gradient of J(theta) = E_{a ~ p_theta}[L(a, w; V)] is a finite sum over the 4,096 cells
(``nb201/cell_enumeration.py``). Each strategy's own theta-gradient (the code its searches run,
``search/theta_step.py``) is drawn ``draws`` times independently at that point and compared
with it: bias, variance and cosine as every gradient study measures them
(``gradient_statistics``), and a test of "mean = target": the largest per-component t
statistic, Bonferroni-corrected over the components.

Targets. Every strategy is measured against grad J. Some estimate something else, and are
also measured against that ("own target"): REINFORCE updates its moving-average baseline
with the current loss before using it (Eq. 4 as ENAS and the official code do), so its
expectation is (1 - gamma) grad J; PARSEC's weighted samples estimate
-grad log E[exp(-L)]; random search's gradient is 0 by construction (a control). GDAS's
straight-through Gumbel gradient and ProxylessNAS's two-path binary-gate gradient estimate
gradients of relaxed objectives with no finite-sum form: they have no own target here.
AdvantageNAS's Eq. (7) is a first-order approximation of the advantage of Eq. (6), for
which Theorem 4.2 proves unbiasedness: its bias against grad J is what is measured.

Strategies that need only the loss of the drawn cell (REINFORCE, PARSEC, random search) read
it from the enumerated table, all draws at once; the others run the network forward and
backward for each draw. Strategies with running statistics are warmed up at the point
first (``WARMUP_CALLS`` draws), and every draw starts from that warmed-up state.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
from tqdm import tqdm

from .. import distribution, gradient_statistics, stats, strategies
from ..cifar.augment import augment
from ..search.loop import SearchLoop
from ..search.seeds import derive_seed
from ..search.theta_step import theta_gradient
from ..strategies import Draw, Strategy
from ..nb201.cell_enumeration import cell_index, cell_losses, exact_gradient, log_marginal_gradient, per_cell
from ..nb201.search import CellSearchTask

WARMUP_CALLS = 20  # draws that warm up a strategy's running statistics before measuring
TARGETS = ("grad_J", "own")


@dataclass
class Point:
    """One place of a search where the gradients are measured: its state and the fixed V
    minibatch, with the loss of every cell on it."""

    search: SearchLoop
    images: torch.Tensor
    labels: torch.Tensor
    losses: torch.Tensor  # (|J|^6,) float64, in the order of cell_enumeration.all_cells

    @property
    def theta(self) -> torch.Tensor:
        return self.search.theta.detach()

    @property
    def n_ops(self) -> int:
        return self.theta.shape[-1]


def fixed_minibatch(search: SearchLoop, seed: int, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch`` images of V drawn and augmented (as a theta step's are) from their own
    stream, so that taking them leaves the search's own streams untouched."""
    task: CellSearchTask = search.task
    cfg, data = task.cfg, task.data
    generator = torch.Generator().manual_seed(derive_seed("gradient-study-batch", seed, epoch))
    index = torch.randperm(cfg.val_size, generator=generator)[:cfg.batch].to(data.val_images.device)
    device_generator = torch.Generator(device=data.val_images.device).manual_seed(
        derive_seed("gradient-study-augment", seed, epoch))
    return augment(data.val_images[index], device_generator), data.val_labels[index]


def measure_losses(search: SearchLoop, images: torch.Tensor, labels: torch.Tensor, chunk: int = 32,
                   progress: bool = False) -> torch.Tensor:
    """The loss of every cell on the minibatch, at the search's current weights."""
    n_ops = search.theta.shape[-1]
    return cell_losses(search.model, images, labels, n_ops, chunk, progress)


def own_target(name: str, theta: torch.Tensor, losses: torch.Tensor, strategy: Strategy) -> torch.Tensor | None:
    """What the strategy's gradient estimates when that is not grad J (see the module's text)."""
    exact = exact_gradient(theta, losses)
    if name == "reinforce":
        return (1 - strategy.baseline_decay) * exact
    if name == "parsec":
        return log_marginal_gradient(theta, losses)
    if name == "random":
        return torch.zeros_like(exact)
    return None


def _table_loss(point: Point) -> Callable[[Draw], torch.Tensor]:
    """The loss of drawn one-hot cells, read from the enumerated table (in the search's precision)."""
    table = point.losses.to(point.theta.device, point.theta.dtype)
    return lambda draw: table[cell_index(draw.gates.detach().argmax(-1), point.n_ops)]


def draw_gradients(name: str, point: Point, draws: int, seed: int, options: dict[str, Any] | None = None,
                   progress: bool = False) -> torch.Tensor:
    """``draws`` independent theta-gradients of strategy ``name`` at the point, (draws, 6, |J|) float64."""
    search = point.search
    generator = torch.Generator(device=point.theta.device).manual_seed(
        derive_seed("gradient-study-draws", name, seed, search.epoch))
    strategy = strategies.make(name, max(search.settings.theta_steps, 1), generator, search.task.zero_op,
                               **(options or {}))
    step = search.theta_steps
    if not strategy.needs_gate_gradient:  # the loss of the drawn cell only: every draw at once
        theta = point.theta.expand(draws, *point.theta.shape).clone()
        loss_of = _table_loss(point)
        for _ in range(WARMUP_CALLS + 1 if strategy.keeps_statistics else 1):
            gradient, _ = theta_gradient(strategy, theta.clone().requires_grad_(True), step, loss_of)
        return gradient.detach().double()
    loss_of = lambda draw: search.task.loss((point.images, point.labels), draw)  # noqa: E731
    for _ in range(WARMUP_CALLS if strategy.keeps_statistics else 0):
        theta_gradient(strategy, point.theta.clone().requires_grad_(True), step, loss_of)
    warmed = copy.deepcopy(strategy.state_dict())
    out = torch.empty(draws, *point.theta.shape, dtype=torch.float64)
    for k in tqdm(range(draws), disable=not progress, mininterval=2.0, desc=f"{name} draws", leave=False):
        strategy.load_state_dict(copy.deepcopy(warmed))
        gradient, _ = theta_gradient(strategy, point.theta.clone().requires_grad_(True), step, loss_of)
        out[k] = gradient.detach().double().cpu()
    return out


def bias_test(bias: torch.Tensor, component_var: torch.Tensor, n: int) -> tuple[float, int]:
    """(p-value, components tested) of "every component of the mean equals the target's":
    per component t = bias / (sd / sqrt n) with n - 1 degrees of freedom, two-sided, the
    smallest p-value times the number of components (Bonferroni). Components with no
    variance (e.g. random search's) are not tested."""
    tested = component_var > 1e-12 * max(float(component_var.max()), 1e-300)
    count = int(tested.sum())
    if count == 0:
        return math.nan, 0
    t = float((bias[tested].abs() / (component_var[tested] / n).sqrt()).max())
    return min(1.0, 2 * (1 - stats.t_cdf(t, n - 1)) * count), count


def compare(draws: torch.Tensor, target: torch.Tensor, exact: torch.Tensor) -> dict[str, float]:
    """Bias, variance and cosine of ``draws`` (n, 6, |J|) against ``target``
    (``gradient_statistics.describe``), with the test of "mean = target" (``bias_test``)."""
    described = gradient_statistics.describe(draws, target, exact)
    bias, component_var = gradient_statistics.component_bias(draws, target)
    p_value, tested = bias_test(bias, component_var, draws.shape[0])
    order = ["draws", "target_norm", "bias_norm", "bias_se", "relative_bias", "bias_p", "bias_components_tested",
             "cosine", "variance", "variance_se", "relative_variance"]
    return {key: {**described, "bias_p": p_value, "bias_components_tested": tested}[key] for key in order}


def measure_point(point: Point, names: list[str], draws: int, seed: int,
                  options_for: Callable[[str], dict[str, Any]] = lambda name: {},
                  progress: bool = False, keep: dict[str, torch.Tensor] | None = None) -> list[dict[str, Any]]:
    """One row per (strategy, target) at the point; ``keep`` receives each strategy's draws."""
    exact = exact_gradient(point.theta, point.losses)
    rows = []
    for name in names:
        options = options_for(name)
        grads = draw_gradients(name, point, draws, seed, options, progress)
        if keep is not None:
            keep[name] = grads
        strategy = strategies.make(name, 1, None, point.search.task.zero_op, **options)
        targets = {"grad_J": exact, "own": own_target(name, point.theta, point.losses, strategy)}
        for target_name, target in targets.items():
            if target is None:
                continue
            rows.append({"strategy": name, "target": target_name, **compare(grads, target, exact)})
    return rows


def point_summary(point: Point) -> dict[str, Any]:
    """What the chapter shows about the point itself: mu's entropy, |grad J|, the spread of
    the cells' losses under p_theta."""
    theta = point.theta
    p = per_cell(distribution.probabilities(theta.double())).prod(-1).cpu()
    mean = float((p * point.losses).sum())
    return {
        "epoch": point.search.epoch,
        "theta_steps": point.search.theta_steps,
        "entropy": float(distribution.entropy(theta)),
        "expected_loss": mean,
        "loss_sd": float((p * (point.losses - mean) ** 2).sum().sqrt()),
        "min_loss": float(point.losses.min()),
        "exact_gradient_norm": float(exact_gradient(theta, point.losses).norm()),
    }
