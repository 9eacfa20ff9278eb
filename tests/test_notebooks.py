"""Smoke-profile execution of every notebook (the book build reuses these executions)."""

import json

import nbformat
import pytest

from advnas import runner
from advnas.config import ConfigError
from advnas.notebook import parameters_source
from advnas.runlist import RUNLIST, notebook


def _runner_parameters(name: str) -> list[str]:
    """Parameters beside the config's fields: ``recompute`` in every chapter that computes runs."""
    return ["recompute"] if notebook(name).computes else []


@pytest.mark.parametrize("name", list(RUNLIST))
def test_committed_notebook_has_no_outputs_and_a_parameters_cell(name):
    nb = nbformat.read(notebook(name).source, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    # one annotated variable per config field, with the type and help papermill shows
    # (regenerate with advnas.notebook.parameters_source after changing a config)
    assert params[0].source == parameters_source(name)
    names = {line.split(":")[0].strip() for line in params[0].source.splitlines() if not line.startswith("#")}
    assert names == {"profile", *_runner_parameters(name), *notebook(name).config.__dataclass_fields__}


def test_papermill_lists_every_parameter_with_its_type_and_help():
    import subprocess
    import sys
    from pathlib import Path

    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run([str(papermill), "--help-notebook", str(notebook("nb201").source)],
                          capture_output=True, text=True, check=True)
    assert "Unknown type" not in done.stdout
    assert "epochs: int (default None)" in done.stdout and "cpu: 16; paper: 100" in done.stdout
    # chapters 5 and 6 share chapter 3's config class; their help shows their own values
    for name, own in (("zero_op", "cpu and paper: 'with-none'"),
                      ("dense", "cpu and paper: ['darts', 'snas', 'nasp', 'advantage']")):
        done = subprocess.run([str(papermill), "--help-notebook", str(notebook(name).source)],
                              capture_output=True, text=True, check=True)
        assert own in " ".join(done.stdout.split()), name


@pytest.mark.parametrize("name", list(RUNLIST))
def test_papermill_finds_every_parameter_of_the_parameters_cell(name):
    # papermill's own parser (the one behind --help-notebook) skips lines it cannot read
    from papermill.translators import PythonTranslator

    nb = nbformat.read(notebook(name).source, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    found = [parameter.name for parameter in PythonTranslator.inspect(cell)]
    assert found == ["profile", *_runner_parameters(name), *notebook(name).config.__dataclass_fields__]


def _same(shown, value) -> bool:
    """The help's value (printed with 6 significant digits) is the config's value."""
    if isinstance(value, (tuple, list)):
        return isinstance(shown, list) and len(shown) == len(value) and all(map(_same, shown, value))
    if isinstance(value, float):
        return shown == pytest.approx(value, rel=1e-5)
    return shown == value


@pytest.mark.parametrize("name", list(RUNLIST))
def test_the_help_of_every_parameter_shows_this_chapters_cpu_value(name):
    """``papermill --help-notebook``: None means the profile's value, and the default profile is
    cpu, so each parameter's help shows the value this chapter's cpu profile gives it (not the
    config class's defaults, which chapters 3, 5 and 6 share)."""
    import ast
    import re

    from papermill.translators import PythonTranslator

    nb = nbformat.read(notebook(name).source, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cpu, paper = notebook(name).resolve("cpu"), notebook(name).resolve("paper")
    for parameter in PythonTranslator.inspect(cell):
        if parameter.name in ("profile", *_runner_parameters(name)):
            continue
        shown = re.search(r"cpu(?: and paper)?: (.+?)(?:; paper: (.+))?$", parameter.help)
        assert shown, (parameter.name, parameter.help)
        assert _same(ast.literal_eval(shown.group(1)), getattr(cpu, parameter.name)), (parameter.name, parameter.help)
        paper_shown = shown.group(2) or shown.group(1)  # "cpu and paper: X": the same value
        assert _same(ast.literal_eval(paper_shown), getattr(paper, parameter.name)), (parameter.name, parameter.help)


def test_the_recompute_parameter_reaches_the_store_in_the_kernel(tmp_path, monkeypatch):
    """``-p recompute True`` (what ``advnas run --recompute`` passes to papermill) computes the
    chapter's stored run afresh; without it the stored run is read back."""
    from advnas.store import ResultsStore

    monkeypatch.setenv("ADVNAS_RESULTS_DIR", str(tmp_path / "results"))
    out = tmp_path / "theory.ipynb"

    def finished_at():
        (run,) = ResultsStore(tmp_path / "results").finished_runs("theory")
        return run.info["finished_at"]

    runner.execute("theory", "smoke", output=out, progress=False)
    first = finished_at()
    runner.execute("theory", "smoke", output=out, progress=False, force=True)
    assert finished_at() == first
    runner.execute("theory", "smoke", output=out, progress=False, force=True, recompute=True)
    assert finished_at() > first


def test_a_recompute_that_is_not_a_boolean_fails_in_one_line():
    from advnas.notebook import setup

    with pytest.raises(ConfigError, match=r"^recompute must be True or False; got 'yes'$"):
        setup("theory", {"profile": "smoke", "recompute": "yes", "In": []})


def test_a_list_parameter_passed_as_text_by_papermill_is_read_as_a_list():
    from advnas.theory.config import TheoryConfig

    assert TheoryConfig.from_dict({"edge_counts": "[1, 2, 5]"}).edge_counts == (1, 2, 5)
    with pytest.raises(ConfigError, match="edge_counts must be a non-empty list of int"):
        TheoryConfig.from_dict({"edge_counts": "1, 2"})


@pytest.mark.parametrize("name", list(RUNLIST))
def test_smoke_execution(name):
    path = runner.execute(name, "smoke", progress=False)
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {}) for o in outputs)
    assert json.loads(path.with_suffix(".key").read_text())["seconds"] >= 0


def test_bad_parameter_fails_before_executing(tmp_path):
    with pytest.raises(ConfigError, match="mc_samples must be an integer >= 100"):
        runner.execute("theory", "smoke", {"mc_samples": 5}, output=tmp_path / "x.ipynb")
    assert not (tmp_path / "x.ipynb").exists()


def test_unknown_parameter_injected_by_papermill_fails_in_one_line(tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(str(notebook("theory").source), str(tmp_path / "out.ipynb"),
                                   parameters={"profile": "smoke", "mc_sampels": 10},
                                   progress_bar=False, kernel_name="python3")
    assert info.value.ename == "ConfigError"
    assert "unknown parameter 'mc_sampels'" in info.value.evalue and "\n" not in info.value.evalue
