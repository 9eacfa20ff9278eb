"""Rebuild the NAS-Bench-201 accuracy table from an official benchmark file and check it
against the shipped table.

For every cell the benchmark file holds, in index order: ``index, arch, cifar10, cifar100,
imagenet16_120``, the test accuracy (%) after the 200-epoch schedule averaged over the
trained seeds (``get_more_info(index, dataset, <200 epochs>, is_random=False)
["test-accuracy"]``), written with four decimals as the shipped CSV. Rows that differ from the
reference table by more than ``--tolerance`` percentage points (or in their cell string, or
that one table lacks) are listed; the exit status is 1 when there is any. Usage:

    python scripts/export_nb201_table.py NAS-Bench-201-v1_1-096897.pth --out nb201.csv
    python scripts/export_nb201_table.py NATS-tss-v1_0-3ffb9-simple --out nb201.csv   # needs nats_bench

Exit status: 0 the tables agree, 1 they differ, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from advnas.data.nb201_benchmark import load_api
from advnas.data.nb201_export import compare_tables, export_table, write_table
from advnas.data.nb201_table import COLUMNS, load_nb201_table

SHOWN = 20  # differences printed in full


def _reference(path: str | None) -> pd.DataFrame:
    if path is None:
        return load_nb201_table()
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"--table cannot be read: {error}") from None
    if tuple(table.columns) != COLUMNS:
        raise ValueError(f"--table must have the columns {', '.join(COLUMNS)}; got {', '.join(table.columns)}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", help="NAS-Bench-201 .pth file (nas-bench-201) or NATS-Bench NATS-tss-* file "
                        "or folder (nats_bench)")
    parser.add_argument("--out", default=None, help="write the rebuilt CSV here")
    parser.add_argument("--table", default=None, help="the reference CSV (default: the shipped table)")
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="largest accepted difference in percentage points (default 0.001)")
    parser.add_argument("--partial", action="store_true", help="the benchmark file holds some cells only: "
                        "the reference's other cells are not differences")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        reference = _reference(args.table)
        if not args.tolerance >= 0:
            raise ValueError(f"--tolerance must be a number >= 0; got {args.tolerance}")
        benchmark = load_api(args.benchmark)
    except ValueError as error:
        text = str(error)
        print(f"error: {'benchmark' + text[3:] if text.startswith('api ') else text}", file=sys.stderr)
        return 2
    exported = export_table(benchmark, progress=not args.quiet)
    if args.out:
        print(f"wrote {len(exported)} rows to {write_table(exported, args.out)}")
    problems = compare_tables(exported, reference, args.tolerance, args.partial)
    for line in problems[:SHOWN]:
        print(line)
    if len(problems) > SHOWN:
        print(f"... and {len(problems) - SHOWN} more")
    compared = len(exported) if args.partial else max(len(exported), len(reference))
    verdict = "agree" if not problems else f"differ in {len(problems)} place(s)"
    print(f"{compared} cells compared with tolerance {args.tolerance}: the tables {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
