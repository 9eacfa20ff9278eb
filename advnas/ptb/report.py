"""Tables and figures of the PTB chapter: Table 3 beside the paper's, the search curves,
the cells found (Fig. 6, drawn with matplotlib), and the measured speed."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch

from .. import paper
from ..store import Run
from ..strategies import STRATEGIES
from .config import PTB_STRATEGIES
from .space import EDGES, N_NODES, OPS, parse_arch

COLOURS = {"identity": "tab:gray", "tanh": "tab:blue", "sigmoid": "tab:green", "relu": "tab:red",
           "zero": "darkgray"}


def label(name: str) -> str:
    return STRATEGIES[name].label


def _pm(values: pd.Series, digits: int = 2) -> str:
    # mean ± population std over trials, as the paper's make_table (np.std; spec §3.4)
    return f"{values.mean():.{digits}f} ± {np.std(values.to_numpy()):.{digits}f}"


def summaries(runs: list[Run]) -> pd.DataFrame:
    return pd.DataFrame([{**r.summary, "wall_time_s": r.info["wall_time_s"]} for r in runs])


def table3(runs: list[Run]) -> pd.DataFrame:
    """Ours (mean ± std over trials) beside the paper's Table 3."""
    s = summaries(runs)
    rows = []
    for name in [n for n in PTB_STRATEGIES if n in set(s.strategy)]:
        g = s[s.strategy == name]
        p = paper.TABLE3[name]
        rows.append({"method": label(name), "final": g.final_rule.iloc[0], "trials": len(g),
                     "val ppl": _pm(g.val_ppl), "test ppl": _pm(g.test_ppl),
                     "params (M, counted)": _pm(g.params / 1e6, 3),
                     "params (MB, paper's formula)": _pm(g.params_paper_formula_mb, 3),
                     "paper: val ppl": f"{p[0]:.2f} ± {p[1]:.2f}", "paper: test ppl": f"{p[2]:.2f} ± {p[3]:.2f}",
                     "paper: params (MB)": f"{p[4]:.2f} ± {p[5]:.2f}"})
    return pd.DataFrame(rows).set_index("method")


def trials_table(runs: list[Run]) -> pd.DataFrame:
    s = summaries(runs)
    s["method"] = s.strategy.map(label)
    return s.set_index(["method", "seed"])[["arch", "argmax", "process_best", "val_ppl", "test_ppl", "params"]]


def verdict(runs: list[Run]) -> str:
    """The paper's claim of Sec. 5.3 against these runs, in words computed from them."""
    s = summaries(runs).groupby("strategy")[["val_ppl", "test_ppl"]].mean()
    if "advantage" not in s.index or len(s) < 2:
        return "Too few strategies in these runs to compare."
    best_val = s.val_ppl.idxmin()
    best_test = s.test_ppl.idxmin()
    ranks = s.val_ppl.rank().astype(int)
    return (f"Mean validation perplexity: lowest for {label(best_val)} ({s.val_ppl.min():.1f}); "
            f"AdvantageNAS {s.val_ppl['advantage']:.1f}, rank {ranks['advantage']} of {len(s)}. "
            f"Mean test perplexity: lowest for {label(best_test)} ({s.test_ppl.min():.1f}); "
            f"AdvantageNAS {s.test_ppl['advantage']:.1f}. The paper's claim that AdvantageNAS has the "
            f"lowest validation perplexity {'holds' if best_val == 'advantage' else 'does not hold'} "
            f"in these runs.")


