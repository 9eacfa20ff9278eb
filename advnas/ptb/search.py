"""The PTB recurrent cell search task (Sec. 5.3, App. E; official code: ptb/custom.py, the search) for the shared loop.

The loop (``advnas/search/loop.py``) runs Algorithm 1; this task supplies the language
model with the gated recurrent cell and the plan of an epoch: the 35-step chunks of the
batchified training streams, in order, alternating between a weight step (odd iterations)
and a theta step (even iterations), both on training data as the official code does. The
iteration count runs on across epochs, and so does the recurrent state, which is never
reset (official code: ptb/default.py and ptb/cell.py, the model). There is no warm-up. The process best is therefore chosen on
training-chunk losses, never on the validation text whose perplexity Table 3 reports.

Logged after every epoch besides the loop's columns: the per-token validation loss of the
argmax architecture (dropout off) and the tokens processed.
"""

from __future__ import annotations

from typing import Any

import torch

from ..search.loop import SearchLoop
from ..search.seeds import derive_seed
from ..search.task import THETA, WEIGHT, LoopSettings, SearchTask
from ..strategies import Draw
from . import corpus
from .config import PTBConfig
from .space import N_EDGES, OPS, LanguageModel, arch_string, one_hot_gates, parse_arch
from .training import evaluate


def loop_settings(cfg: PTBConfig, theta_steps: int) -> LoopSettings:
    return LoopSettings(epochs=cfg.search_epochs, warmup_epochs=0, w_lr=cfg.w_lr, w_momentum=0.0,
                        w_weight_decay=0.0, w_clip=cfg.w_clip, theta_lr=cfg.theta_lr,
                        theta_betas=(cfg.beta1, cfg.beta2), theta_weight_decay=0.0, theta_clip=cfg.theta_clip,
                        theta_steps=theta_steps)


class RecurrentSearchTask(SearchTask):
    name = "ptb"
    n_edges = N_EDGES
    op_names = OPS
    zero_op_name = "zero"

    def __init__(self, cfg: PTBConfig, data: corpus.Corpus, device: torch.device):
        self.cfg, self.data = cfg, data
        self.train = corpus.batchify(data.train, cfg.batch).to(device)
        self.valid = corpus.batchify(data.valid, cfg.batch).to(device)
        self.model: LanguageModel | None = None
        self.h = torch.zeros(cfg.batch, cfg.hidden, device=device)  # the training streams' state
        self.iteration = 0
        self.tokens = 0  # of the current epoch

    @property
    def theta_steps(self) -> int:
        per_epoch = corpus.n_chunks(self.train, self.cfg.bptt, self.cfg.epoch_tokens)
        return max(1, (self.cfg.search_epochs * per_epoch) // 2)

    # Seeds as in the first version of this task, so that its stored results stay reproducible.
    def weights_seed(self, seed: int) -> int:
        return seed

    def strategy_seed(self, strategy: str, seed: int) -> int:
        return derive_seed("ptb", seed, strategy)

    def build(self, seed: int, device: torch.device) -> LanguageModel:
        cfg = self.cfg
        self.model = LanguageModel(self.data.n_tokens, cfg.hidden, cfg.dropout, cfg.init_range).to(device)
        return self.model

    def plan(self, epoch: int, warmup: bool):
        self.tokens = 0
        for batch in corpus.chunks(self.train, self.cfg.bptt, self.cfg.epoch_tokens, epoch):
            self.iteration += 1
            self.tokens += batch[0].numel()
            yield (WEIGHT if self.iteration % 2 == 1 else THETA), batch

    def loss(self, batch, draw: Draw, graph: bool = False) -> torch.Tensor:
        """The BPTT loss summed over the chunk's time steps (the mean over streams at each
        step, official code: ptb/default.py and ptb/cell.py, the model), per architecture. The training streams' state goes on from the
        first architecture of the draw."""
        inputs, targets = batch
        gates = draw.gates if draw.samples else draw.gates[None]
        with torch.set_grad_enabled(self.needs_graph(draw, graph)):
            h0 = self.h.repeat(gates.shape[0], 1)
            losses, h = self.model(inputs, targets, h0, gates, draw.dense, draw.skipped)
        self.h = h[:self.cfg.batch].detach()
        return losses if draw.samples else losses[0]

    def logged(self, loss: torch.Tensor, batch) -> torch.Tensor:
        return loss / batch[0].size(0)  # per time step: the mean per-token cross-entropy

    def arch_string(self, gates: torch.Tensor) -> str:
        return arch_string(gates.detach().argmax(-1).tolist())

    def epoch_metrics(self, argmax_arch: str, best_arch: str | None) -> dict[str, Any]:
        gates = one_hot_gates(parse_arch(argmax_arch)).to(self.train.device)
        val = evaluate(self.model, self.valid, gates, self.cfg.bptt, self.cfg.curve_tokens)
        return {"val_loss_argmax": val, "tokens": self.tokens}

    def state_dict(self) -> dict[str, Any]:
        return {"h": self.h, "iteration": self.iteration}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.h, self.iteration = state["h"], state["iteration"]


def make_search(cfg: PTBConfig, strategy: str, seed: int, data: corpus.Corpus,
                device: torch.device = torch.device("cpu")) -> SearchLoop:
    """One PTB search (Algorithm 1) with ``strategy`` and its options from ``cfg``."""
    task = RecurrentSearchTask(cfg, data, device)
    return SearchLoop(task, loop_settings(cfg, task.theta_steps), strategy, seed, device, cfg.options_for(strategy))
