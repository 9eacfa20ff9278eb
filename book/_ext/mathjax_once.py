"""Sphinx extension of the book: MathJax is loaded once, and only on pages with mathematics.

Jupyter Book 1.x adds every ``.js`` file under ``_static/`` to every page (``html_js_files``;
jupyter_book/config.py, the static files), which would load the MathJax served from
``_static/mathjax/`` on every page, and a second time on pages with mathematics, where
Sphinx's MathJax extension adds it (``mathjax_path``, deferred, after its configuration).
This removes MathJax's files from ``html_js_files``, so Sphinx's own inclusion is the only one.
"""

from __future__ import annotations

MATHJAX_FOLDER = "mathjax/"


def _filename(entry) -> str:
    return entry[0] if isinstance(entry, (tuple, list)) else str(entry)


def _drop_mathjax_from_every_page(app, config) -> None:
    config.html_js_files = [entry for entry in config.html_js_files
                            if not _filename(entry).startswith(MATHJAX_FOLDER)]


def setup(app):
    app.connect("config-inited", _drop_mathjax_from_every_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
