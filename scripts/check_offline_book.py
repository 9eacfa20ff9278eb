"""Check that the built book reads offline: no page loads a remote script, stylesheet or font,
and a chapter's mathematics renders in a browser with the network off.

1. Every page and shipped stylesheet of the built HTML is scanned for remote resources
   (``advnas/offline_book.py``).
2. One chapter (default: the theory chapter, the one with the most mathematics) is opened in
   headless Chromium from a ``file://`` URL with every network request refused (a proxy on
   a closed port, host names resolved to nothing); after MathJax has run, every maths element
   of the page (``span.math``/``div.math``, as Sphinx writes them) must hold MathJax's output
   (``mjx-container``), with no MathJax error (``mjx-merror``) and no TeX delimiter left in the
   text; the page loads MathJax once (and no page twice). ``--screenshot`` also saves what the
   page looks like.

Usage:
    python scripts/check_offline_book.py [HTML_ROOT] [--chapter chapters/01_theory.html] [--screenshot x.png]

HTML_ROOT defaults to the smoke book, build/book-smoke/_build/html. Exit status: 0 it reads
offline, 1 it does not, 2 no built book or no Chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from advnas.offline_book import offline_summary, remote_references
from advnas.paths import build_dir

DEFAULT_ROOT = build_dir() / "book-smoke" / "_build" / "html"
DEFAULT_CHAPTER = "chapters/01_theory.html"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Chromium with no network: requests go to a proxy on a closed port, names resolve to nothing
OFFLINE_FLAGS = ("--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                 "--host-resolver-rules=MAP * ~NOTFOUND")
TEX_LEFT = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
SKIPPED_TEXT = frozenset({"script", "style", "pre", "code", "textarea", "noscript", "template"})


def find_chromium() -> str | None:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


@dataclass
class MathCount:
    """What a page holds: maths elements, those holding MathJax output, errors, TeX left in text,
    and how many scripts load MathJax."""

    elements: int = 0
    rendered: int = 0
    containers: int = 0
    errors: int = 0
    mathjax_scripts: int = 0
    tex_left: list[str] = field(default_factory=list)


class _MathScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.count = MathCount()
        self.stack: list[list] = []  # [tag, is maths element, has mjx-container]
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag == "script" and "mathjax" in (values.get("src") or "").lower():
            self.count.mathjax_scripts += 1
        if tag == "mjx-container":
            self.count.containers += 1
            for entry in self.stack:
                if entry[1]:
                    entry[2] = True
        if tag == "mjx-merror":
            self.count.errors += 1
        if tag in VOID:
            return
        is_math = tag in ("span", "div") and "math" in classes
        self.count.elements += is_math
        self.skip += tag in SKIPPED_TEXT or tag.startswith("mjx-")
        self.stack.append([tag, is_math, False])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:  # close up to the matching tag (HTML allows omitted end tags)
            name, is_math, rendered = self.stack.pop()
            self.skip -= name in SKIPPED_TEXT or name.startswith("mjx-")
            self.count.rendered += is_math and rendered
            if name == tag:
                break

    def handle_data(self, data):
        if not self.skip and TEX_LEFT.search(data):
            self.count.tex_left.append(" ".join(data.split())[:80])


def count_math(html: str) -> MathCount:
    scanner = _MathScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.count


class BrowserFailed(RuntimeError):
    """Chromium exited with an error, printed nothing, or ran past its time limit."""


def _run_browser(command: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """``command`` in a process group of its own: on timeout the browser and every helper
    process it started are ended, and BrowserFailed says so in one line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise BrowserFailed(f"{Path(command[0]).name} ran past {timeout_s:.0f} s (wall clock; the page's scripts get "
                            "virtual time, so a busy machine is slow, not wrong): raise --timeout-s") from None
    if process.returncode != 0:
        raise BrowserFailed(f"{Path(command[0]).name} exited with {process.returncode}: "
                            f"{' '.join(stderr.split())[-300:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def render_offline(page: Path, chromium: str, budget_ms: int = 15000, screenshot: Path | None = None,
                   timeout_s: float = 600) -> str:
    """The page's DOM after scripts ran for ``budget_ms`` of virtual time, in headless Chromium
    with the network off; ``screenshot``: also save a 1200x2000 picture of the page."""
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="advnas-chromium-") as profile:
        base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", *OFFLINE_FLAGS,
                f"--virtual-time-budget={budget_ms}"]
        dom = _run_browser([*base, "--dump-dom", url], timeout_s).stdout
        if "<html" not in dom.lower():
            raise BrowserFailed(f"{Path(chromium).name} printed no page for {url}")
        if screenshot is not None:
            _run_browser([*base, f"--screenshot={Path(screenshot).resolve()}", "--window-size=1200,2000", url],
                         timeout_s)
    return dom


