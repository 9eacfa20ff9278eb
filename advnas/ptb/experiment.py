"""One PTB trial (search, then retraining of the found cell, then perplexities) per
strategy and seed, each a run of the results store (resumable from its checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from .. import strategies
from ..device import default_device
from ..store import ResultsStore, Run, RunContext
from . import corpus
from .config import PTBConfig
from .retrain import retrain
from .search import search
from .space import arch_string, paper_param_formula

# The five strategies of Table 3 and what they use (not the dense ones, which PTB does not run).
CODE_MODULES = ["advnas.distribution", *(f"advnas.strategies.{m}" for m in (
    "base", "sampling", "reinforce", "parsec", "proxyless", "gdas", "advantage")),
    "advnas.search.theta_step", "advnas.ptb.corpus", "advnas.ptb.space", "advnas.ptb.training",
    "advnas.ptb.search", "advnas.ptb.retrain", "advnas.ptb.config", "advnas.ptb.experiment"]
EXPERIMENT = "ptb"


def trial_config(cfg: PTBConfig, name: str, seed: int) -> dict:
    return {**cfg.to_dict(), "strategies": [name], "seeds": [seed]}


def trial(cfg: PTBConfig, name: str, seed: int, ctx: RunContext | None = None,
          on_epoch_end: Callable[[str, int], None] | None = None) -> tuple[pd.DataFrame, dict]:
    """Search with ``name`` and ``seed``, retrain the final architecture, evaluate.
    With ``ctx``, progress is checkpointed after every epoch of either phase and resumed."""
    strategies.strategy_class(name)
    device = ctx.device if ctx else default_device()
    data = corpus.load()
    state = (ctx.load_checkpoint() if ctx else None) or {}

    def saver(phase):
        if ctx is None:
            return None

        def save(s):
            state[phase] = s
            ctx.save_checkpoint(state)
        return save

    def hook(phase):
        return (lambda epoch: on_epoch_end(phase, epoch)) if on_epoch_end else None

    if "search_result" not in state:
        found = search(cfg, name, seed, data, saver("search"), lambda: state.get("search"), hook("search"),
                       device)
        state.pop("search", None)
        state["search_result"] = found
        if ctx:
            ctx.save_checkpoint(state)
    found = state["search_result"]
    result = retrain(cfg, found.final, seed, data, saver("retrain"), lambda: state.get("retrain"),
                     hook("retrain"), device)
    metrics = pd.DataFrame(found.rows + result.rows)
    metrics.insert(0, "seed", seed)
    metrics.insert(0, "strategy", name)
    summary = {
        "strategy": name, "seed": seed,
        "final_rule": strategies.strategy_class(name).properties.final,
        "arch": arch_string(found.final), "argmax": arch_string(found.argmax),
        "process_best": arch_string(found.process_best) if found.process_best else None,
        "val_ppl": result.val_ppl, "test_ppl": result.test_ppl, "params": result.params,
        "params_paper_formula_mb": paper_param_formula(found.final, data.n_tokens, cfg.hidden),
        "theta": found.theta.cpu().tolist(),
        "search_seconds": found.seconds, "search_tokens": found.tokens,
        "search_tokens_per_s": found.tokens / found.seconds if found.seconds else None,
        "retrain_seconds": result.seconds, "retrain_tokens": result.tokens,
        "retrain_tokens_per_s": result.tokens / result.seconds if result.seconds else None,
        "eval_seconds": result.eval_seconds, "torch_threads": torch.get_num_threads(),
    }
    return metrics, summary


def run_at(cfg: PTBConfig, name: str, seed: int, profile: str, folder: Path) -> Run:
    """One trial into an explicit folder (the command line's --out)."""
    return ResultsStore().run_at(folder, EXPERIMENT, profile, f"{name}-s{seed}", trial_config(cfg, name, seed),
                                 lambda ctx: trial(cfg, name, seed, ctx), CODE_MODULES, default_device())


def run_all(cfg: PTBConfig, profile: str, store: ResultsStore | None = None) -> list[Run]:
    """Every strategy and seed of ``cfg`` through the results store (finished ones reused)."""
    store, device = store or ResultsStore(), default_device()
    return [store.run(EXPERIMENT, profile, f"{name}-s{seed}", trial_config(cfg, name, seed),
                      lambda ctx, n=name, s=seed: trial(cfg, n, s, ctx), CODE_MODULES, device)
            for name in cfg.strategies for seed in cfg.seeds]
