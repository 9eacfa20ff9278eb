"""The architecture search on PTB (Sec. 5.3, App. E; spec §3.3), one strategy, one seed.

Iterations run over 35-step chunks of the training streams and alternate: odd iterations
update the weights (SGD on the architecture drawn by the strategy), even iterations update
theta through the one theta step shared by every strategy (``search.theta_step``), both on
training data, as the official code does. A new architecture is drawn every iteration.
The recurrent state is carried across iterations and epochs and never reset (spec §3.2).

Process best (decision 12): after each theta step, the architecture it sampled is scored
on the next chunk of the validation streams (dropout off); the lowest score wins. It is
computed only for strategies whose final architecture is the process best (Sec. 5.3).

A checkpoint is written after every epoch; a restarted search resumes from it and gives
the same result as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .. import distribution, strategies
from ..search.theta_step import theta_step
from . import corpus
from .config import PTBConfig
from .space import N_EDGES, OPS, LanguageModel, arch_string
from .training import ClippedAdam, cosine_lr, evaluate, get_rng_state, set_lr, set_rng_state, weight_step


def strategy_seed(seed: int, name: str) -> int:
    return int(hashlib.sha256(f"ptb/{seed}/{name}".encode()).hexdigest()[:8], 16)


def ops_of(gates: torch.Tensor) -> list[int]:
    return gates.detach().argmax(-1).tolist()


@dataclass
class SearchResult:
    theta: torch.Tensor
    argmax: list[int]
    process_best: list[int] | None
    final: list[int]
    rows: list[dict[str, Any]]
    seconds: float
    tokens: int


@dataclass
class _State:
    """Everything a resumed search needs (saved after each epoch)."""

    epoch: int = 0
    iteration: int = 0
    theta_steps: int = 0
    h: torch.Tensor | None = None
    h_val: torch.Tensor | None = None
    val_position: int = 0
    best_loss: float = float("inf")
    best_ops: list[int] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0


def total_theta_steps(cfg: PTBConfig, train: torch.Tensor) -> int:
    per_epoch = corpus.n_chunks(train, cfg.bptt, cfg.epoch_tokens)
    return max(1, (cfg.search_epochs * per_epoch) // 2)


def search(cfg: PTBConfig, name: str, seed: int, data: corpus.Corpus,
           save: Callable[[dict], None] | None = None, load: Callable[[], dict | None] | None = None,
           on_epoch_end: Callable[[int], None] | None = None,
           device: torch.device = torch.device("cpu")) -> SearchResult:
    train = corpus.batchify(data.train, cfg.batch).to(device)
    valid = corpus.batchify(data.valid, cfg.batch).to(device)
    val_chunks = list(corpus.chunks(valid, cfg.bptt))
    torch.manual_seed(seed)
    model = LanguageModel(data.n_tokens, cfg.hidden, cfg.dropout, cfg.init_range).to(device)
    generator = torch.Generator(device=device).manual_seed(strategy_seed(seed, name))
    strategy = strategies.make(name, total_theta_steps(cfg, train), generator, **cfg.strategy_options(name))
    theta = distribution.init_theta(N_EDGES, len(OPS), device=device).requires_grad_(True)
    w_opt = torch.optim.SGD(model.parameters(), lr=cfg.w_lr)
    t_opt = ClippedAdam([theta], cfg.theta_clip, lr=cfg.theta_lr, betas=(cfg.beta1, cfg.beta2))
    tracks_best = strategy.properties.final == "process_best"
    st = _State(h=torch.zeros(cfg.batch, cfg.hidden, device=device),
                h_val=torch.zeros(cfg.batch, cfg.hidden, device=device))

    saved = load() if load else None
    if saved is not None:
        model.load_state_dict(saved["model"])
        with torch.no_grad():
            theta.copy_(saved["theta"])
        t_opt.load_state_dict(saved["theta_optimizer"])
        strategy.load_state_dict(saved["strategy"])
        generator.set_state(saved["generator"])
        set_rng_state(saved["torch_rng"], device)
        st = saved["state"]

    def loss_of(draw):
        gates = draw.gates if draw.samples else draw.gates[None]
        need_grad = gates.requires_grad or gates.grad_fn is not None
        with torch.set_grad_enabled(need_grad):
            h0 = st.h.repeat(gates.shape[0], 1)
            losses, h = model(inputs, targets, h0, gates, draw.dense, draw.skipped)
        st.h = h[:cfg.batch].detach()  # the first architecture's state goes on
        return losses if draw.samples else losses[0]

    while st.epoch < cfg.search_epochs:
        set_lr(w_opt, cosine_lr(cfg.w_lr, st.epoch, cfg.search_epochs))
        set_lr(t_opt, cosine_lr(cfg.theta_lr, st.epoch, cfg.search_epochs))
        w_losses, t_losses, tokens = [], [], 0
        start = time.perf_counter()
        for inputs, targets in corpus.chunks(train, cfg.bptt, cfg.epoch_tokens, st.epoch):
            st.iteration += 1
            tokens += inputs.numel()
            if st.iteration % 2 == 1:  # weight step on a freshly drawn architecture
                with torch.no_grad():
                    draw = strategy.draw(theta, st.theta_steps)[0]
                gates = draw.gates.detach()
                gates = gates[0] if draw.samples else gates
                loss, st.h = weight_step(model, w_opt, cfg.w_clip, inputs, targets, st.h, gates, draw.dense)
                w_losses.append(loss)
                continue
            result = theta_step(strategy, theta, t_opt, st.theta_steps, loss_of)
            st.theta_steps += 1
            t_losses.append(result.losses[0].mean().item() / inputs.size(0))
            if tracks_best:
                sampled = result.draws[0].gates.detach()
                score = _validation_chunk_loss(model, val_chunks, st, sampled)
                if score < st.best_loss:
                    st.best_loss, st.best_ops = score, ops_of(sampled)
        seconds = time.perf_counter() - start
        st.seconds += seconds
        st.tokens += tokens
        st.epoch += 1
        argmax_gates = distribution.argmax(theta.detach())
        rows_val = evaluate(model, valid, argmax_gates, cfg.bptt, cfg.curve_tokens)
        st.rows.append({
            "phase": "search", "epoch": st.epoch, "train_loss": _mean(w_losses),
            "theta_loss": _mean(t_losses), "val_loss_argmax": rows_val,
            "entropy": distribution.entropy(theta.detach()).item(),
            "argmax": arch_string(ops_of(argmax_gates)),
            "process_best": arch_string(st.best_ops) if st.best_ops else "",
            "process_best_val_loss": st.best_loss if st.best_ops else float("nan"),
            "seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds,
        })
        if save:
            save({"model": model.state_dict(), "theta": theta.detach().clone(),
                  "theta_optimizer": t_opt.state_dict(), "strategy": strategy.state_dict(),
                  "generator": generator.get_state(), "torch_rng": get_rng_state(device), "state": st})
        if on_epoch_end:
            on_epoch_end(st.epoch)

    argmax = ops_of(distribution.argmax(theta.detach()))
    final = st.best_ops if tracks_best and st.best_ops is not None else argmax
    return SearchResult(theta.detach().clone(), argmax, st.best_ops, final, st.rows, st.seconds, st.tokens)


@torch.no_grad()
def _validation_chunk_loss(model: LanguageModel, chunks: list, st: _State, gates: torch.Tensor) -> float:
    """Loss per time step of ``gates`` on the next validation chunk (dropout off); the
    validation streams keep their own state, like the training streams."""
    inputs, targets = chunks[st.val_position % len(chunks)]
    st.val_position += 1
    model.eval()
    losses, st.h_val = model(inputs, targets, st.h_val, gates[None] if gates.dim() == 2 else gates[:1])
    model.train()
    return losses[0].item() / inputs.size(0)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
