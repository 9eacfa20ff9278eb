"""Whether the built book reads offline: no page loads a script, stylesheet, font or other
embedded resource from the network.

A page is scanned for what the browser fetches on its own: the ``src`` of any element
(scripts, images, frames, media), the ``href`` of a ``<link>`` that loads something
(``rel`` stylesheet, preload, modulepreload, prefetch, icon, manifest) and ``url(...)`` /
``@import`` in inline ``<style>`` blocks and ``style`` attributes. The CSS files shipped
under ``_static`` are scanned for ``url(...)`` and ``@import`` (web fonts come that way).
Hyperlinks (``<a href>``) are followed only when the reader clicks, and are allowed.

A reference is remote when it names a network scheme (``http:``, ``https:``, ``ftp:``,
``ws:``, ``wss:``) or is protocol-relative (``//host/...``); ``data:`` URIs and relative
paths are local.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# <link rel=...> values whose href the browser fetches without a click
LOADING_RELS = frozenset({"stylesheet", "preload", "modulepreload", "prefetch", "icon", "apple-touch-icon",
                          "mask-icon", "manifest"})
_REMOTE = re.compile(r"^\s*(?:(?:https?|ftp|wss?):|//)", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*(['"]?)(.*?)\1\s*\)|(['"])(.*?)\3)[^;]*;?""", re.IGNORECASE)


@dataclass(frozen=True)
class RemoteReference:
    """One remote resource: the file that asks for it, what asks (``<script src>``, ``css url()``...)
    and the URL."""

    file: str
    what: str
    url: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what} {self.url}"


def is_remote(url: str) -> bool:
    """Whether the browser would fetch ``url`` from the network."""
    return bool(_REMOTE.match(url))


def remote_urls_in_css(text: str) -> list[tuple[str, str]]:
    """(``url()`` or ``@import``, URL) of every remote reference in CSS ``text``; comments skipped."""
    text = _CSS_COMMENT.sub("", text)
    found = [("@import", m.group(2) if m.group(4) is None else m.group(4)) for m in _CSS_IMPORT.finditer(text)]
    found += [("url()", m.group(2)) for m in _CSS_URL.finditer(_CSS_IMPORT.sub("", text))]
    return [(what, url.strip()) for what, url in found if is_remote(url)]


class _PageScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "src" in values and is_remote(values["src"]):
            self.found.append((f"<{tag} src>", values["src"].strip()))
        if tag == "link" and is_remote(values.get("href", "")):
            rels = set(values.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.found.append((f"<link rel={'/'.join(sorted(rels))}>", values["href"].strip()))
        if "style" in values:
            self.found += [(f"<{tag} style> {what}", url) for what, url in remote_urls_in_css(values["style"])]
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [(f"<style> {what}", url) for what, url in remote_urls_in_css(data)]


def remote_urls_in_html(text: str) -> list[tuple[str, str]]:
    """(what asks, URL) of every remote resource a page loads by itself."""
    scanner = _PageScanner()
    scanner.feed(text)
    scanner.close()
    return scanner.found


def remote_references(html_root: str | Path) -> list[RemoteReference]:
    """Every remote resource of the built book under ``html_root`` (the folder holding
    ``index.html``): in every ``.html`` page and every ``.css`` file under ``_static``."""
    root = Path(html_root)
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"html_root must be a built book's HTML folder (holding index.html); got {root}")
    scanned = [(page, remote_urls_in_html, "") for page in sorted(root.rglob("*.html"))]
    scanned += [(sheet, remote_urls_in_css, "css ") for sheet in sorted((root / "_static").rglob("*.css"))]
    return [RemoteReference(path.relative_to(root).as_posix(), prefix + what, url) for path, scan, prefix in scanned
            for what, url in scan(path.read_text(encoding="utf-8", errors="replace"))]


def offline_summary(found: list[RemoteReference], shown: int = 3) -> str:
    """One line naming how many remote resources there are and the first few."""
    head = "; ".join(str(r) for r in found[:shown])
    more = f" (and {len(found) - shown} more)" if len(found) > shown else ""
    return f"the book loads {len(found)} remote resource(s), so it does not read offline: {head}{more}"
