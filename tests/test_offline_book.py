"""The book reads offline: the scan for remote resources (advnas/offline_book.py), its place in the
book build, and the maths rendered by the vendored MathJax in headless Chromium with the network
off (scripts/check_offline_book.py; those tests skip, saying why, without Chromium or a built book)."""

import importlib.util
import sys
from pathlib import Path

import pytest

from advnas import runner
from advnas.offline_book import is_remote, remote_references, remote_urls_in_css, remote_urls_in_html

REPO = Path(__file__).resolve().parents[1]
MATHJAX = REPO / "book" / "_static" / "mathjax"
SMOKE_BOOK = REPO / "build" / "book-smoke" / "_build" / "html"

CLEAN_PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" type="text/css" href="_static/styles/theme.css?digest=1" />
<link rel="preload" as="font" href="_static/fonts/a.woff2" crossorigin />
<link rel="next" title="Next" href="https://example.org/next.html" />
<script src="_static/mathjax/tex-chtml-full.js"></script>
<style>body { background: url("data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E"); }</style>
</head><body><a href="https://arxiv.org/abs/2012.06138">the paper</a><img src="_images/fig.png">
<p style="background: url(_static/x.png)">text mentioning https://example.org/not-loaded.js</p></body></html>"""

OFFENDING_PAGE = """<!DOCTYPE html><html><head>
<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Lato" />
<link rel="preload" as="font" href="https://example.org/font.woff2" crossorigin />
<style>@import url("https://example.org/more.css");</style>
</head><body><a href="https://arxiv.org/abs/2012.06138">fine</a>
<div style="background-image: url('http://example.org/bg.png')"></div><img src="https://example.org/i.png"></body></html>"""


def test_a_clean_page_has_no_remote_resource():
    assert remote_urls_in_html(CLEAN_PAGE) == []


def test_an_offending_page_lists_each_remote_resource():
    found = remote_urls_in_html(OFFENDING_PAGE)
    assert [what for what, _ in found] == ["<script src>", "<link rel=stylesheet>", "<link rel=preload>",
                                           "<style> @import", "<div style> url()", "<img src>"]
    assert found[0][1] == "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
    assert found[1][1] == "//fonts.googleapis.com/css?family=Lato"


def test_css_fonts_and_imports_comments_and_data_uris():
    css = """/* see https://sass-guidelin.es/#architecture */
    @font-face { font-family: X; src: url(https://example.org/x.woff2) format("woff2"), url("../fonts/x.woff"); }
    @import 'local.css';  @import url(//cdn.example.org/remote.css);
    .icon { background: url("data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E") }"""
    assert remote_urls_in_css(css) == [("@import", "//cdn.example.org/remote.css"),
                                       ("url()", "https://example.org/x.woff2")]
    assert remote_urls_in_css('@import "https://a.org/q.css" screen; @import url("../b.css");') == [
        ("@import", "https://a.org/q.css")]


@pytest.mark.parametrize("url, remote", [("https://a.org/x.js", True), ("HTTP://a.org", True), ("//a.org/x", True),
                                         (" wss://a.org", True), ("_static/x.js", False), ("../x.css", False),
                                         ("data:font/woff2;base64,AAAA", False), ("file:///x.js", False)])
def test_what_is_remote(url, remote):
    assert is_remote(url) is remote


def _book(root: Path, page: str, css: str = "") -> Path:
    (root / "_static").mkdir(parents=True)
    (root / "index.html").write_text(CLEAN_PAGE)
    (root / "chapters").mkdir()
    (root / "chapters" / "one.html").write_text(page)
    (root / "_static" / "theme.css").write_text(css)
    return root


def test_the_scan_covers_every_page_and_the_shipped_css(tmp_path):
    assert remote_references(_book(tmp_path / "clean", CLEAN_PAGE, "a { color: red }")) == []
    found = remote_references(_book(tmp_path / "bad", OFFENDING_PAGE, "@font-face { src: url(https://f.org/a.woff) }"))
    assert {r.file for r in found} == {"chapters/one.html", "_static/theme.css"} and len(found) == 7
    assert str(found[-1]) == "_static/theme.css: css url() https://f.org/a.woff"
    with pytest.raises(FileNotFoundError, match="html_root must be a built book's HTML folder"):
        remote_references(tmp_path / "nothing")


