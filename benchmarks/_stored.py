"""What every benchmark script shares: its command line (--profile, --recompute) and storing
its measurement through the results store (results/benchmarks/<profile>/<name>-*/)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Callable

import pandas as pd

from advnas.device import default_device, synchronize
from advnas.store import ResultsStore, Run


def run(name: str, profile: str, settings: dict, measure: Callable[[str], tuple[pd.DataFrame, dict]],
        behaviour_of: str, recompute: bool = False) -> Run:
    return ResultsStore().run("benchmarks", profile, name, {"settings": settings[profile]},
                              lambda ctx: measure(profile), behaviour_of, default_device(), recompute=recompute)


def main(doc: str, name: str, settings: dict, measure, behaviour_of: str) -> None:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", choices=list(settings), help="default: cpu")
    parser.add_argument("--recompute", action="store_true", help="measure again, replacing the stored measurement")
    args = parser.parse_args()
    result = run(name, args.profile, settings, measure, behaviour_of, args.recompute)
    print(json.dumps(result.summary, indent=2))
    print(what_was_done(result))


def what_was_done(result: Run) -> str:
    """Measured now, or a stored measurement read back (a rerun measures nothing, and says so)."""
    if result.computed:
        return f"[advnas] measured and stored in {result.folder}"
    return f"[advnas] reused from {result.folder}, nothing measured (--recompute to measure it afresh)"


def timed(fn: Callable[[], object], n: int, device) -> float:
    """Seconds per call of ``fn``, over ``n`` calls (queued GPU work included)."""
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    synchronize(device)
    return (time.perf_counter() - t0) / n