def check_math_renders(page: Path, chromium: str, budget_ms: int = 15000,
                       screenshot: Path | None = None, timeout_s: float = 600) -> list[str]:
    """Problems with the maths of ``page`` rendered offline (empty: every maths element rendered)."""
    before = count_math(page.read_text(encoding="utf-8"))
    expected = before.elements
    try:
        after = count_math(render_offline(page, chromium, budget_ms, screenshot, timeout_s))
    except BrowserFailed as error:
        return [f"{page.name}: {error}"]
    problems = []
    if expected == 0:
        problems.append(f"{page.name} has no maths element (span.math, div.math) to check")
    if before.mathjax_scripts != 1:
        problems.append(f"{page.name} loads MathJax {before.mathjax_scripts} times; once is right")
    if after.rendered < expected:
        problems.append(f"{page.name}: {after.rendered} of {expected} maths elements rendered by MathJax "
                        f"({after.containers} mjx-container in all)")
    if after.errors:
        problems.append(f"{page.name}: {after.errors} MathJax error(s) (mjx-merror)")
    if after.tex_left:
        problems.append(f"{page.name}: TeX left unrendered in {len(after.tex_left)} place(s), first: "
                        f"{after.tex_left[0]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_root", nargs="?", default=str(DEFAULT_ROOT),
                        help="the built book's HTML folder (default: the smoke book)")
    parser.add_argument("--chapter", default=DEFAULT_CHAPTER, help=f"the page to render (default {DEFAULT_CHAPTER})")
    parser.add_argument("--chromium", default=None, help="the browser (default: chromium on PATH)")
    parser.add_argument("--budget-ms", type=int, default=15000, help="virtual time for scripts (default 15000)")
    parser.add_argument("--screenshot", default=None, help="also save a picture of the rendered page here")
    parser.add_argument("--timeout-s", type=float, default=600,
                        help="wall-clock limit of each browser run in seconds (default 600)")
    args = parser.parse_args(argv)
    root = Path(args.html_root)
    if not (root / "index.html").is_file():
        print(f"error: html_root must be a built book's HTML folder (holding index.html); got {root}; "
              "build it with: python -m advnas book --profile smoke", file=sys.stderr)
        return 2
    page = root / args.chapter
    if not page.is_file():
        print(f"error: --chapter {args.chapter} is not a page of {root}", file=sys.stderr)
        return 2
    chromium = args.chromium or find_chromium()
    if chromium is None or not os.access(chromium, os.X_OK) and shutil.which(chromium) is None:
        print(f"error: no Chromium found (tried {', '.join(BROWSERS)}); install it (Debian: apt-get install "
              "chromium) or pass --chromium", file=sys.stderr)
        return 2
    if args.budget_ms < 1000:
        print(f"error: --budget-ms must be at least 1000; got {args.budget_ms}", file=sys.stderr)
        return 2
    if not args.timeout_s > 0:
        print(f"error: --timeout-s must be a number of seconds > 0; got {args.timeout_s}", file=sys.stderr)
        return 2
    remote = remote_references(root)
    problems = [offline_summary(remote)] if remote else []
    for other in sorted(root.rglob("*.html")):
        if (loads := count_math(other.read_text(encoding="utf-8", errors="replace")).mathjax_scripts) > 1:
            problems.append(f"{other.relative_to(root)} loads MathJax {loads} times")
    problems += check_math_renders(page, chromium, args.budget_ms, Path(args.screenshot) if args.screenshot else None,
                                   args.timeout_s)
    for line in problems:
        print(f"FAIL {line}")
    if not problems:
        expected = count_math(page.read_text(encoding="utf-8")).elements
        print(f"ok: no remote resource in {root}; the {expected} maths elements of {args.chapter} render "
              "with the network off")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
