"""Rewrite each notebook's parameters cell from its config (after adding or changing a setting).

    python scripts/update_parameters_cells.py          # every notebook of the run list
    python scripts/update_parameters_cells.py --check  # exit 1 naming the notebooks out of date

The cell is advnas.notebook.parameters_source(name): one annotated variable per config field,
with the type and help that papermill's --help-notebook shows (tests/test_notebooks.py checks it).
"""

from __future__ import annotations

import argparse
import sys

import nbformat

from advnas.notebook import parameters_source
from advnas.runlist import RUNLIST, notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks whose cell is out of date")
    args = parser.parse_args()
    stale = []
    for name in RUNLIST:
        path = notebook(name).source
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        wanted = parameters_source(name)
        if cell.source != wanted:
            stale.append(str(path))
            if not args.check:
                cell.source = wanted
                nbformat.write(nb, path)
    if stale:
        print(("out of date: " if args.check else "rewritten: ") + ", ".join(stale))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
