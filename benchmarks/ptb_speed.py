"""Speed of the PTB recurrent cell search (Sec. 5.3), measured side by side in one process:

  * one search iteration of AdvantageNAS (a weight step on one 35-step chunk plus a theta
    step on the next, as the search alternates them) divided by one plain training step of
    the same network with a fixed cell (the retraining's weight step) on one chunk
    (target: <= 2.2; two forward-backward passes make 2.0);
  * tokens per second of the search and of plain training.

The data are random tokens over the real vocabulary size (10,000 words), so that the
decoder's softmax costs what it costs on Penn Treebank. Each repeat times the contenders
in a shuffled order; the summary holds medians of per-repeat ratios and their quartiles.
Results go through the results store (results/benchmarks/<profile>/ptb-speed-*/).

    python benchmarks/ptb_speed.py [--profile smoke|cpu|paper] [--recompute]
"""

from __future__ import annotations

import _stored

import statistics

import pandas as pd
import torch

from advnas import strategies
from advnas.device import default_device
from advnas.ptb import corpus
from advnas.ptb.config import PTBConfig
from advnas.ptb.experiment import tiny_corpus
from advnas.ptb.search import make_search
from advnas.ptb.space import LanguageModel, one_hot_gates
from advnas.ptb.training import weight_step

SETTINGS = {  # profile -> sizes (hidden, streams) and repeats x steps
    "smoke": {"sizes": [[8, 4]], "vocab": 200, "repeats": 3, "steps": 2},
    "cpu": {"sizes": [[32, 32], [300, 64]], "vocab": 10_000, "repeats": 11, "steps": 3},
    "paper": {"sizes": [[300, 256]], "vocab": 10_000, "repeats": 21, "steps": 5},
}
TARGET = 2.2


def contenders(hidden: int, streams: int, vocab: int, device, seed: int = 0):
    """The AdvantageNAS search and a plain network with a fixed cell, on random tokens."""
    cfg = PTBConfig(hidden=hidden, batch=streams, search_epochs=1, seeds=(seed,))
    data = tiny_corpus(n_train=streams * (cfg.bptt + 1) * 8, vocab=vocab, seed=seed)
    search = make_search(cfg, strategies.PROPOSED, seed, data, device)
    chunks = list(corpus.chunks(search.task.train, cfg.bptt))
    torch.manual_seed(seed + 1)
    plain = LanguageModel(data.n_tokens, hidden, cfg.dropout, cfg.init_range).to(device)
    sgd = torch.optim.SGD(plain.parameters(), lr=cfg.w_lr)
    gates = one_hot_gates([1, 1, 3, 1, 3, 3]).to(device)  # a fixed cell (tanh and ReLU edges)
    state = {"h": torch.zeros(streams, hidden, device=device)}

    def plain_step():
        loss, state["h"] = weight_step(plain, sgd, cfg.w_clip, *chunks[0], state["h"], gates)
        return loss

    def search_iteration():
        return (float(search.weight_step(chunks[0])), float(search.theta_step(chunks[1])))

    return {"plain_step": plain_step, "search_iteration": search_iteration}, chunks[0][0].numel()



def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    settings, device = SETTINGS[profile], default_device()
    order = torch.Generator().manual_seed(0)
    rows = []
    for hidden, streams in settings["sizes"]:
        tasks, tokens = contenders(hidden, streams, settings["vocab"], device)
        for fn in tasks.values():
            fn()  # warm-up: kernels, optimiser states
        names = list(tasks)
        for r in range(settings["repeats"]):
            for i in torch.randperm(len(names), generator=order).tolist():
                seconds = _stored.timed(tasks[names[i]], settings["steps"], device)
                rows.append({"measurement": names[i], "hidden": hidden, "streams": streams, "repeat": r,
                             "seconds": seconds, "tokens": tokens})
    table = pd.DataFrame(rows)
    summary = {"device": str(device), "torch_threads": torch.get_num_threads(), "target": TARGET,
               "vocab": settings["vocab"], "sizes": {}}
    for (hidden, streams), group in table.groupby(["hidden", "streams"]):
        wide = group.pivot(index="repeat", columns="measurement", values="seconds")
        ratios = (wide["search_iteration"] / wide["plain_step"]).tolist()
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        med = group.groupby("measurement").seconds.median()
        tokens = int(group.tokens.iloc[0])
        summary["sizes"][f"hidden={int(hidden)}, streams={int(streams)}"] = {
            "median_seconds": {k: float(v) for k, v in med.items()},
            "search_iteration_over_plain_step": {"median": float(statistics.median(ratios)),
                                                 "quartiles": [float(quartiles[0]), float(quartiles[2])]},
            # a search iteration consumes two chunks (a weight step and a theta step)
            "search_tokens_per_second": float(2 * tokens / med["search_iteration"]),
            "plain_tokens_per_second": float(tokens / med["plain_step"]),
        }
    return table, summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the settings and the losses of the timed
    steps at a tiny size."""
    tasks, _ = contenders(4, 2, 30, torch.device("cpu"))
    return {"settings": SETTINGS, "losses": {name: fn() for name, fn in tasks.items()}}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("ptb-speed", profile, SETTINGS, measure, "ptb-speed-benchmark", recompute)


if __name__ == "__main__":
    _stored.main(__doc__, "ptb-speed", SETTINGS, measure, "ptb-speed-benchmark")