def test_the_book_config_serves_mathjax_from_the_book():
    import yaml

    config = yaml.safe_load((REPO / "book" / "_config.yml").read_text())
    path = config["sphinx"]["config"]["mathjax_path"]
    assert not is_remote(path) and (REPO / "book" / "_static" / path).is_file()
    assert (MATHJAX / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").is_file()


def test_the_book_extension_leaves_mathjax_to_sphinx(monkeypatch):
    """Jupyter Book lists every .js under _static for every page; book/_ext/mathjax_once.py takes
    MathJax off that list, so only Sphinx's own inclusion (maths pages, after its configuration) stays."""
    import types

    monkeypatch.syspath_prepend(str(REPO / "book" / "_ext"))
    import mathjax_once

    config = types.SimpleNamespace(html_js_files=["mathjax/tex-chtml-full.js", "custom.js",
                                                  ("mathjax/a11y.js", {"defer": "defer"}), ("other.js", {})])
    mathjax_once._drop_mathjax_from_every_page(None, config)
    assert config.html_js_files == ["custom.js", ("other.js", {})]


@pytest.mark.parametrize("strict", [True, False])
def test_the_book_build_checks_the_built_pages(tmp_path, monkeypatch, capsys, strict):
    stage = tmp_path / "book-smoke"
    _book(stage / "_build" / "html", OFFENDING_PAGE)
    monkeypatch.setattr(runner, "stage_book", lambda profile: stage)
    monkeypatch.setattr(runner.subprocess, "run", lambda *args, **kwargs: None)  # Jupyter Book "built" it
    if strict:
        with pytest.raises(runner.BookNotOffline, match=r"the book loads 6 remote resource\(s\).*cdn.jsdelivr.net"):
            runner.build_book("smoke", strict=True)
    else:
        assert runner.build_book("smoke") == stage / "_build" / "html" / "index.html"
        assert "warning: the book loads 6 remote resource(s)" in capsys.readouterr().out


# In a browser with the network off ------------------------------------------------------------

def _checker():
    spec = importlib.util.spec_from_file_location("check_offline_book", REPO / "scripts" / "check_offline_book.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()
CHROMIUM = CHECKER.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (Debian: apt-get install chromium); "
                                    ".ci/run installs it")

MATH_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script>window.MathJax = {{"options": {{"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}}}</script>
<script defer="defer" src="{mathjax}"></script></head><body>
<p>Inline <span class="math notranslate nohighlight">\\(\\nabla_\\theta J = \\mathbb{{E}}[A \\, \\partial \\log p]\\)</span>.</p>
<div class="math notranslate nohighlight">\\[\\operatorname{{Var}}[g] = \\sum_{{i=1}}^{{|I|}} \\frac{{1}}{{|J|}}\\]</div>
</body></html>"""


def _math_page(tmp_path: Path, mathjax: str) -> Path:
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "mathjax").symlink_to(MATHJAX, target_is_directory=True)
    page = tmp_path / "page.html"
    page.write_text(MATH_PAGE.format(mathjax=mathjax))
    return page


def test_counting_maths_elements_and_tex_left():
    before = CHECKER.count_math(MATH_PAGE.format(mathjax="_static/mathjax/tex-chtml-full.js"))
    assert before.elements == 2 and before.rendered == 0 and len(before.tex_left) == 2
    after = CHECKER.count_math('<span class="math"><mjx-container><mjx-math>x</mjx-math></mjx-container></span>'
                               '<div class="math"><mjx-container></mjx-container></div><pre>$$ in code $$</pre>')
    assert (after.elements, after.rendered, after.containers, after.tex_left) == (2, 2, 2, [])
    assert before.mathjax_scripts == 1


def test_a_browser_past_its_time_limit_is_ended_and_reported_in_one_line(tmp_path):
    """A stand-in browser that never finishes (and starts a helper): both are ended at the limit."""
    import os
    import time

    marker = tmp_path / "helper.pid"
    browser = tmp_path / "slow-browser"
    browser.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {marker}\nsleep 60\n")
    browser.chmod(0o755)
    page = _math_page(tmp_path, "_static/mathjax/tex-chtml-full.js")
    started = time.monotonic()
    problems = CHECKER.check_math_renders(page, str(browser), timeout_s=2)
    assert time.monotonic() - started < 30
    assert problems == ["page.html: slow-browser ran past 2 s (wall clock; the page's scripts get virtual time, "
                        "so a busy machine is slow, not wrong): raise --timeout-s"]
    time.sleep(0.5)
    helper = int(marker.read_text())
    assert not os.path.exists(f"/proc/{helper}") or "Z" in open(f"/proc/{helper}/stat").read().split()[2]


@needs_chromium
def test_a_page_loading_mathjax_twice_is_reported(tmp_path):
    page = _math_page(tmp_path, "_static/mathjax/tex-chtml-full.js")
    page.write_text(page.read_text().replace("</head>", '<script src="_static/mathjax/tex-chtml-full.js"></script></head>'))
    assert CHECKER.check_math_renders(page, CHROMIUM) == ["page.html loads MathJax 2 times; once is right"]


@needs_chromium
def test_the_vendored_mathjax_renders_with_the_network_off(tmp_path):
    page = _math_page(tmp_path, "_static/mathjax/tex-chtml-full.js")
    assert CHECKER.check_math_renders(page, CHROMIUM) == []


@needs_chromium
def test_a_remote_mathjax_does_not_render_with_the_network_off(tmp_path):
    page = _math_page(tmp_path, "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    problems = CHECKER.check_math_renders(page, CHROMIUM, budget_ms=5000)
    assert any("0 of 2 maths elements rendered" in p for p in problems)
    assert any("TeX left unrendered" in p for p in problems)


@needs_chromium
@pytest.mark.skipif(not (SMOKE_BOOK / CHECKER.DEFAULT_CHAPTER).is_file(),
                    reason="no smoke book built yet (python -m advnas book --profile smoke; make test builds it "
                    "after pytest and .ci/run then runs scripts/check_offline_book.py)")
def test_the_built_theory_chapter_renders_offline(capsys):
    assert CHECKER.main([str(SMOKE_BOOK)]) == 0, capsys.readouterr().out
