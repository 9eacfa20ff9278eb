"""Retraining the found cell from scratch and its perplexities (Sec. 5.3; official code: ptb/custom.py, retraining and evaluation).

New U(-0.1, 0.1) weights, the fixed cell (only the selected operation computed on each
edge), every iteration a weight step: SGD lr 20 cosine over the retraining epochs,
clipping 0.25, dropout 0.5, batch 256, BPTT 35; no early stopping, ASGD or fine-tuning.
The perplexities are those of the last epoch. A checkpoint is written after every epoch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..search.loop import rng_state, set_rng_state
from ..search.optim import cosine
from . import corpus
from .config import PTBConfig
from .space import LanguageModel, one_hot_gates
from .training import evaluate, weight_step


@dataclass
class RetrainResult:
    val_ppl: float
    test_ppl: float
    params: int
    rows: list[dict[str, Any]]
    seconds: float
    tokens: int
    eval_seconds: float


def retrain(cfg: PTBConfig, ops: list[int], seed: int, data: corpus.Corpus,
            save: Callable[[dict], None] | None = None, load: Callable[[], dict | None] | None = None,
            on_epoch_end: Callable[[int], None] | None = None,
            device: torch.device = torch.device("cpu")) -> RetrainResult:
    train = corpus.batchify(data.train, cfg.batch).to(device)
    valid = corpus.batchify(data.valid, cfg.batch).to(device)
    torch.manual_seed(seed + 1_000_003)  # fresh weights, not the search's
    model = LanguageModel(data.n_tokens, cfg.hidden, cfg.dropout, cfg.init_range).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.w_lr)
    gates = one_hot_gates(ops).to(device)
    # Plain tensors and containers only, so that a checkpoint loads with weights_only=True.
    st: dict[str, Any] = {"epoch": 0, "h": torch.zeros(cfg.batch, cfg.hidden, device=device), "rows": [],
                          "seconds": 0.0, "tokens": 0}
    saved = load() if load else None
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        set_rng_state(saved["rng"], device)
        st = saved["state"]

    while st["epoch"] < cfg.retrain_epochs:
        for group in optimizer.param_groups:
            group["lr"] = cosine(cfg.w_lr, st["epoch"], cfg.retrain_epochs)
        losses, tokens = [], 0
        start = time.perf_counter()
        for inputs, targets in corpus.chunks(train, cfg.bptt, cfg.retrain_epoch_tokens, st["epoch"]):
            loss, st["h"] = weight_step(model, optimizer, cfg.w_clip, inputs, targets, st["h"], gates)
            losses.append(loss)
            tokens += inputs.numel()
        seconds = time.perf_counter() - start
        st["seconds"] += seconds
        st["tokens"] += tokens
        st["epoch"] += 1
        st["rows"].append({"phase": "retrain", "epoch": st["epoch"], "train_loss": sum(losses) / len(losses),
                           "val_loss_argmax": evaluate(model, valid, gates, cfg.bptt, cfg.curve_tokens),
                           "epoch_seconds": seconds, "tokens": tokens})
        if save:
            save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng_state(device),
                  "state": st})
        if on_epoch_end:
            on_epoch_end(st["epoch"])

    start = time.perf_counter()
    test_ppl, val_ppl = (math.exp(evaluate(model, corpus.batchify(split, cfg.eval_batch).to(device), gates,
                                           cfg.bptt, cfg.eval_tokens)) for split in (data.test, data.valid))
    return RetrainResult(val_ppl, test_ppl, model.used_parameters(ops), st["rows"], st["seconds"], st["tokens"],
                         time.perf_counter() - start)
