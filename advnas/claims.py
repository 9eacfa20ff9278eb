"""The paper's claims as the scorecard lists them: the paper's words, where it makes them, its
own number for that row, and whether the row is the paper's claim or an addition of ours.

A chapter's verdict names its claim (``Verdict.claim``, ``advnas/verdict.py``); ``find``
matches that claim text to one entry here by its opening words. Quotes are the paper's (Sato,
Sakuma, Akimoto, AAAI 2021); each "paper's number" is computed from ``advnas/paper.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import paper
from .strategies import label as _label

PAPER, OURS = "The paper's claims", "Our additions: baselines and measurements the paper does not make"
GROUPS = (PAPER, OURS)


@dataclass(frozen=True)
class Claim:
    starts: str  # the opening words of the claim text of the chapter's verdict
    where: str  # section, table, figure or footnote of the paper
    quote: str  # the paper's words
    number: Callable[[], str] = lambda: "–"  # the paper's own number for this row ("–": none stated)
    group: str = PAPER


def _table_row(table: dict, column: str, where: str) -> str:
    """AdvantageNAS's ``column`` of ``table`` (mean ± sd) against the rival with the highest mean."""
    ours = table["advantage"][column]
    values = {name: row[column][0] if isinstance(row, dict) else row[column]
              for name, row in table.items() if name != "advantage" and (not isinstance(row, dict) or row[column])}
    rival = max(values, key=values.get)
    return f"{ours[0]:.2f} ± {ours[1]:.2f} % against the best rival's {values[rival]:.2f} % ({_label(rival)}; {where})"


def _argmax_over_process_best() -> str:
    return "argmax − process best: " + ", ".join(
        f"{_label(n)} {r['argmax'][0] - r['process_best'][0]:+.2f}"
        for n, r in paper.TABLE2.items() if r["process_best"]) + " points (Table 2)"


def _ppl(index: int, split: str) -> str:
    ours = paper.TABLE3["advantage"]
    rival = min((n for n in paper.TABLE3 if n != "advantage"), key=lambda n: paper.TABLE3[n][index])
    return (f"{split} {ours[index]:.2f} ± {ours[index + 1]:.2f} against {_label(rival)}'s "
            f"{paper.TABLE3[rival][index]:.2f} (Table 3)")


def _competitive() -> str:
    ours, theirs = paper.TABLE3["advantage"][2], paper.TABLE3["proxyless"][2]
    return f"test {ours:.2f} against ProxylessNAS's {theirs:.2f} ({ours / theirs - 1:+.2%}; Table 3)"


def _with_none_change(index: int, what: str, unit: str) -> str:
    """Table 4 − Table 2 of the argmax column ``index`` (0: accuracy, 2: parameters), per method."""
    change = {n: paper.TABLE4[n]["argmax"][index] - paper.TABLE2[n]["argmax"][index] for n in paper.TABLE2}
    return (f"{what} with `none` − without: AdvantageNAS " + f"{change.pop('advantage'):+.2f}, "
            + ", ".join(f"{_label(n)} {v:+.2f}" for n, v in change.items()) + f" {unit} (Tables 4, 2)")


def _collapse() -> str:
    acc = paper.TABLE4["proxyless"]["argmax"]
    return f"ProxylessNAS argmax {acc[0]:.2f} ± {acc[1]:.2f} % with `none` (Table 4)"


# quotes behind two rows each
_APP_G = ("Advantage-NAS achieves a computational time efficiency comparable to that of SNAS and outperforms DARTS "
          "and NASP.")
_UNBIASED = ("the estimated gradient in AdvantageNAS is an unbiased estimator of the gradient of the expected loss "
             "(Sec. 1); AdvantageNAS aims to reduce the estimation variance while keeping the policy gradient "
             "unbiased (Sec. 4.3)")

