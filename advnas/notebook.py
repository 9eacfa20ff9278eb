"""Helpers used inside the notebooks, so that the notebooks stay thin.

A notebook's parameters cell holds ``profile``, ``recompute`` (in the chapters that compute
stored runs: True computes them afresh) and one variable per config field set to ``None``
("take the profile's value"). papermill injects the user's values after it;
``setup`` reads them back, rejects unknown names and bad values with a one-line error, and
returns the resolved config.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import typing
from typing import Any

import pandas as pd
from IPython.display import Markdown

from .config import ConfigError
from .report import hardware_sentence
from .runlist import RUNLIST, notebook
from .store import Run

PAPERMILL_HEADER = "# Parameters"


SPEC_REFERENCE = re.compile(r"[;,]?\s*\(?official code[\d.]+(, §[\d.]+)*\)?")


def _type_text(kind: Any) -> str:
    if typing.get_origin(kind) is tuple:
        return f"list[{typing.get_args(kind)[0].__name__}]"
    return getattr(kind, "__name__", str(kind))


def _field_comments(config: type) -> dict[str, str]:
    """The trailing comment of each field's line in the config classes' source."""
    comments: dict[str, str] = {}
    for klass in reversed(config.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        for line in inspect.getsource(klass).splitlines():
            match = re.match(r"\s+(\w+):[^=]+=.*?#\s*(.+)$", line)
            if match:
                comments[match.group(1)] = SPEC_REFERENCE.sub("", match.group(2)).strip()
    return comments


def _default_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_default_text(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "{}" if not value else repr(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _profile_values(field: str, cpu: Any, paper: Any) -> str:
    """The help's values: the chapter's own cpu value (what None means at the default profile)
    and its paper value, from the run list (chapters sharing a config class differ here)."""
    cpu_text, paper_text = _default_text(getattr(cpu, field)), _default_text(getattr(paper, field))
    return f"cpu and paper: {cpu_text}" if cpu_text == paper_text else f"cpu: {cpu_text}; paper: {paper_text}"


def parameters_source(name: str) -> str:
    """The notebook's parameters cell: ``profile`` and one annotated variable per config field,
    set to None ("the profile's value"), with its type and help for ``papermill --help-notebook``
    (the field's comment and this chapter's cpu and paper values)."""
    entry = notebook(name)
    config = entry.config
    hints, comments = typing.get_type_hints(config), _field_comments(config)
    cpu, paper = entry.resolve("cpu"), entry.resolve("paper")
    lines = ["# profile is smoke, cpu or paper; every other parameter None takes the profile's value",
             'profile: str = "cpu"  # smoke (seconds), cpu (the default) or paper (the paper\'s settings)']
    if entry.computes:
        lines.append("recompute: bool = False  # True computes this page's stored runs afresh (else they are read back)")
    for field in dataclasses.fields(config):
        text = comments.get(field.name, "")
        help_text = (f"{text}; " if text else "") + _profile_values(field.name, cpu, paper)
        # papermill skips a parameters line holding a second "=", so "C = 16" reads "C is 16" here
        help_text = re.sub(r"\s*=\s*", " is ", help_text)
        lines.append(f"{field.name}: {_type_text(hints[field.name])} = None  # {help_text}")
    return "\n".join(lines)


def _injected_names(namespace: dict[str, Any]) -> list[str]:
    """Names assigned in papermill's injected-parameters cell(s), from the kernel's history."""
    names = []
    for source in namespace.get("In", []):
        if source.lstrip().startswith(PAPERMILL_HEADER):
            for node in ast.parse(source).body:
                if isinstance(node, ast.Assign):
                    names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


_chapter: str | None = None  # the notebook this kernel runs (``setup`` sets it), for the recompute hint


def setup(name: str, namespace: dict[str, Any]):
    """Resolve the notebook's config from its parameters (see module docstring)."""
    global _chapter
    entry = notebook(name)
    _chapter = name
    fields = list(entry.config.__dataclass_fields__)
    allowed = ["profile", *(["recompute"] if entry.computes else []), *fields]
    for injected in _injected_names(namespace):
        if injected not in allowed:
            raise ConfigError(f"unknown parameter {injected!r} for notebook {name}; "
                              f"allowed: {', '.join(allowed)}")
    if entry.computes and not isinstance(namespace.get("recompute", False), bool):
        raise ConfigError(f"recompute must be True or False; got {namespace['recompute']!r}")
    overrides = {k: namespace[k] for k in fields if namespace.get(k) is not None}
    resolved = entry.resolve(namespace["profile"], overrides)
    # tables show whole values (cell strings, settings lists), not pandas' cut at 50 characters
    pd.set_option("display.max_colwidth", None)
    return namespace["profile"], resolved


