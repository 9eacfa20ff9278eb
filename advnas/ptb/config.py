"""Settings of the PTB recurrent cell search (Sec. 5.3, App. E; official code: ptb/custom.py). Defaults: the paper's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import strategies
from ..data.choice import DATA_CHOICES
from ..search.config import StrategyConfig


def _ptb_options() -> dict:
    # ProxylessNAS averages its two paths in the recurrent cell: summed, the two highway
    # pass-throughs x would double the recurrent state at every time step (decision 8).
    return {"proxyless": {"pair": "mean"}}


@dataclass(frozen=True)
class PTBConfig(StrategyConfig):
    hidden: int = 300  # embedding and hidden size 300 (App. E)
    dropout: float = 0.5  # on embeddings and cell outputs (App. E)
    init_range: float = 0.1  # every parameter U(-0.1, 0.1) (official code: ptb/default.py and ptb/cell.py, the model)
    batch: int = 256  # parallel streams (App. E)
    bptt: int = 35  # truncated backpropagation length (App. E)
    search_epochs: int = 30  # Sec. 5.3
    epoch_tokens: int = 0  # training tokens per search epoch; 0 means the whole split (929,589)
    w_lr: float = 20.0  # SGD, cosine to 0 per integer epoch, no weight decay (App. E, official code: ptb/custom.py, the search)
    w_clip: float = 0.25  # global-norm clipping of the weight gradient
    theta_lr: float = 3e-3  # Adam, cosine to 0 (App. E)
    beta1: float = 0.9  # App. E; the official code leaves 0.5 (decision 10)
    beta2: float = 0.999
    theta_clip: float = 1.0  # global-norm clipping of the theta gradient (App. E)
    retrain_epochs: int = 100  # Sec. 5.3
    retrain_epoch_tokens: int = 0  # training tokens per retraining epoch; 0 means the whole split
    eval_batch: int = 1  # streams for the final perplexities: 1 as the official code (official code: ptb/custom.py, retraining and evaluation)
    eval_tokens: int = 0  # tokens of each split for the final perplexities; 0 means the whole split
    curve_tokens: int = 0  # validation tokens for the per-epoch search curve; 0 means the whole split
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # five search trials (Table 3; decision 19)
    strategies: tuple[str, ...] = tuple(strategies.SPARSE)  # Table 3's rows
    strategy_options: dict = field(default_factory=_ptb_options)
    data: str = "full"  # "full": Penn Treebank (mirror, data/ or download); "sample": the excerpts shipped with advnas
    RECORDED_UNLESS_DEFAULT = ("data",)  # see StrategyConfig
    WHOLE_SPLIT_WHEN_ZERO = ("epoch_tokens", "retrain_epoch_tokens", "eval_tokens", "curve_tokens")

    def setting_text(self, name: str, value: Any) -> str | None:
        """How a report writes a setting's value ("the whole split" for a token count of 0)."""
        return "the whole split" if name in self.WHOLE_SPLIT_WHEN_ZERO and value == 0 else None

    def validate(self) -> None:
        super().validate()
        self.require(self.data in DATA_CHOICES, "data", " or ".join(DATA_CHOICES), self.data)
        for name in ("hidden", "batch", "bptt", "search_epochs", "retrain_epochs", "eval_batch"):
            value = getattr(self, name)
            self.require(value >= 1, name, "an integer >= 1", value)
        for name in ("epoch_tokens", "retrain_epoch_tokens", "eval_tokens", "curve_tokens"):
            value = getattr(self, name)
            self.require(value >= 0, name, "an integer >= 0 (0: the whole split)", value)
        self.require(0 <= self.dropout < 1, "dropout", "in [0, 1)", self.dropout)
        for name in ("w_lr", "w_clip", "theta_lr", "theta_clip", "init_range"):
            value = getattr(self, name)
            self.require(value > 0, name, "a positive number", value)
        self.require(0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "beta1/beta2", "in [0, 1)",
                     (self.beta1, self.beta2))
        self.require_seeds()
