"""What a page of the book must not show, found in an executed notebook (``page_defects``) or in
the book's configuration (``config_defects``).

A page shows, of every output, the one representation the book renders (myst-nb's priority
for HTML: HTML, then images, then Markdown, then plain text; an empty representation is
skipped, so that an empty ``Markdown("")`` shows its plain-text fallback). In what it shows:

* no raw Python object: ``<IPython.core.display.Markdown object>``, ``<... at 0x...>``, an error;
* no ``nan``, ``NaN``, ``inf`` or ``<NA>`` in a table cell or in a sentence (missing values
  are "–", report.shown);
* no number outside the range its table column allows: an accuracy or a percentile outside
  [0, 100], a negative parameter count, entropy or variance, a perplexity below 1, a cosine
  outside [-1, 1], a p-value outside [0, 1] (interval ends included: they are clipped to the
  range, report.ci);
* no figure caption that starts with a figure number ("Fig. 8: the paper's Fig. 2"): the
  book's own figures are not numbered (``config_defects``) and a caption names the paper's
  figure in words, at its end ("... (the paper's Fig. 2)");
* no nan or inf in a value glued into the prose.

Every finding is one line: where (cell index) and what.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

# myst-nb's render priority for the HTML builder (myst_nb.core.render.base_render_priority)
RENDER_PRIORITY = ("application/vnd.jupyter.widget-view+json", "application/javascript", "text/html",
                   "image/svg+xml", "image/png", "image/gif", "image/jpeg", "text/markdown", "text/latex",
                   "text/plain")
TEXT_TYPES = ("text/html", "text/markdown", "text/latex", "text/plain")

RAW_OBJECT = re.compile(r"<IPython\.core\.display|<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>|<[\w.]+ at 0x[0-9a-fA-F]+>")
MISSING_WORD = re.compile(r"(?<![\w\\])(nan|NaN|NAN|inf|Inf|INF|<NA>|NaT)(?!\w)")
MISSING_CELL = re.compile(r"^[-−+]?(nan|NaN|inf|Inf|infinity|None|<NA>|NaT)$")
NUMBER = re.compile(r"(?<![\w.])[-−+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
SPREAD = re.compile(r"±\s*[-−+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
NUMBERED_CAPTION = re.compile(r"^\s*(?:the paper's\s+)?fig(?:ure|\.)?\s*\d+\s*[:.]", re.IGNORECASE)

# (column header pattern, lowest, highest, what): the range a table column's numbers must keep.
# A column of ratios or differences (÷, /, change, difference, minus) is not a quantity itself,
# nor is one of times (a unit of time in its header: "final perplexities (s)" is how long the
# final perplexities took to compute).
RANGES = (
    (re.compile(r"accuracy|percentile", re.I), 0.0, 100.0, "an accuracy or percentile"),
    (re.compile(r"param", re.I), 0.0, math.inf, "a parameter count"),
    (re.compile(r"entropy", re.I), 0.0, math.inf, "an entropy"),
    (re.compile(r"variance|\bvar\b", re.I), 0.0, math.inf, "a variance"),
    (re.compile(r"\bppl\b|perplexit", re.I), 1.0, math.inf, "a perplexity"),
    (re.compile(r"\bcos", re.I), -1.0, 1.0, "a cosine"),
    (re.compile(r"\bp\b|p-value|probabilit", re.I), 0.0, 1.0, "a probability"),
)
NOT_A_QUANTITY = re.compile(r"÷|/|ratio|change|difference|minus|\bvs\b|quartile|per added|"
                            r"\((?:s|ms|min|h)\)|\bseconds\b", re.I)


class _Tables(HTMLParser):
    """The tables of an HTML fragment as grids of cell texts (colspan and rowspan expanded), with
    the header rows apart; and the fragment's text outside tags."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._row: list | None = None
        self._head = False
        self._code = 0  # inside <style> or <script>: not text of the page

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script"):
            self._code += 1
        elif tag == "table":
            self.tables.append({"head": [], "body": []})
        elif tag == "thead":
            self._head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            self._span = (int(attrs.get("colspan") or 1), int(attrs.get("rowspan") or 1))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._code = max(0, self._code - 1)
        elif tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(("".join(self._cell).strip(), *self._span, tag))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["head" if self._head else "body"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._code:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _grid(rows: list[list[tuple]]) -> list[list[str]]:
    """Rows of (text, colspan, rowspan, tag) as a rectangular grid of texts."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) -> text carried down by a rowspan
    for r, row in enumerate(rows):
        out: list[str] = []
        cells = iter(row)
        column = 0
        while True:
            if (r, column) in pending:
                out.append(pending.pop((r, column)))
                column += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text, colspan, rowspan = cell[:3]
            for c in range(colspan):
                out.append(text)
                for below in range(1, rowspan):
                    pending[(r + below, column + c)] = text
            column += colspan
        grid.append(out)
    return grid


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def table_defects(head: list[list[str]], body: list[list[str]]) -> list[str]:
    """A table's missing-value cells and the numbers outside their column's range; the
    column's header is every header row's text in that column."""
    found = []
    width = max((len(row) for row in head + body), default=0)
    headers = [" ".join(dict.fromkeys(row[c] for row in head if c < len(row) and row[c])) for c in range(width)]
    for row in body:
        for c, text in enumerate(row):
            if MISSING_CELL.match(text.strip()) or MISSING_WORD.search(text):
                found.append(f"table cell {text!r} (column {headers[c] if c < len(headers) else c!r}): "
                             "a missing value shown raw (show –)")
                continue
            header = headers[c] if c < len(headers) else ""
            if c < len(headers) and not NOT_A_QUANTITY.search(header):
                for pattern, low, high, what in RANGES:
                    if pattern.search(header):
                        values = NUMBER.findall(SPREAD.sub("", text))  # "mean ± sd": the sd is no value
                        bad = [v for v in map(_number, values) if not low <= v <= high]
                        if bad:
                            found.append(f"table cell {text!r} in column {header!r}: {what} outside "
                                         f"[{low:g}, {high:g}]")
                        break
    return found


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _markdown_tables(text: str) -> list[tuple[list[list[str]], list[list[str]]]]:
    """The pipe tables of a Markdown text as (header rows, body rows)."""
    tables, lines = [], text.splitlines()
    i = 0
    while i < len(lines) - 1:
        if lines[i].lstrip().startswith("|") and re.match(r"^\s*\|?[\s:|-]+\|[\s:|-]*$", lines[i + 1]) \
                and "-" in lines[i + 1]:
            head, body = [_cells(lines[i])], []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                body.append(_cells(lines[i]))
                i += 1
            tables.append((head, body))
        else:
            i += 1
    return tables


def shown_output(output: dict) -> tuple[str, str] | None:
    """(mime type, text) of what the book renders of one output; None for an image, a widget
    or nothing. A stream is its text, a value glued into the prose its text ("glue"); an error
    is reported as such."""
    kind = output.get("output_type")
    glued = output.get("metadata", {}).get("scrapbook")
    if glued:  # a value glued for the prose ({glue:text}`name`): the page shows its text
        prefix = glued.get("mime_prefix", "")
        text = output.get("data", {}).get(f"{prefix}text/plain")
        return ("glue", f"{glued.get('name')} = {text}") if text is not None else None
    if kind == "stream":
        return ("stderr" if output.get("name") == "stderr" else "stream", output.get("text", ""))
    if kind == "error":
        return ("error", f"{output.get('ename')}: {output.get('evalue')}")
    data = output.get("data", {})
    for mime in RENDER_PRIORITY:
        value = data.get(mime)
        if value is None:
            continue
        value = "".join(value) if isinstance(value, list) else value
        if mime in TEXT_TYPES and not str(value).strip():
            continue  # rendered as nothing: myst-nb falls back to the next representation
        return (mime, str(value)) if mime in TEXT_TYPES else None
    return None


def text_defects(mime: str, text: str) -> list[str]:
    """The defects of one rendered output (``shown_output``)."""
    if mime == "error":
        return [f"an error: {text}"]
    if mime == "stderr":
        return []  # the book removes stderr (nb_output_stderr: remove)
    found = []
    plain = text
    tables: list[tuple[list[list[str]], list[list[str]]]] = []
    if mime == "text/html":
        parser = _Tables()
        parser.feed(text)
        plain = " ".join(parser.text)
        tables = [(_grid(t["head"]), _grid(t["body"])) for t in parser.tables]
    elif mime == "text/markdown":
        tables = _markdown_tables(text)
    if mime in ("text/plain", "stream", "glue") and RAW_OBJECT.search(text):
        found.append(f"a raw object shown as text: {RAW_OBJECT.search(text).group(0)!r}")
    for head, body in tables:
        found += table_defects(head, body)
    if not tables:
        for match in MISSING_WORD.finditer(plain):
            context = plain[max(0, match.start() - 40):match.end() + 20].replace("\n", " ")
            found.append(f"{match.group(0)!r} in the text: ...{context}...")
    return found


def caption_defects(caption: str) -> list[str]:
    if NUMBERED_CAPTION.match(caption):
        return [f"caption {caption[:60]!r} starts with a figure number: name the paper's figure at its end, "
                "e.g. '... (the paper's Fig. 2)'"]
    return []


def page_defects(notebook) -> list[str]:
    """Every defect of an executed notebook (a path or a ``nbformat`` notebook), one line each,
    "cell N: ..."."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
    found = []
    for index, cell in enumerate(nb.cells):
        if "remove-cell" in cell.metadata.get("tags", []):
            continue
        figure = cell.metadata.get("mystnb", {}).get("figure", {})
        for line in caption_defects(figure.get("caption", "")):
            found.append(f"cell {index}: {line}")
        for match in re.finditer(r"```\{figure\}[^\n]*\n(?::[^\n]*\n)*\s*\n?([^\n]+)", cell.source):
            found += [f"cell {index}: {line}" for line in caption_defects(match.group(1))]
        if cell.cell_type != "code" or "remove-output" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            shown = shown_output(output)
            if shown is not None:
                found += [f"cell {index}: {line}" for line in text_defects(*shown)]
    return found


def config_defects(config: Path) -> list[str]:
    """The book's ``_config.yml``: its own figures must not be numbered, or a page's "Fig. 1"
    would clash with the paper's Fig. 1: ``numfig: false`` under ``sphinx: config:``, and
    Jupyter Book's LaTeX extension off (``latex: use_jupyterbook_latex: false``), since it
    turns numbering back on for every builder."""
    import yaml

    settings = yaml.safe_load(Path(config).read_text()) or {}
    found = []
    if ((settings.get("sphinx") or {}).get("config") or {}).get("numfig", True) is not False:
        found.append(f"{config}: the book numbers its figures (set sphinx: config: numfig: false)")
    if (settings.get("latex") or {}).get("use_jupyterbook_latex", True) is not False:
        found.append(f"{config}: Jupyter Book's LaTeX extension numbers the figures (set latex: "
                     "use_jupyterbook_latex: false)")
    return found
