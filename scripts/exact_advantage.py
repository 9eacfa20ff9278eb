"""Compute (or read back) chapter 7's exact moments of Eq. (6) and Eq. (7), resumable.

    python scripts/exact_advantage.py --profile cpu                  # every (seed, point) of the gradient study
    python scripts/exact_advantage.py --profile cpu --seeds 0 --points end   # some cases only

Needs the gradient study's stored runs (their snapshots). One stored run per (seed, point):
cases already stored are read back, so a second worker (or a later sitting) takes the rest.
"""

from __future__ import annotations

import argparse

from advnas.gradients import advantage_exact
from advnas.gradients.config import POINTS
from advnas.runlist import notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "paper"))
    parser.add_argument("--seeds", type=int, nargs="+", help="seeds of the gradient study (default: all)")
    parser.add_argument("--points", nargs="+", choices=POINTS, help="points (default: the profile's)")
    args = parser.parse_args()
    cfg = notebook("gradients").resolve(args.profile)
    for run in advantage_exact.run(cfg, args.profile, seeds=args.seeds, points=args.points):
        print(f"[advnas] {run.folder}: Theorem 4.2 max error {run.summary['row']['theorem_4_2_max_error']:.1e}",
              flush=True)


if __name__ == "__main__":
    main()