def glue_number(name: str, value: Any) -> None:
    """Glue a number for use in prose ({glue:text}`name:.3f`), as a plain Python float."""
    from myst_nb import glue

    glue(name, float(value), display=False)


def show_markdown(text: str | None) -> None:
    """Display ``text`` as Markdown; nothing when it is empty or None (an empty Markdown object
    would show in the book as its plain-text fallback, ``<IPython.core.display.Markdown object>``)."""
    from IPython.display import display

    if text and text.strip():
        display(Markdown(text))


def config_table(config) -> pd.DataFrame:
    return pd.DataFrame({"parameter": list(config.to_dict()), "value": [
        str(v) for v in config.to_dict().values()]}).set_index("parameter")


def recompute_hint(run: Run) -> str:
    """Commands that really recompute ``run``: the command line's ``--recompute``, or the
    chapter's ``recompute`` parameter under papermill. A benchmark is measured by its script,
    never by a notebook, which only reads it."""
    profile = run.info.get("profile", "cpu")
    if run.info.get("experiment") == "benchmarks":
        script = f"benchmarks/{run.info['name'].replace('-', '_')}.py"
        return f"recompute it with `python {script} --profile {profile} --recompute`"
    chapters = [n for n, nb in RUNLIST.items() if nb.experiment == run.info.get("experiment")] or ["CHAPTER"]
    name = _chapter if _chapter in chapters else chapters[0]
    path = RUNLIST[name].path if name in RUNLIST else "notebooks/NN_CHAPTER.ipynb"
    return (f"recompute with `python -m advnas run {name} --profile {profile} --recompute`, or under papermill "
            f"`papermill {path} OUT.ipynb -p profile {profile} -p recompute True`")


def provenance(runs: Run | list[Run]) -> Markdown:
    """A note saying which commit, profile, device and wall time produced a run
    (``report.hardware_sentence``), when it finished and whether it is stale. Given a list of
    runs (a chapter's trials), the note covers all of them: commits, devices, summed wall time,
    the span of their finishing times and the stale ones by name."""
    runs = [runs] if isinstance(runs, Run) else list(runs)
    finished = sorted(r.info["finished_at"] for r in runs)
    stale = [r.folder.name for r in runs if r.is_stale()]
    versions = ", ".join(dict.fromkeys(r.info["advnas_version"] for r in runs))
    if len(runs) == 1:
        folder = runs[0].folder
        when, where = f"finished {finished[0]}", f"Result folder `{folder.relative_to(folder.parents[3])}`"
        status = (f"**stale**: the code that produces it has changed since; {recompute_hint(runs[0])}"
                  if stale else "up to date with the code at this commit")
    else:
        folders = sorted({str(r.folder.parent.relative_to(r.folder.parents[3])) for r in runs})
        when = f"finished between {finished[0]} and {finished[-1]}"
        where = "Result folders under " + ", ".join(f"`{f}/`" for f in folders)
        status = (f"**stale** (the code that produces them has changed since; {recompute_hint(runs[0])}): "
                  f"{', '.join(stale)}" if stale else "all up to date with the code at this commit")
    return Markdown(f"```{{admonition}} Provenance\n{hardware_sentence(runs)} advnas {versions}, {when}. "
                    f"{where}: {status}.\n```")