CLAIMS: tuple[Claim, ...] = (
    # Sec. 4: theory (chapter 1)
    Claim("Sec. 4.4: the advantage's gradient typically", "Sec. 4.4",
          "the variance reduction effect for each gradient component typically scales linearly with |I|"),
    Claim("Theorem 4.2: the advantage's gradient is unbiased", "Sec. 4.3, Theorem 4.2",
          "with A_i defined in (6), A_i(a, w; V) ∇θi ln pθ(a) is an unbiased estimate of ∇θi J(θ, w)",
          lambda: "0 (proved, App. A.2)"),
    Claim("Theorem 4.1:", "Sec. 4.2, Theorem 4.1",
          "reducing the variance in an unbiased estimator of the gradient contributes toward improving the lower "
          "bound of the expected improvement", lambda: "slack ≥ 0 (proved)"),
    # Sec. 5.1: toy (chapter 2)
    Claim("Fig. 1: AdvantageNAS converges faster", "Sec. 5.1, Fig. 1",
          "We observe that AdvantageNAS converges faster than existing SP-NAS such as REINFORCE, PARSEC and GDAS."),
    Claim("Sec. 5.1: AdvantageNAS is more stable than ProxylessNAS", "Sec. 5.1, Fig. 1",
          "Moreover, it is more stable than ProxylessNAS when the number of iterations is large."),
    Claim("Sec. 5.1: DARTS, SNAS and NASP converge faster", "Sec. 5.1, Fig. 1",
          "Existing DP-NAS approaches such as DARTS, SNAS and NASP converge faster than AdvantageNAS."),
    # Sec. 5.2: CIFAR-10 (chapter 3)
    Claim("argmax: AdvantageNAS outperforms every SP-NAS", "Sec. 5.2, Table 2",
          "AdvantageNAS outperforms all the existing SP-NAS in terms of both argmax and process best.",
          lambda: _table_row(paper.TABLE2, "argmax", "Table 2, argmax")),
    Claim("process best: AdvantageNAS outperforms every SP-NAS", "Sec. 5.2, Table 2",
          "AdvantageNAS outperforms all the existing SP-NAS in terms of both argmax and process best.",
          lambda: _table_row(paper.TABLE2, "process_best", "Table 2, process best")),
    Claim("argmax is better than process best", "Sec. 5.2, Table 2",
          "argmax delivered better performances in all the algorithms including AdvantageNAS.",
          _argmax_over_process_best),
    Claim("Fig. 2: AdvantageNAS's argmax is more accurate", "Sec. 5.2, Fig. 2", paper.FIG2_CLAIM),
    Claim("Fig. 4: AdvantageNAS's entropy falls faster", "App. H, Fig. 4", paper.FIG4_CLAIM,
          lambda: f"entropy axis {paper.FIG4_ENTROPY_RANGE[0]}–{paper.FIG4_ENTROPY_RANGE[1]} nats (Fig. 4)"),
    Claim("App. H: ProxylessNAS's entropy rises", "App. H",
          "the entropy of ProxylessNAS increases after around 25 epochs and thus does not converge."),
    Claim("AdvantageNAS beats random search at the same budget (test perplexity)", "–",
          "(not in the paper: random search as the baseline a learning strategy must beat)", group=OURS),
    Claim("AdvantageNAS beats random search", "–",
          "(not in the paper: random search as the baseline a learning strategy must beat)", group=OURS),
    # Sec. 5.3: PTB (chapter 4)
    Claim("Sec. 5.3: AdvantageNAS has the lowest validation perplexity", "Sec. 5.3, Table 3",
          "AdvantageNAS achieved highest performance in validation data.", lambda: _ppl(0, "validation")),
    Claim("Sec. 5.3: AdvantageNAS's test perplexity is competitive", "Sec. 5.3, Table 3",
          "In addition, AdvantageNAS achieved the competitive result obtained by ProxylessNAS in test data.",
          _competitive),
    # App. B, F and footnote 5: the zero operation (chapter 5)
    Claim("Table 4: AdvantageNAS outperforms every SP-NAS", "App. F, Table 4",
          "Comparison of Table 4 and Table 2 shows how much each approach was affected by zero operation.",
          lambda: _table_row(paper.TABLE4, "argmax", "Table 4, argmax")),
    Claim("App. F: adding `none` costs AdvantageNAS less", "App. F",
          "The difference was minimal for AdvantageNAS owing to the zero operation treatment described in "
          "Appendix B. We observed a significant deterioration for the other SP-NAS methods.",
          lambda: _with_none_change(0, "argmax", "points")),
    Claim("App. F: Eq. (9)", "App. F, App. B",
          "The difference was minimal for AdvantageNAS owing to the zero operation treatment described in Appendix B."),
    Claim("App. F: with `none`, the other SP-NAS move to cells with fewer parameters", "App. F",
          "SP-NAS approaches except AdvantageNAS tended to architectures having much fewer trainable parameters "
          "when zero operations were included.", lambda: _with_none_change(2, "argmax cell's parameters", "MB")),
    Claim("App. B: with Eq. (9), AdvantageNAS never selects", "App. B",
          "If no regularization is introduced, the zero operation will not be selected as the final architecture.",
          lambda: "0 edges"),
    Claim("Footnote 5:", "Sec. 5.2, footnote 5",
          "zero operations disrupt the architecture search of existing SP-NAS (e.g., ProxylessNAS ended up with a "
          "final accuracy of 10%)", _collapse),
    # App. G: dense propagation (chapter 6) and the cost claims
    Claim("App. G: at equal search time AdvantageNAS outperforms DARTS and NASP", "App. G, Fig. 3", _APP_G),
    Claim("App. G: AdvantageNAS's time efficiency is comparable to SNAS's", "App. G, Fig. 3", _APP_G),
    Claim("Sec. 4: AdvantageNAS needs the memory of training one sampled architecture", "Sec. 3, Sec. 4",
          "As with other SP-NAS, our proposed approach, AdvantageNAS, has low GPU memory consumption.",
          lambda: "independent of the number of candidate operations (Sec. 3)"),
    Claim("Sec. 3, 5.1: dense propagation needs several times the memory", "Sec. 3, Sec. 5.1",
          "these methods require nearly |J| times the memory space to perform the architecture search",
          lambda: "nearly 4 times (the number of candidate operations; Sec. 5.1)"),
    Claim("Sec. 4.3: the advantage involves no additional computational cost", "Sec. 4.3",
          "Therefore, our advantage involves no additional computational cost.", lambda: "1 (no extra cost)"),
    # Chapter 7: the gradient measured in the CIFAR-10 space
    Claim("Sec. 4.3–4.4: AdvantageNAS's θ-gradient has a lower variance", "Sec. 4.4 (an expectation)",
          "Since (7) is an approximation of (6), we expect that our advantage contributes toward reducing the "
          "estimation variance, resulting in faster convergence.", group=OURS),
    Claim("Sec. 1, 4.3 (sampled): the gradient", "Sec. 1, Sec. 4.3", _UNBIASED, group=OURS),
    Claim("Sec. 1, 4.3 (exact): the gradient", "Sec. 1, Sec. 4.3", _UNBIASED, group=OURS),
    Claim("Theorem 4.2 (Eq. 6) in the CIFAR-10 space", "Sec. 4.3, Theorem 4.2",
          "with A_i defined in (6), A_i(a, w; V) ∇θi ln pθ(a) is an unbiased estimate of ∇θi J(θ, w)",
          lambda: "0 (proved, App. A.2)", group=OURS),
)


def find(claim_text: str) -> Claim | None:
    """The entry whose opening words begin ``claim_text`` (the longest such), None when none does."""
    matches = [c for c in CLAIMS if claim_text.startswith(c.starts)]
    return max(matches, key=lambda c: len(c.starts)) if matches else None
