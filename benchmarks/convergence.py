"""Which `cpu` settings make the searches converge: AdvantageNAS under candidate settings.

Each candidate overrides some settings of the `cpu` profile of the CIFAR-10 chapter
(theta's learning rate, the number of search epochs) or of the PTB chapter. Every
(candidate, seed) is an ordinary stored search (results/nb201/cpu/..., results/ptb/cpu/...),
so the chosen candidate's runs are reused by the chapters. The summary holds, per candidate,
the per-epoch entropy of mu(theta), the final entropy, whether the argmax stayed the same over
the last quarter of the search, the theta steps and the wall time of each seed, beside the
targets of advnas/convergence.py.

    python benchmarks/convergence.py [--profile smoke|cpu] [--recompute] [--workers N]
"""

from __future__ import annotations

import _stored

import argparse
import json
import math
import sys

import pandas as pd

from advnas import convergence, jobs, strategies
from advnas.store import ResultsStore

# Every candidate names both levers explicitly (the profile's own values have changed since:
# an empty override would now be the chosen candidate, not the profile before it).
_BEFORE_NB201 = {"theta_lr": 3e-3, "theta_weight_decay": 3e-3}  # the earlier cpu profile (paper's decay)
_BEFORE_PTB = {"theta_lr": 0.03}  # the earlier cpu profile
CANDIDATES = {  # chapter -> name -> overrides of that chapter's cpu profile
    "nb201": {
        "cpu profile before (theta lr 0.003)": _BEFORE_NB201,
        "theta lr 0.03": {**_BEFORE_NB201, "theta_lr": 0.03},
        "theta lr 0.1": {**_BEFORE_NB201, "theta_lr": 0.1},
        # theta's gradient sums over the cells that share the architecture: 3 here, 15 in the
        # paper, so the weight decay that balances it is scaled by 3/15 (the chosen cpu profile)
        "theta lr 0.1, theta weight decay 3/15 of the paper's": {"theta_lr": 0.1, "theta_weight_decay": 6e-4},
        "theta lr 0.03, 16 search epochs": {**_BEFORE_NB201, "theta_lr": 0.03, "epochs": 24},
    },
    "ptb": {
        "cpu profile before (theta lr 0.03)": _BEFORE_PTB,
        "theta lr 0.1": {"theta_lr": 0.1},  # the chosen cpu profile
        "theta lr 0.3": {"theta_lr": 0.3},
    },
}
SETTINGS = {
    "smoke": {"profile": "smoke", "seeds": [0], "candidates": {c: dict(list(v.items())[:2])
                                                                 for c, v in CANDIDATES.items()}},
    "cpu": {"profile": "cpu", "seeds": [0, 1], "candidates": CANDIDATES},
}
WORKERS = {"workers": None}  # set from the command line; None: in this process


def _jobs(s: dict) -> list[tuple[str, str, int, jobs.Job]]:
    return [(chapter, name, seed, jobs.Job(chapter, s["profile"], strategies.PROPOSED, seed,
                                           overrides=tuple(sorted({**o, "seeds": (seed,)}.items(),
                                                                  key=lambda kv: kv[0]))))
            for chapter, candidates in s["candidates"].items() for name, o in candidates.items()
            for seed in s["seeds"]]


def measure(profile: str) -> tuple[pd.DataFrame, dict]:
    s = SETTINGS[profile]
    todo = _jobs(s)
    unique = list({job: None for *_, job in todo})
    if WORKERS["workers"]:
        results = jobs.run_on_cluster(unique, WORKERS["workers"])
    else:
        results = jobs.run_here(unique)
    folders = {job: r["folders"][0] for job, r in zip(unique, results)}
    rows, summary = [], {"targets": {"cifar_entropy": convergence.CIFAR_ENTROPY_TARGET,
                                     "cifar_stable_share": convergence.CIFAR_STABLE_SHARE_TARGET,
                                     "ptb_entropy_drop": convergence.PTB_ENTROPY_DROP_TARGET},
                         "candidates": {}}
    store = ResultsStore()
    for chapter, name, seed, job in todo:
        run = next(r for r in store.finished_runs(chapter) if str(r.folder) == folders[job])
        metrics = run.metrics
        search = convergence.search_rows(metrics)
        uniform = math.log(len(run.summary["theta"][0]))
        for row in search.itertuples():
            rows.append({"chapter": chapter, "candidate": name, "seed": seed, "search_epoch": row.search_epoch,
                         "entropy": row.entropy, "argmax_arch": row.argmax_arch})
        entry = summary["candidates"].setdefault(f"{chapter}: {name}", {
            "chapter": chapter, "overrides": dict(job.overrides), "uniform_entropy": uniform, "seeds": {}})
        entry["overrides"].pop("seeds", None)
        entry["seeds"][str(seed)] = {
            "final_entropy": convergence.final_entropy(metrics),
            "entropy_drop": uniform - convergence.final_entropy(metrics),
            "argmax_stable_last_quarter": convergence.argmax_stable(metrics),
            "argmax_changes": convergence.argmax_changes(metrics),
            "theta_steps": run.summary["theta_steps"],
            "search_seconds": float(search.epoch_seconds.sum()),
            "run_wall_time_s": run.info["wall_time_s"],
            "entropy_curve": search.entropy.tolist(),
            "folder": str(run.folder.relative_to(store.root)),
        }
    return pd.DataFrame(rows), summary


def golden() -> dict:
    """Behaviour fingerprint (advnas/behaviour.py): the candidates and the targets."""
    return {"settings": SETTINGS, "targets": [convergence.CIFAR_ENTROPY_TARGET,
                                              convergence.CIFAR_STABLE_SHARE_TARGET,
                                              convergence.PTB_ENTROPY_DROP_TARGET]}


def run(profile: str = "cpu", recompute: bool = False):
    return _stored.run("convergence", profile, SETTINGS, measure, "convergence-benchmark", recompute)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=list(SETTINGS), help="default: cpu")
    parser.add_argument("--recompute", action="store_true", help="measure again (the searches are reused)")
    parser.add_argument("--workers", type=int, default=None, help="searches on a Dask LocalCluster of N processes")
    args = parser.parse_args()
    WORKERS["workers"] = args.workers
    result = run(args.profile, args.recompute)
    print(json.dumps({k: {s: {m: v[m] for m in ("final_entropy", "argmax_stable_last_quarter", "theta_steps",
                                                 "search_seconds")} for s, v in c["seeds"].items()}
                      for k, c in result.summary["candidates"].items()}, indent=1))
    print(_stored.what_was_done(result), file=sys.stderr)
