"""What one step of every `paper`-profile run costs, to project the profile's wall time.

For every distinct search setup of the run list at the `paper` profile (the CIFAR-10
chapters' (space, strategy, options) and PTB's strategies, at the paper's network sizes and
batches), the seconds of
  * CIFAR-10: one warm-up weight step and one search iteration (a theta step and a weight step);
  * PTB: one search iteration (a weight step on one 35-step chunk and a theta step on the
    next) and one retraining step of the found cell;
measured on random data of the real shapes (images; tokens over the 10,000-word vocabulary),
after one untimed step. ``advnas/paper_cost.py`` turns them into epochs and runs. Results go
through the results store (results/benchmarks/<profile>/paper-epoch-*/): the `paper` profile
is meant for a GPU (scripts/gpu_check.sh runs it), `cpu` measures the same sizes on a CPU
with fewer steps, `smoke` a tiny network.

    python benchmarks/paper_epoch.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import sys

import pandas as pd
import torch

from advnas import paper_cost
from advnas.device import default_device
from advnas.nb201.experiment import synthetic_data
from advnas.nb201.search import make_search as make_cell_search
from advnas.ptb import corpus
from advnas.ptb.experiment import tiny_corpus
from advnas.ptb.search import make_search as make_recurrent_search
from advnas.ptb.space import LanguageModel, one_hot_gates
from advnas.ptb.training import weight_step

SETTINGS = {
    "smoke": {"steps": 1, "shrink": {"channels": 2, "cells_per_stage": 1, "batch": 4, "hidden": 4,
                                     "ptb_batch": 2, "vocab": 50}},
    "cpu": {"steps": 1, "shrink": {}},
    "paper": {"steps": 10, "shrink": {}},
}
VOCAB = 10_000  # Penn Treebank's


def _cell_setup(cfg, strategy: str, steps: int, device) -> dict:
    images = max(2 * cfg.batch, 8)
    cfg = cfg.replace(train_size=images, val_size=images)
    search = make_cell_search(cfg, strategy, 0, synthetic_data(images).to(device), device)
    index = torch.arange(cfg.batch)

    def warmup_step():
        search.weight_step(search.task.train_batch(index), warmup=True)

    def search_iteration():
        search.theta_step(search.task.theta_batch())
        search.weight_step(search.task.train_batch(index))
    warmup_step(), search_iteration()  # untimed: kernels, optimiser states
    return {"warmup_step_s": _stored.timed(warmup_step, steps, device),
            "search_iteration_s": _stored.timed(search_iteration, steps, device)}


def _recurrent_setup(cfg, strategy: str, steps: int, vocab: int, device) -> dict:
    tokens = cfg.batch * (cfg.bptt + 1) * 4
    data = tiny_corpus(n_train=tokens, vocab=vocab, n_eval=tokens)
    search = make_recurrent_search(cfg, strategy, 0, data, device)
    chunks = list(corpus.chunks(search.task.train, cfg.bptt))
    torch.manual_seed(1)
    plain = LanguageModel(data.n_tokens, cfg.hidden, cfg.dropout, cfg.init_range).to(device)
    sgd = torch.optim.SGD(plain.parameters(), lr=cfg.w_lr)
    gates = one_hot_gates([1, 1, 3, 1, 3, 3]).to(device)
    state = {"h": torch.zeros(cfg.batch, cfg.hidden, device=device)}

    def search_iteration():
        search.weight_step(chunks[0])
        search.theta_step(chunks[1])

    def retrain_step():
        _, state["h"] = weight_step(plain, sgd, cfg.w_clip, *chunks[0], state["h"], gates)
    search_iteration(), retrain_step()
    return {"search_iteration_s": _stored.timed(search_iteration, steps, device),
            "retrain_step_s": _stored.timed(retrain_step, steps, device)}


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    s, device = SETTINGS[profile], default_device()
    rows = []
    setups = paper_cost.setups()
    for i, (key, (experiment, cfg, strategy)) in enumerate(setups.items(), 1):
        cfg = paper_cost.shrunk(cfg, experiment, s["shrink"])
        print(f"[advnas] {i}/{len(setups)} {key}", file=sys.stderr, flush=True)
        if experiment == "nb201":
            timing = _cell_setup(cfg, strategy, s["steps"], device)
        else:
            timing = _recurrent_setup(cfg, strategy, s["steps"], s["shrink"].get("vocab", VOCAB), device)
        rows.append({"setup": key, "experiment": experiment, "strategy": strategy, **timing})
    table = pd.DataFrame(rows)
    summary = {"device": str(device), "torch_threads": torch.get_num_threads(), "steps": s["steps"],
               "shrunk": bool(s["shrink"]),
               "setups": {r["setup"]: {k: v for k, v in r.items() if k.endswith("_s")} for r in rows}}
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the setups measured."""
    return {"settings": SETTINGS, "setups": list(paper_cost.setups())}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("paper-epoch", profile, SETTINGS, measure, "paper-epoch-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "paper-epoch", SETTINGS, measure, "paper-epoch-benchmark")
