"""Compute (or read back) the tuning searches of advnas/nb201/tuning.py, resumable.

    python scripts/tune_theta_lr.py --workers 2            # every candidate on the tuning seeds
    python scripts/tune_theta_lr.py --seeds 100,101        # more tuning seeds

Each search is a stored run of the CIFAR-10 experiment; a finished one is read back, an
interrupted one resumes from its last epoch. Chapter 3 tables the outcome.
"""

from __future__ import annotations

import argparse

from advnas import jobs
from advnas.nb201 import tuning


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "paper"))
    parser.add_argument("--seeds", default=",".join(map(str, tuning.TUNING_SEEDS)),
                        help="comma-separated tuning seeds (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=None, help="Dask LocalCluster processes (default: here)")
    args = parser.parse_args()
    todo = jobs.tuning_jobs(args.profile, [int(s) for s in args.seeds.split(",")])
    if args.workers:
        jobs.run_on_cluster(todo, workers=args.workers)
    else:
        jobs.run_here(todo)


if __name__ == "__main__":
    main()
