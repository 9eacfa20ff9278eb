"""Tables and figures of the PTB chapter: Table 3 beside the paper's, the search curves,
the cells found (Fig. 6, drawn with ``advnas.cells``), and the measured speed."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import cells, paper, stats
from ..report import NON_NEGATIVE, NOT_AVAILABLE, PERPLEXITY, PROPOSED, ci, format_pm, label, line_style, \
    listing, order, ordered, paired_claim, proposed_label, rivals, target_text, target_word
from ..store import Run
from ..verdict import Verdict, interval_fields
from .space import EDGES, N_NODES, OPS, parse_arch

COLOURS = {"identity": "tab:gray", "tanh": "tab:blue", "sigmoid": "tab:green", "relu": "tab:red",
           "zero": "darkgray"}


def summaries(runs: list[Run]) -> pd.DataFrame:
    return pd.DataFrame([{**r.summary, "wall_time_s": r.info["wall_time_s"]} for r in runs])


def table3(runs: list[Run]) -> pd.DataFrame:
    """Ours (n trials, mean with its 95 % t interval, ``report.ci``, clipped to the quantity's range)
    beside the paper's Table 3 (mean ± standard deviation)."""
    s = summaries(runs)
    rows = []
    for name in order(s.strategy):
        g = s[s.strategy == name]
        p = paper.TABLE3.get(name)
        rows.append({"method": label(name), "final": g.final_rule.iloc[0], "n": len(g),
                     "val ppl [95 % CI]": ci(g.val_ppl, 1, within=PERPLEXITY),
                     "test ppl [95 % CI]": ci(g.test_ppl, 1, within=PERPLEXITY),
                     "params (M, counted)": ci(g.params / 1e6, 3, within=NON_NEGATIVE),
                     "params (MB, paper's formula)": ci(g.params_paper_formula_mb, 3, within=NON_NEGATIVE),
                     "paper: val ppl": format_pm(p[0], p[1]) if p else NOT_AVAILABLE,
                     "paper: test ppl": format_pm(p[2], p[3]) if p else NOT_AVAILABLE,
                     "paper: params (MB)": format_pm(p[4], p[5]) if p else NOT_AVAILABLE})
    return pd.DataFrame(rows).set_index("method")


def trials_table(runs: list[Run]) -> pd.DataFrame:
    s = ordered(summaries(runs))
    s["method"] = s.strategy.map(label)
    return s.set_index(["method", "seed"])[["arch", "argmax", "process_best", "val_ppl", "test_ppl", "params"]]


def verdicts(runs: list[Run]) -> list[Verdict]:
    """Sec. 5.3's claims, paired by seed: AdvantageNAS's perplexity lower than each rival's
    (``report.rivals``) and than random search's; none without an AdvantageNAS trial."""
    s = summaries(runs)
    if PROPOSED not in set(s.strategy):
        return []
    ours = proposed_label()
    out = paired_claim(s, "val_ppl", rivals("ptb", s.strategy),
                       f"Sec. 5.3: {ours} has the lowest validation perplexity (Table 3)",
                       f"Validation perplexity, {ours} minus: ",
                       f"{ours} minus each rival, validation perplexity of the retrained cell, paired by seed",
                       digits=1, claimed="less")
    competitive = competitive_verdict(s)
    if competitive:
        out.append(competitive)
    if "random" in set(s.strategy):
        out += paired_claim(s, "test_ppl", ["random"],
                            f"{ours} beats random search at the same budget (test perplexity)", "",
                            f"{ours} minus random search, test perplexity of the retrained cell, paired by seed",
                            digits=1, claimed="less", untested=True)
    return out


# Sec. 5.3: "AdvantageNAS achieved the competitive result obtained by ProxylessNAS in test data"
# (the paper's means: 91.18 against 90.76, 0.46 % higher). Competitive = not worse by more than
# this share of ProxylessNAS's test perplexity (a non-inferiority margin, one-sided test at 5 %).
COMPETITIVE_MARGIN = 0.01


def competitive_verdict(s: pd.DataFrame) -> Verdict | None:
    """Sec. 5.3's test-data claim as the paper words it: AdvantageNAS's test perplexity is within
    the margin of ProxylessNAS's, per seed as a share of ProxylessNAS's (paired by seed); None
    without a shared seed."""
    ours, theirs = (s[s.strategy == name].set_index("seed").test_ppl for name in (PROPOSED, "proxyless"))
    seeds = sorted(set(ours.index) & set(theirs.index))
    if not seeds:
        return None
    relative = stats.interval([(ours[k] - theirs[k]) / theirs[k] for k in seeds])
    verdict, iv = stats.non_inferiority(relative, COMPETITIVE_MARGIN)
    return Verdict(
        claim=f"Sec. 5.3: {proposed_label()}'s test perplexity is competitive with ProxylessNAS's (within "
              f"{COMPETITIVE_MARGIN:.0%})",
        outcome=verdict,
        evidence=f"Test perplexity, {proposed_label()} minus ProxylessNAS as a share of ProxylessNAS's, paired by "
                 f"seed: mean {iv.mean:+.2%}, "
                 + (f"90 % t interval [{iv.low:+.2%}, {iv.high:+.2%}]" if iv.n >= 2 else "no interval")
                 + f" (n = {iv.n}). Rule (one-sided test at 5 %): holds when the "
                 f"interval's upper end is below +{COMPETITIVE_MARGIN:.0%}, fails when its lower end is above it, "
                 f"otherwise inconclusive. The paper's means differ by "
                 f"{paper.TABLE3[PROPOSED][2] / paper.TABLE3['proxyless'][2] - 1:+.2%}.",
        rule=f"holds when the 90 % interval's upper end is below +{COMPETITIVE_MARGIN:.0%}, fails when its lower "
             "end is above it, inconclusive otherwise (one-sided test at 5 %)",
        comparison=f"{proposed_label()} minus ProxylessNAS, test perplexity as a share of ProxylessNAS's, paired "
                   "by seed",
        n=iv.n, **interval_fields(iv))


def search_curves(runs: list[Run]):
    """Per strategy (mean over trials): validation loss of the argmax architecture, entropy of
    p_theta, and the retraining curve of the final cell."""
    m = pd.concat([r.metrics for r in runs], ignore_index=True)
    search, retrain = m[m.phase == "search"], m[m.phase == "retrain"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for name in order(m.strategy):
        kw = {"label": label(name), "marker": "o", "ms": 3, **line_style(name)}
        g = search[search.strategy == name].groupby("epoch")
        axes[0].plot(g.val_loss_argmax.mean().index, np.exp(g.val_loss_argmax.mean()), **kw)
        axes[1].plot(g.entropy.mean().index, g.entropy.mean(), **kw)
        r = retrain[retrain.strategy == name].groupby("epoch")
        axes[2].plot(r.val_loss_argmax.mean().index, np.exp(r.val_loss_argmax.mean()), **kw)
    axes[0].set(title="search: argmax cell, validation perplexity", xlabel="search epoch", ylabel="perplexity",
                yscale="log")
    axes[1].set(title="search: entropy of p_θ (nats, mean over edges)", xlabel="search epoch")
    axes[1].axhline(math.log(len(OPS)), color="k", lw=0.6, ls=":")
    axes[2].set(title="retraining the final cell: validation perplexity", xlabel="retraining epoch",
                ylabel="perplexity", yscale="log")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# The recurrent cell as a DAG (Fig. 6): input node 0 from (x_t, h_{t-1}), intermediate nodes
# 1-3, the output h_t = mean of 1-3 (dotted links). Edges coloured by activation, zero dashed.
CELL_STYLE = cells.CellStyle(
    positions={"in": (-1.3, 0.0), 0: (0.0, 0.0), 1: (1.0, 1.1), 2: (2.0, -1.1), 3: (3.2, 1.1), "out": (4.4, 0.0)},
    names={"in": "$x_t, h_{t-1}$", "out": "$h_t$"},
    node_colours={"in": "lightblue", "out": "lightblue"}, boxed=frozenset({"in", "out"}),
    colours=COLOURS, dashed=frozenset({"zero"}),
    bends={(0, 2): 0.25, (0, 3): 0.12, (1, 3): -0.35}, label_at={(0, 2): 0.55, (0, 3): 0.7, (1, 3): 0.5},
    links={("in", 0): {"colour": "black"},
           **{(n, "out"): {"colour": "0.75", "linestyle": ":"} for n in range(1, N_NODES + 1)}},
    margin=0.6)


def draw_cell(ax, arch: str, title: str = "") -> None:
    """The cell of ``arch`` drawn as in Fig. 6 (``CELL_STYLE``)."""
    ops = parse_arch(arch)
    edges = [("in", 0, None), *((s, t, OPS[ops[e]]) for e, (s, t) in enumerate(EDGES)),
             *((n, "out", None) for n in range(1, N_NODES + 1))]
    cells.draw_cell(ax, edges, CELL_STYLE, title)


def figure6(runs: list[Run]):
    """Fig. 6 as the paper chooses it: the AdvantageNAS cell with the best validation
    perplexity and the ProxylessNAS cell with the best test perplexity over trials, beside
    the paper's two cells."""
    s = summaries(runs)
    fig, axes = plt.subplots(2, 2, figsize=(12, 5.6))
    for col, (name, key) in enumerate([(PROPOSED, "val_ppl"), ("proxyless", "test_ppl")]):
        g = s[s.strategy == name]
        if len(g):
            best = g.loc[g[key].idxmin()]
            draw_cell(axes[0, col], best.arch, f"ours: {label(name)}, best {key.split('_')[0]} of {len(g)} trials "
                      f"(seed {best.seed}): val {best.val_ppl:.1f}, test {best.test_ppl:.1f}")
        else:
            axes[0, col].axis("off")
        arch, val, test = paper.FIG6[name]
        draw_cell(axes[1, col], arch, f"paper (Fig. 6): {label(name)}: val {val:.2f}, test {test:.2f}")
    fig.tight_layout()
    return fig


def all_cells(runs: list[Run], columns: int = 2):
    """Every trial's final cell, in Table 1's order and by seed, wrapped into rows of
    ``columns`` drawings (at the book's width two stay legible), each titled with its method,
    rule, seed and perplexities."""
    s = summaries(runs)
    s = s.assign(rank=s.strategy.map(order(s.strategy).index)).sort_values(["rank", "seed"])
    rows = -(-len(s) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.0 * columns, 2.4 * rows), squeeze=False)
    for ax, (_, r) in zip(axes.flat, s.iterrows()):
        draw_cell(ax, r.arch, f"{label(r.strategy)} ({r.final_rule}), seed {r.seed}: "
                  f"val {r.val_ppl:.1f}, test {r.test_ppl:.1f}")
    for ax in axes.flat[len(s):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def speed_table(runs: list[Run]) -> pd.DataFrame:
    """Measured tokens per second of the search (weight and theta steps) and of the
    retraining, and wall time per trial, per strategy (mean over trials)."""
    s = summaries(runs)
    rows = []
    for name in order(s.strategy):
        g = s[s.strategy == name]
        rows.append({"method": label(name), "search tokens/s": g.search_tokens_per_s.mean(),
                     "retraining tokens/s": g.retrain_tokens_per_s.mean(),
                     "search (s)": g.search_seconds.mean(), "retraining (s)": g.retrain_seconds.mean(),
                     "final perplexities (s)": g.eval_seconds.mean(),
                     "wall time per trial (s)": g.wall_time_s.mean(), "torch threads": int(g.torch_threads.max())})
    return pd.DataFrame(rows).set_index("method")


def total_wall_time(runs: list[Run]) -> float:
    return float(sum(r.info["wall_time_s"] for r in runs))


def runs_note(runs: list[Run]) -> str:
    """What the provenance box above (which covers every trial) leaves out: whether the trials
    read the PTB excerpts shipped with advnas. Empty otherwise."""
    if any(r.config.get("data") == "sample" for r in runs):
        return "Data: the PTB excerpts shipped with advnas (`data: sample`), not the full corpus."
    return ""


def observations(runs: list[Run]) -> str:
    """What else the runs show, computed: the final entropy ranking (App. H's claim, here on
    PTB) and how close the best AdvantageNAS cell is to the paper's Fig. 6 (a)."""
    m = pd.concat([r.metrics for r in runs], ignore_index=True)
    last = m[m.phase == "search"].sort_values("epoch").groupby(["strategy", "seed"]).tail(1)
    entropy = last.groupby("strategy").entropy.mean().sort_values()
    text = (f"Entropy of p_θ at the end of the search (nats, mean over trials; log {len(OPS)} = "
            f"{math.log(len(OPS)):.3f} at the start): {listing(entropy, 3)}.")
    s = summaries(runs)
    ours = s[s.strategy == PROPOSED]
    if len(ours):
        best = ours.loc[ours.val_ppl.idxmin()]
        theirs = parse_arch(paper.FIG6[PROPOSED][0])
        same = sum(a == b for a, b in zip(parse_arch(best.arch), theirs))
        text += (f" The best {proposed_label()} cell here (seed {best.seed}) has the paper's Fig. 6 (a) operation on "
                 f"{same} of its {len(theirs)} edges.")
    return text


def speed_benchmark_table(run) -> pd.DataFrame:
    """benchmarks/ptb_speed.py: per size, a search iteration ÷ a plain step (median of
    per-repeat ratios, quartiles) and tokens per second of both."""
    rows = []
    for size, v in run.summary["sizes"].items():
        ratio = v["search_iteration_over_plain_step"]
        rows.append({"size": size, "search iteration ÷ plain step": ratio["median"],
                     "quartiles": f"{ratio['quartiles'][0]:.2f}–{ratio['quartiles'][1]:.2f}",
                     "search tokens/s": v["search_tokens_per_second"],
                     "plain training tokens/s": v["plain_tokens_per_second"]})
    return pd.DataFrame(rows).set_index("size").round(2)


def speed_benchmark_verdict(run) -> str:
    target = run.summary["target"]
    parts = [f"{size}: {v['search_iteration_over_plain_step']['median']:.2f} "
             f"({target_word(v['search_iteration_over_plain_step']['median'], target)})"
             for size, v in run.summary["sizes"].items()]
    return (f"One search iteration (a weight step and a θ step, two chunks) ÷ one plain training step "
            f"(one chunk), target {target_text(target)}: " + "; ".join(parts) + ".")


def stored_verdicts(cfg, profile: str) -> list[Verdict]:
    """The chapter's claims (Sec. 5.3, Table 3), from its stored trials."""
    from .experiment import run_all

    return verdicts(run_all(cfg, profile))
