"""Compute (or read back) chapter 7's exact moments of Eq. (6) and Eq. (7), resumable.

    python scripts/exact_advantage.py --profile cpu     # every point of the gradient study's runs

Needs the gradient study's stored runs (their snapshots); checkpointed after every point.
"""

from __future__ import annotations

import argparse

from advnas.gradients import advantage_exact
from advnas.runlist import notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "paper"))
    args = parser.parse_args()
    run = advantage_exact.run(notebook("gradients").resolve(args.profile), args.profile)
    print(f"[advnas] {run.folder}: Theorem 4.2 max error {run.summary['theorem_4_2_max_error']:.1e}")


if __name__ == "__main__":
    main()