def search_curves(runs: list[Run]):
    """Per strategy (mean over trials): validation loss of the argmax architecture, entropy of
    p_theta, and the retraining curve of the final cell."""
    m = pd.concat([r.metrics for r in runs], ignore_index=True)
    search, retrain = m[m.phase == "search"], m[m.phase == "retrain"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for name in [n for n in PTB_STRATEGIES if n in set(m.strategy)]:
        kw = {"label": label(name), "lw": 2.2 if name == "advantage" else 1.2, "marker": "o", "ms": 3}
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


def draw_cell(ax, arch: str, title: str = "") -> None:
    """The cell as a DAG (Fig. 6): input node 0 from (x_t, h_{t-1}), intermediate nodes 1-3,
    the output h_t = mean of 1-3. Edges are labelled with their operation; zero edges dashed."""
    ops = parse_arch(arch)
    pos = {0: (0.0, 0.0), 1: (1.0, 1.1), 2: (2.0, -1.1), 3: (3.2, 1.1), "in": (-1.3, 0.0), "out": (4.4, 0.0)}
    names = {0: "0", 1: "1", 2: "2", 3: "3", "in": "$x_t, h_{t-1}$", "out": "$h_t$"}
    bend = {(0, 2): 0.25, (0, 3): 0.12, (1, 3): -0.35}
    where = {(0, 2): 0.55, (0, 3): 0.7, (1, 3): 0.5}

    def arrow(a, b, colour, style="-", rad=0.0, text=None, t=0.5):
        ax.add_patch(FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=12, color=colour,
                                     linestyle=style, lw=1.6, shrinkA=12, shrinkB=12,
                                     connectionstyle=f"arc3,rad={rad}"))
        if text:
            (x0, y0), (x1, y1) = pos[a], pos[b]
            cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)  # arc3's control point
            x = (1 - t) ** 2 * x0 + 2 * t * (1 - t) * cx + t ** 2 * x1
            y = (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cy + t ** 2 * y1
            ax.text(x, y, text, fontsize=8, ha="center", va="center", color=colour,
                    bbox={"fc": "white", "ec": "none", "pad": 0.5})

    arrow("in", 0, "k")
    for e, (s, t) in enumerate(EDGES):
        op = OPS[ops[e]]
        arrow(s, t, COLOURS[op], "--" if op == "zero" else "-", bend.get((s, t), 0.0), op, where.get((s, t), 0.5))
    for n in range(1, N_NODES + 1):
        arrow(n, "out", "0.75", ":")
    for n, (x, y) in pos.items():
        box = "round,pad=0.3" if isinstance(n, int) else "square,pad=0.3"
        ax.text(x, y, names[n], ha="center", va="center", fontsize=9,
                bbox={"boxstyle": box, "fc": "lightyellow" if isinstance(n, int) else "lightblue", "ec": "k"})
    ax.set(xlim=(-2.0, 5.0), ylim=(-1.9, 2.0), title=title)
    ax.title.set_fontsize(9)
    ax.axis("off")


def figure6(runs: list[Run]):
    """Fig. 6 as the paper chooses it: the AdvantageNAS cell with the best validation
    perplexity and the ProxylessNAS cell with the best test perplexity over trials, beside
    the paper's two cells."""
    s = summaries(runs)
    fig, axes = plt.subplots(2, 2, figsize=(12, 5.6))
    for col, (name, key) in enumerate([("advantage", "val_ppl"), ("proxyless", "test_ppl")]):
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


def all_cells(runs: list[Run]):
    """Every trial's final cell."""
    s = summaries(runs)
    s = s.assign(order=s.strategy.map(PTB_STRATEGIES.index)).sort_values(["order", "seed"])
    n_seeds = s.groupby("strategy").size().max()
    names = list(dict.fromkeys(s.strategy))
    fig, axes = plt.subplots(len(names), n_seeds, figsize=(5.2 * n_seeds, 2.6 * len(names)), squeeze=False)
    for i, name in enumerate(names):
        g = s[s.strategy == name]
        for j in range(n_seeds):
            if j < len(g):
                r = g.iloc[j]
                draw_cell(axes[i, j], r.arch, f"{label(name)} ({r.final_rule}), seed {r.seed}: "
                          f"val {r.val_ppl:.1f}, test {r.test_ppl:.1f}")
            else:
                axes[i, j].axis("off")
    fig.tight_layout()
    return fig


def speed_table(runs: list[Run]) -> pd.DataFrame:
    """Measured tokens per second of the search (weight and theta steps) and of the
    retraining, and wall time per trial, per strategy (mean over trials)."""
    s = summaries(runs)
    rows = []
    for name in [n for n in PTB_STRATEGIES if n in set(s.strategy)]:
        g = s[s.strategy == name]
        rows.append({"method": label(name), "search tokens/s": g.search_tokens_per_s.mean(),
                     "retraining tokens/s": g.retrain_tokens_per_s.mean(),
                     "search (s)": g.search_seconds.mean(), "retraining (s)": g.retrain_seconds.mean(),
                     "final perplexities (s)": g.eval_seconds.mean(),
                     "wall time per trial (s)": g.wall_time_s.mean(), "torch threads": int(g.torch_threads.max())})
    return pd.DataFrame(rows).set_index("method")


def total_wall_time(runs: list[Run]) -> float:
    return float(sum(r.info["wall_time_s"] for r in runs))


def hardware(runs: list[Run]) -> str:
    devices = sorted({r.info["device"] for r in runs})
    platforms = sorted({r.info["platform"] for r in runs})
    return f"{'; '.join(devices)} ({'; '.join(platforms)}), torch {runs[0].info['torch']}"


def runs_note(runs: list[Run]) -> str:
    """One line on all the trials behind the chapter (the provenance box shows the last)."""
    commits = sorted({r.info["git_commit"] for r in runs})
    stale = [r.folder.name for r in runs if r.is_stale()]
    return (f"{len(runs)} trials (`results/ptb/{runs[0].info['profile']}/`), computed at commit(s) "
            f"{', '.join(f'`{c}`' for c in commits)}; "
            + (f"**stale** (code changed since): {', '.join(stale)}." if stale else "all up to date with the code."))


def observations(runs: list[Run]) -> str:
    """What else the runs show, computed: the final entropy ranking (App. H's claim, here on
    PTB) and how close the best AdvantageNAS cell is to the paper's Fig. 6 (a)."""
    m = pd.concat([r.metrics for r in runs], ignore_index=True)
    last = m[m.phase == "search"].sort_values("epoch").groupby(["strategy", "seed"]).tail(1)
    entropy = last.groupby("strategy").entropy.mean().sort_values()
    listing = ", ".join(f"{label(n)} {v:.3f}" for n, v in entropy.items())
    text = f"Entropy of p_θ at the end of the search (nats, mean over trials; log 5 = 1.609 at the start): {listing}."
    s = summaries(runs)
    ours = s[s.strategy == "advantage"]
    if len(ours):
        best = ours.loc[ours.val_ppl.idxmin()]
        theirs = parse_arch(paper.FIG6["advantage"][0])
        same = sum(a == b for a, b in zip(parse_arch(best.arch), theirs))
        text += (f" The best AdvantageNAS cell here (seed {best.seed}) has the paper's Fig. 6 (a) operation on "
                 f"{same} of its {len(theirs)} edges.")
    return text
