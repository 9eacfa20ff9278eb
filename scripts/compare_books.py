"""Compare what two built books print: every table (Markdown and HTML) and every output of
every executed chapter, and the generated pages, as text.

Two books built from the same stored results by two commits (``python -m advnas book``, each
in its own checkout) must print the same tables and the same prose; this says where they
differ. What differs from one build to the next whatever the code is left out: the ids pandas
gives a styled table, object addresses, and the build-time column of the timings page.

Usage:
    python scripts/compare_books.py BOOK_A BOOK_B      # e.g. build/book-cpu of two checkouts

Exit status: 0 the same, 1 they differ (the differing lines are printed), 2 a folder is not a
built book.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path

VOLATILE = [(re.compile(r"T_[0-9a-f]{5}"), "T_X"),  # pandas Styler ids
            (re.compile(r" at 0x[0-9a-f]+>"), " at 0x…>"),  # object addresses
            (re.compile(r"^(\| [a-z_0-9]+ \| [a-z]+ \| )[0-9]+ s ", re.M), r"\1<build time> ")]  # timings page


def printed(book: Path) -> list[str]:
    """The book's printed text, a line each: executed chapters' markdown cells and outputs, then
    the generated pages."""
    texts = []
    for notebook in sorted((book / "chapters").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(notebook.read_text())["cells"]):
            where = f"{notebook.name} cell {i}"
            if cell["cell_type"] == "markdown":
                texts.append((where, "".join(cell["source"])))
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                texts += [(where, "".join(data[kind])) for kind in ("text/markdown", "text/html", "text/plain")
                          if kind in data]
                if output.get("output_type") == "stream":
                    texts.append((where, "".join(output["text"])))
    texts += [(page.name, page.read_text()) for page in sorted((book / "_generated").glob("*.md"))]
    lines = []
    for where, text in texts:
        for pattern, replacement in VOLATILE:
            text = pattern.sub(replacement, text)
        lines += [f"{where}: {line}" for line in text.splitlines()]
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[-2], file=sys.stderr)
        return 2
    books = [Path(a) for a in argv]
    for book in books:
        if not any((book / "chapters").glob("*.ipynb")):  # e.g. its _build/html, which holds chapters/*.html
            print(f"{book} is not a built book (no executed chapters/*.ipynb)", file=sys.stderr)
            return 2
    a, b = (printed(book) for book in books)
    diff = list(difflib.unified_diff(a, b, str(books[0]), str(books[1]), n=0, lineterm=""))
    tables = sum(line.split(": ", 1)[1].count("<table") for line in a if ": " in line)
    rows = sum(line.split(": ", 1)[1].startswith("|") for line in a if ": " in line)
    if diff:
        print("\n".join(diff))
        return 1
    print(f"the same: {len(a)} printed lines, {rows} Markdown table rows and {tables} HTML tables among them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
