"""The claims of the three chapters on the CIFAR-10 space (3: Table 2 and Figs. 2, 4; 5: the
zero operation; 6: dense propagation), each judged from the chapter's stored searches."""

from __future__ import annotations

from .. import omitted_claims
from ..cost import verdicts as cost
from ..verdict import Verdict
from . import experiment, report
from .search_config import NB201SearchConfig


def cifar(cfg: NB201SearchConfig, profile: str) -> list[Verdict]:
    """Sec. 5.2's claims (Table 2, Figs. 2 and 4) and App. H's on ProxylessNAS's entropy."""
    summaries, metrics = experiment.collect(experiment.run_all(cfg, profile, progress=False))
    return [*report.verdicts(summaries, metrics), omitted_claims.proxyless_entropy_verdict(metrics)]


def zero_op(cfg: NB201SearchConfig, profile: str) -> list[Verdict]:
    """Table 4's claims, and App. B's, App. F's and footnote 5's on what the zero operation does."""
    data = experiment.zero_op_data(cfg, profile, progress=False)
    return [*report.zero_op_verdicts(data.with_zero, data.four_ops),
            omitted_claims.zero_op_selection_verdict(data.summaries),
            omitted_claims.params_change_verdict(data.summaries, data.four_ops),
            omitted_claims.proxyless_collapse_verdict(data.summaries)]


def dense(cfg: NB201SearchConfig, profile: str) -> list[Verdict]:
    """App. G's claims (Fig. 3), and the cost claims measured by the stored benchmarks."""
    _, metrics = experiment.collect(experiment.run_all(cfg, profile, progress=False))
    return [*report.time_efficiency_verdicts(metrics), *cost.stored_verdicts(profile)]
