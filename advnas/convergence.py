"""Whether a search converged: how far mu(theta) concentrated and whether its argmax settled.

Read from a search's per-epoch log (columns ``phase``, ``entropy``, ``argmax_arch``; the
search rows only). The targets of the `cpu` profiles are stated here once; the chapters and
the convergence benchmark (benchmarks/convergence.py) print the measured values beside them.
"""

from __future__ import annotations

import math

import pandas as pd

#: CIFAR-10: AdvantageNAS's final mean entropy per edge at most this (nats; uniform over 4
#: operations is ln 4 = 1.386), and its argmax unchanged over the last quarter of the search
#: in at least this share of its trials.
CIFAR_ENTROPY_TARGET = 1.25
CIFAR_STABLE_SHARE_TARGET = 2 / 3
#: PTB: AdvantageNAS's final mean entropy at least this far below the uniform maximum (nats).
PTB_ENTROPY_DROP_TARGET = 0.15
LAST_FRACTION = 0.25


def search_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """The rows of the search epochs (after warm-up, before any retraining)."""
    return metrics[metrics.phase == "search"]


def final_entropy(metrics: pd.DataFrame) -> float:
    return float(search_rows(metrics).entropy.iloc[-1])


def argmax_stable(metrics: pd.DataFrame, fraction: float = LAST_FRACTION) -> bool:
    """True when the argmax architecture did not change over the last ``fraction`` of the
    search epochs (at least the last two epochs are compared)."""
    archs = search_rows(metrics).argmax_arch.tolist()
    last = max(2, math.ceil(fraction * len(archs)))
    return len(set(archs[-last:])) == 1


def argmax_changes(metrics: pd.DataFrame) -> int:
    """How many times the argmax architecture changed from one search epoch to the next."""
    archs = search_rows(metrics).argmax_arch.tolist()
    return sum(a != b for a, b in zip(archs, archs[1:]))


# The candidate settings measured by benchmarks/convergence.py --------------------------------

def _commit(folder: str | None) -> str:
    """The commit that computed a stored run (its config.json), "–" when it is not stored."""
    import json

    from .paths import results_dir

    path = results_dir() / folder / "config.json" if folder else None
    if path is None or not path.is_file():
        return "–"
    return json.loads(path.read_text()).get("git_commit", "–")


def candidates_table(run, chapter: str) -> pd.DataFrame:
    """Per candidate setting of ``chapter`` ("nb201" or "ptb"): its overrides, theta steps, the
    final entropy of each seed, how many seeds kept their argmax over the last quarter, and
    the median search time per seed, beside the targets."""
    rows = []
    for name, c in run.summary["candidates"].items():
        if c["chapter"] != chapter:
            continue
        seeds = c["seeds"].values()
        finals = [s["final_entropy"] for s in seeds]
        rows.append({
            "candidate": name.split(": ", 1)[1],
            "settings changed from the cpu profile": ", ".join(f"{k} {v}" for k, v in c["overrides"].items()) or "–",
            "θ steps": max(s["theta_steps"] for s in seeds),
            "final entropy per seed": ", ".join(f"{f:.3f}" for f in finals),
            "drop below uniform (mean)": c["uniform_entropy"] - sum(finals) / len(finals),
            "argmax stable over the last quarter": f"{sum(s['argmax_stable_last_quarter'] for s in seeds)} of "
                                                   f"{len(finals)}",
            "search time per seed (s, median)": float(pd.Series([s["search_seconds"] for s in seeds]).median()),
            "commit (+dirty: computed from uncommitted code)": ", ".join(sorted({_commit(s.get("folder")) for s in seeds})),
        })
    return pd.DataFrame(rows).set_index("candidate").round(3)


def candidates_figure(run, chapter: str):
    """The entropy of mu(theta) per search epoch for every candidate (one line per seed)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    uniform = None
    for i, (name, c) in enumerate((n, c) for n, c in run.summary["candidates"].items() if c["chapter"] == chapter):
        uniform = c["uniform_entropy"]
        for j, s in enumerate(c["seeds"].values()):
            ax.plot(range(1, len(s["entropy_curve"]) + 1), s["entropy_curve"], color=f"C{i}",
                    label=name.split(": ", 1)[1] if j == 0 else None)
    if uniform is not None:
        ax.axhline(uniform, color="gray", ls=":", lw=1)
    if chapter == "nb201":
        ax.axhline(CIFAR_ENTROPY_TARGET, color="black", ls="--", lw=1, label="target")
    elif uniform is not None:
        ax.axhline(uniform - PTB_ENTROPY_DROP_TARGET, color="black", ls="--", lw=1, label="target")
    ax.set_xlabel("search epoch")
    ax.set_ylabel("mean entropy of μ(θ) (nats)")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
