"""Every page says exactly what it did: the chapters executed at the `cpu` profile from the
stored results show no raw object, no nan/inf, no number outside its quantity's range, no
figure caption numbered like the paper's figures, and no colliding labels in the cell drawings
(``tests/page_checks.py``, ``advnas/cells.text_overlaps``).

The chapters are executed as the book executes them (``python -m advnas run NAME --profile
cpu``, two processes at a time); a chapter whose executed notebook is up to date (its key:
notebook, parameters and library unchanged, e.g. after ``make book``) is reused. Executing all
eight from the stored results took 75 s on 2 cores (one at a time: about 150 s); reused, a few
seconds. The smoke pages are checked too, reusing test_notebooks.py's executions. The first
tests plant each defect and check that the checker finds it.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from advnas import cells, paper, runner  # noqa: E402
import page_checks as pages  # noqa: E402
from advnas.report import shown  # noqa: E402
from advnas.runlist import RUNLIST, notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "cpu"
NOTEBOOK_TIMEOUT_S = 600  # the slowest chapter takes about 30 s from stored results; a search takes hours


# The checker finds what it must (planted defects) ----------------------------------------------

def page(*outputs, caption: str | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x", outputs=list(outputs))
    if caption is not None:
        cell.metadata["mystnb"] = {"figure": {"caption": caption}}
    return nbformat.v4.new_notebook(cells=[cell])


def shown_data(**data) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=data)


def test_a_markdown_object_printed_or_empty_is_found():
    from IPython.display import Markdown

    empty = shown_data(**{"text/markdown": "", "text/plain": repr(Markdown(""))})
    assert ["cell 0: a raw object shown as text: '<IPython.core.display'"] == pages.page_defects(page(empty))
    printed = nbformat.v4.new_output("stream", name="stdout", text="<IPython.core.display.Markdown object>\n")
    assert pages.page_defects(page(printed))
    styler = shown_data(**{"text/plain": "<pandas.io.formats.style.Styler at 0x7f610b8e51d0>"})
    assert pages.page_defects(page(styler))
    fine = shown_data(**{"text/markdown": "**ok**", "text/plain": repr(Markdown("**ok**"))})
    assert pages.page_defects(page(fine)) == []


def test_nan_and_inf_in_a_table_or_a_sentence_are_found_and_a_dash_is_not():
    frame = pd.DataFrame({"iterations": [30.0, math.inf], "cos(mean, target)": [0.5, math.nan]},
                         index=pd.Index(["a", "b"], name="strategy"))
    found = pages.page_defects(page(shown_data(**{"text/html": frame.to_html()})))
    assert any("'inf'" in line for line in found) and any("'NaN'" in line for line in found)
    styled = shown(frame, 2, infinite="never").to_html()
    assert pages.page_defects(page(shown_data(**{"text/html": styled}))) == []
    assert "never" in styled and "–" in styled
    glued = nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "nan"},
                                   metadata={"scrapbook": {"mime_prefix": "application/papermill.record/",
                                                           "name": "bench_ratio"}})
    assert pages.page_defects(page(glued))  # a number glued into the prose
    sentence = shown_data(**{"text/markdown": "the cosine is nan here"})
    assert pages.page_defects(page(sentence)) and not pages.page_defects(
        page(shown_data(**{"text/markdown": "REINFORCE and the infinite-width limit: nothing missing"})))


def test_a_missing_value_deep_in_a_multiindex_table_is_found_in_its_column():
    index = pd.MultiIndex.from_tuples([("Random", "its own", "end"), ("Random", "its own", "middle"),
                                       ("GDAS", "∇J", "end")], names=["strategy", "target", "point"])
    frame = pd.DataFrame({"seeds": [2, 2, 2], "cos(mean, target)": [math.nan, math.nan, 0.9]}, index=index)
    found = pages.page_defects(page(shown_data(**{"text/html": frame.to_html()})))
    assert len(found) == 2 and all("column 'cos(mean, target)'" in line for line in found)


def test_an_interval_outside_its_quantitys_range_is_found():
    frame = pd.DataFrame({"argmax accuracy [95 % CI]": ["82.37 [62.75, 101.98]", "93.0 [92.0, 94.0]"],
                          "argmax percentile": ["37.0 [-5.8, 79.8]", "–"],
                          "argmax params MB": ["0.29 [-0.02, 0.60]", "1.0 [0.5, 1.5]"],
                          "paper: val ppl": ["95.12 ± 0.22", "–"],  # a spread is no value
                          "accuracy change": ["-3.1", "+1.0"],  # a difference is not a quantity
                          "final perplexities (s)": ["0.32", "0.40"],  # a time is not one either
                          "final perplexity": ["0.5", "90.0"]})
    found = pages.page_defects(page(shown_data(**{"text/html": frame.to_html()})))
    assert len(found) == 4 and "'0.5' in column 'final perplexity'" in found[3]
    assert "101.98" in found[0] and "-5.8" in found[1] and "-0.02" in found[2]
    markdown = "| method | accuracy |\n|---|---|\n| x | 99.0 [97.0, 101.0] |\n"
    assert pages.page_defects(page(shown_data(**{"text/markdown": markdown})))


def test_a_caption_numbered_like_the_papers_figures_is_found():
    for caption in ("Fig. 8: the paper's Fig. 2", "The paper's Fig. 2: accuracy per epoch", "Figure 3. Cells"):
        assert pages.page_defects(page(caption=caption)), caption
    assert pages.page_defects(page(caption="Accuracy per search epoch (the paper's Fig. 2).")) == []
    assert pages.config_defects(ROOT / "book" / "_config.yml") == []


def test_the_book_does_not_number_its_own_figures(tmp_path):
    numbered = tmp_path / "_config.yml"
    numbered.write_text("sphinx:\n  config:\n    html_show_sourcelink: false\n")
    assert len(pages.config_defects(numbered)) == 2
    # numfig off alone is not enough: Jupyter Book's LaTeX extension turns it on again
    numbered.write_text("sphinx:\n  config:\n    numfig: false\n")
    assert ["use_jupyterbook_latex" in line for line in pages.config_defects(numbered)] == [True]


def test_colliding_labels_are_found():
    style = cells.CellStyle(positions={0: (0, 0), 1: (0.3, 0), 2: (4, 0)}, short={"a": "a long label"})
    fig, ax = plt.subplots(figsize=(4, 2))
    cells.draw_cell(ax, [(0, 1, "a"), (1, 2, "a"), (0, 2, "a")], style, "title")
    assert any("overlaps" in line for line in cells.text_overlaps(fig))
    plt.close(fig)


@pytest.mark.parametrize("space", ["nb201", "ptb"])
def test_no_cell_drawing_can_collide(space):
    """Label positions do not depend on the operations, and a centred box holds every narrower
    one: with each operation on all six edges (the widest label everywhere among them), no two
    texts may overlap, so no cell of the space can."""
    from advnas.nb201 import report as nb201
    from advnas.nb201.search_config import OP_SETS
    from advnas.ptb import report as ptb
    from advnas.ptb.space import OPS

    def arch(op):
        return f"|{op}~0|+|{op}~0|{op}~1|+|{op}~0|{op}~1|{op}~2|"

    ops = OP_SETS["with-none"] if space == "nb201" else OPS
    for op in ops:
        if space == "nb201":
            fig = nb201.figure5([(arch(op), f"ours (profile cpu, seed 0): {93.76:.2f} %"),
                                 (paper.FIG5_ARCH, f"paper's Fig. 5: {paper.FIG5_ACCURACY:.2f} %")])
        else:
            fig, ax = plt.subplots(figsize=(5.0, 2.4))
            ptb.draw_cell(ax, arch(op), "AdvantageNAS (argmax), seed 0: val 444.5, test 427.3")
            fig.tight_layout()
        assert cells.text_overlaps(fig) == [], op
        plt.close(fig)


# The chapters at the cpu profile ---------------------------------------------------------------

def _missing_runs() -> list[str]:
    """The stored runs the cpu chapters read that are not there (executing would compute them)."""
    from advnas import jobs
    from advnas.store import ResultsStore

    missing = [job.label for job in jobs.jobs_for(jobs.SEARCH_CHAPTERS, PROFILE)
               if not (jobs.folder_of(job) / "summary.json").is_file()]
    finished = ResultsStore().finished_runs()
    for experiment in ("theory", "toy", "gradients"):
        if not any(r.info["experiment"] == experiment and r.info["profile"] == PROFILE for r in finished):
            missing.append(f"{experiment} (any {PROFILE} run)")
    return missing


@pytest.fixture(scope="module")
def executed() -> dict[str, Path]:
    """Every chapter executed at the cpu profile (reused when up to date), two processes at a time."""
    missing = _missing_runs()
    if missing:
        pytest.skip(f"stored {PROFILE} results missing (executing would compute them): {', '.join(missing[:5])}")
    # two streams of about equal time (measured: gradients 30 s, nb201 24 s, ptb/zero_op/dense/toy
    # about 17 s, scorecard 13 s, theory 11 s)
    streams = [["gradients", "nb201", "toy", "theory"], ["ptb", "zero_op", "dense", "scorecard"]]
    assert sorted(n for s in streams for n in s) == sorted(RUNLIST)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    processes = [subprocess.Popen([sys.executable, "-m", "advnas", "run", *names, "--profile", PROFILE],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for names in streams]
    failures = []
    for names, process in zip(streams, processes):
        try:
            out, _ = process.communicate(timeout=NOTEBOOK_TIMEOUT_S * len(names))
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
            failures.append(f"{names}: still running after {NOTEBOOK_TIMEOUT_S * len(names)} s (computing?)")
            continue
        if process.returncode:
            failures.append(f"{names}: exit {process.returncode}\n{out[-3000:]}")
    assert not failures, "\n".join(failures)
    return {name: runner.executed_path(name, PROFILE) for name in RUNLIST}


@pytest.mark.parametrize("name", list(RUNLIST))
def test_a_chapter_at_the_cpu_profile_shows_no_defect(executed, name):
    defects = pages.page_defects(executed[name])
    assert defects == [], f"{notebook(name).path} at the {PROFILE} profile:\n" + "\n".join(defects)


@pytest.mark.parametrize("name", list(RUNLIST))
def test_a_chapter_at_the_smoke_profile_shows_no_defect(name):
    """The smoke profile (the book CI builds; one trial where the cpu profile has several):
    executed as test_notebooks.py executes it, and reused from there when up to date."""
    defects = pages.page_defects(runner.execute(name, "smoke", progress=False))
    assert defects == [], f"{notebook(name).path} at the smoke profile:\n" + "\n".join(defects)


def test_the_cell_drawings_of_the_stored_runs_do_not_collide(executed):
    from advnas.nb201 import experiment as nb201_experiment
    from advnas.nb201 import report as nb201
    from advnas.ptb import experiment as ptb_experiment
    from advnas.ptb import report as ptb

    cfg = notebook("nb201").resolve(PROFILE)
    summaries, _ = nb201_experiment.collect(nb201_experiment.run_all(cfg, PROFILE))
    runs = ptb_experiment.run_all(notebook("ptb").resolve(PROFILE), PROFILE)
    for fig in (nb201.best_cell_figure(summaries, PROFILE), ptb.figure6(runs), ptb.all_cells(runs)):
        assert cells.text_overlaps(fig) == []
        plt.close(fig)
