"""One PTB trial (search, then retraining of the found cell, then perplexities) per
strategy and seed, each a run of the results store (resumable from its checkpoint)."""

from __future__ import annotations

import functools
from typing import Callable

import pandas as pd
import torch

from .. import strategies
from ..data.choice import dataset_for
from ..device import default_device
from ..store import RunContext
from ..trials import Trials
from . import corpus
from .config import PTBConfig
from .retrain import retrain
from .search import make_search
from .space import paper_param_formula, parse_arch

EXPERIMENT = "ptb"


def search_phase(cfg: PTBConfig, name: str, seed: int, data: corpus.Corpus, device: torch.device,
                 state: dict, save: Callable[[], None], on_epoch_end=None) -> dict:
    """The search, resumed from ``state["search"]``; returns its summary and log rows."""
    search = make_search(cfg, name, seed, data, device)
    if "search" in state:
        search.load_state_dict(state["search"])

    def after_epoch(loop):
        state["search"] = loop.state_dict()
        save()
        if on_epoch_end:
            on_epoch_end("search", loop.epoch)

    search.run(progress=False, after_epoch=after_epoch)
    return {"summary": search.summary(), "rows": search.rows,
            "tokens": sum(row["tokens"] for row in search.rows)}


def trial(cfg: PTBConfig, name: str, seed: int, ctx: RunContext | None = None,
          on_epoch_end: Callable[[str, int], None] | None = None,
          data: corpus.Corpus | None = None, device: torch.device | None = None) -> tuple[pd.DataFrame, dict]:
    """Search with ``name`` and ``seed``, retrain the final architecture, evaluate.
    With ``ctx``, progress is checkpointed after every epoch of either phase and resumed.
    ``device``: without ``ctx``, where to run (default: CUDA when present)."""
    strategies.strategy_class(name)
    device = ctx.device if ctx else (device or default_device())
    data = data or corpus.load(dataset=dataset_for("ptb", cfg.data))
    state = (ctx.load_checkpoint() if ctx else None) or {}
    save = (lambda: ctx.save_checkpoint(state)) if ctx else (lambda: None)

    if "found" not in state:
        state["found"] = search_phase(cfg, name, seed, data, device, state, save, on_epoch_end)
        state.pop("search", None)
        save()
    found, searched = state["found"], state["found"]["summary"]

    def save_retrain(s):
        state["retrain"] = s
        save()

    final = parse_arch(searched["final_arch"])
    result = retrain(cfg, final, seed, data, save_retrain, lambda: state.get("retrain"),
                     (lambda epoch: on_epoch_end("retrain", epoch)) if on_epoch_end else None, device)
    metrics = pd.DataFrame(found["rows"] + result.rows)
    metrics.insert(0, "seed", seed)
    metrics.insert(0, "strategy", name)
    seconds = searched["wall_time_s"]
    summary = {
        "strategy": name, "seed": seed,
        "final_rule": searched["final_rule"],
        "arch": searched["final_arch"], "argmax": searched["argmax_arch"],
        "process_best": searched["process_best_arch"],
        "val_ppl": result.val_ppl, "test_ppl": result.test_ppl, "params": result.params,
        "params_paper_formula_mb": paper_param_formula(final, data.n_tokens, cfg.hidden),
        "theta": searched["theta"], "theta_steps": searched["theta_steps"],
        "search_seconds": seconds, "search_tokens": found["tokens"],
        "search_tokens_per_s": found["tokens"] / seconds if seconds else None,
        "retrain_seconds": result.seconds, "retrain_tokens": result.tokens,
        "retrain_tokens_per_s": result.tokens / result.seconds if result.seconds else None,
        "eval_seconds": result.eval_seconds, "torch_threads": torch.get_num_threads(),
    }
    return metrics, summary


# One trial per (strategy, seed), strategies outermost; ``progress`` is not used (no bar of its own).
TRIALS = Trials(EXPERIMENT, lambda name, seed: f"{name}-s{seed}", lambda cfg, name, seed: cfg.run_config(name, seed),
                lambda cfg, name, seed, progress: functools.partial(trial, cfg, name, seed),
                lambda cfg: [(name, seed) for name in cfg.strategies for seed in cfg.seeds])
run_all = TRIALS.run_all  # the chapter's name


def tiny_corpus(n_train: int = 1200, vocab: int = 20, seed: int = 0, n_eval: int = 300) -> corpus.Corpus:
    """A random corpus of ``vocab`` words (golden runs, tests and benchmarks); ``n_eval`` tokens
    in each of the validation and test splits."""
    g = torch.Generator().manual_seed(seed)
    words = {s: [f"w{int(i)}" for i in torch.randint(vocab, (n,), generator=g)]
             for s, n in [("train", n_train), ("valid", n_eval), ("test", n_eval)]}
    words["train"][:vocab] = [f"w{i}" for i in range(vocab)]  # every word in train
    return corpus.build(words)


def golden() -> dict:
    """Behaviour fingerprint (``advnas/behaviour.py``): a trial (search, retraining,
    perplexities) of every sparse strategy with a hidden size of 4 on a random corpus."""
    cfg = PTBConfig(hidden=4, batch=4, bptt=5, search_epochs=2, epoch_tokens=100, retrain_epochs=1,
                    retrain_epoch_tokens=60, eval_batch=2, eval_tokens=100, curve_tokens=60, seeds=(0,))
    data = tiny_corpus()
    outputs = {}
    for name in strategies.names("sparse", paper_only=False):
        metrics, summary = trial(cfg, name, 0, data=data)
        outputs[name] = {"rows": [{k: v for k, v in row.items() if not k.endswith(("seconds", "wall_time_s"))}
                                  for row in metrics.to_dict("records")],
                         "summary": {k: v for k, v in summary.items()
                                     if not k.endswith(("seconds", "_per_s")) and k != "torch_threads"}}
    return outputs
