"""Execute the run list with papermill and build the book with Jupyter Book 1.x.

Executed notebooks go to ``build/executed/<profile>/<name>.ipynb`` with a ``.key`` file
beside each: the hash of the notebook source, its parameters and the library's source. A
notebook whose key is unchanged is not executed again. The book is staged in
``build/book-<profile>/`` (the sources in ``book/`` plus the executed notebooks as
``chapters/``) and built there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import behaviour, budget, offline_book, paper_cost
from .config import PROFILES, ConfigError, check_profile
from .data.locate import file_digest
from .device import describe
from .paths import PACKAGE_DIR, build_dir, checkout_file
from .runlist import RUNLIST, notebook
from .store import ResultsStore


class NotebookFailed(RuntimeError):
    """A notebook raised; the message is the exception's one-line summary."""


def executed_path(name: str, profile: str) -> Path:
    return build_dir() / "executed" / profile / f"{name}.ipynb"


def _library_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def execution_key(name: str, parameters: dict[str, Any]) -> str:
    digest = hashlib.sha256(notebook(name).source.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(_library_hash().encode())
    return digest.hexdigest()


def _prepare_environment() -> None:
    # Kernels inherit the environment; relative data paths would break under another cwd.
    for variable in ("ADVNAS_DATA_DIR", "ADVNAS_HOME", "ADVNAS_PROJECT_DATA", "ADVNAS_RESULTS_DIR",
                     "ADVNAS_BUILD_DIR"):
        if os.environ.get(variable):
            os.environ[variable] = str(Path(os.environ[variable]).expanduser().resolve())


def _check_output(output: Path, key_file: Path, overwrite: bool) -> None:
    """Refuse (one line) an output path that cannot be written, or that would overwrite a file
    this command did not write: ``output`` is ours when the ``.key`` beside it is one of ours
    (and, when it records the output's sha256, the output still has it)."""
    if output.suffix == ".key":
        raise ConfigError(f"--output {output} ends in .key, the name of the key file written beside it; "
                          "choose another name")
    if output.is_dir():
        raise ConfigError(f"--output {output} is a folder; name a file")
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"--output {output} lies under {parent}, which is a file; choose another path")
            break
    if overwrite:
        return
    key_exists = key_file.exists()
    record = _read_key(key_file) if key_exists else {}
    ours = "key" in record
    if key_exists and not ours:
        raise ConfigError(f"{key_file} exists and was not written by advnas run; pass --force to replace it "
                          f"(and {output.name}), or choose another --output")
    if output.exists():
        if not ours:
            raise ConfigError(f"{output} exists and was not written by advnas run (no {key_file.name} beside "
                              "it); pass --force to overwrite it, or choose another --output")
        if record.get("output_sha256") and record["output_sha256"] != file_digest(output):
            raise ConfigError(f"{output} was changed after advnas run wrote it; pass --force to overwrite "
                              "it, or choose another --output")


def execute(name: str, profile: str, overrides: dict[str, Any] | None = None,
            output: Path | None = None, force: bool = False, progress: bool = True,
            recompute: bool = False, overwrite: bool = False) -> Path:
    """Run one notebook with papermill; skip it when its key is unchanged (unless ``force``).
    An existing ``output`` (or ``.key`` beside it) that this function did not write is not
    overwritten unless ``overwrite`` (the command line's ``--force``)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    entry = notebook(name)
    overrides = dict(overrides or {})
    entry.resolve(profile, overrides)  # fail at once, in one line, on a bad parameter
    parameters = {"profile": profile, **overrides, **({"recompute": True} if recompute and entry.computes else {})}
    chosen, output = output is not None, output or executed_path(name, profile)
    key_file = output.with_suffix(".key")
    key = execution_key(name, parameters)
    if chosen:  # build/executed/ is the runner's own folder; a path the user named is checked
        _check_output(output, key_file, overwrite)
    if not force and output.exists() and _read_key(key_file).get("key") == key:
        print(f"[advnas] {name} ({profile}): unchanged, reusing {output}")
        return output
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # claims the output before papermill writes it: a failed execution leaves a file known as ours
        key_file.write_text(json.dumps({"key": None, "pending": True, "output": output.name}))
    except OSError as error:
        raise ConfigError(f"cannot write --output {output}: {error.strerror or error}; "
                          "choose a writable folder") from None
    _prepare_environment()
    print(f"[advnas] executing {entry.path} with {parameters}")
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(entry.source), str(output), parameters=parameters,
                                   cwd=str(entry.source.parent), progress_bar=progress, kernel_name="python3")
    except PapermillExecutionError as error:
        raise NotebookFailed(f"{name}: {error.ename}: {error.evalue}") from None
    _tag_parameter_cells(output)
    key_file.write_text(json.dumps({"key": key, "seconds": round(time.perf_counter() - started, 1),
                                     "device": describe(), "output": output.name,
                                     "output_sha256": file_digest(output)}))
    return output


def _tag_parameter_cells(path: Path) -> None:
    """In the executed notebook, the book hides the parameters cell behind a toggle and drops
    papermill's injected cell (the parameters are shown in each chapter's configuration table)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        for marker, tag in (("parameters", "hide-cell"), ("injected-parameters", "remove-cell")):
            if marker in tags and tag not in tags:
                tags.append(tag)
    nbformat.write(nb, path)


def _read_key(key_file: Path) -> dict[str, Any]:
    try:
        return json.loads(key_file.read_text())
    except (OSError, ValueError):
        return {}


def commits_text(infos) -> str:
    """The commits a group of stored runs was computed at, oldest first by finishing time (a
    resumed run's earlier sittings before its last): one commit by name; several as their count,
    the first and the last (each run's config.json names its own and its sittings')."""
    ordered = sorted(infos, key=lambda info: info.get("finished_at", ""))
    # a resumed run's earlier sittings first, where its provenance names their commits
    commits = list(dict.fromkeys(commit for info in ordered for commit in
                                 [*(s["git_commit"] for s in info.get("earlier_sittings", []) if "git_commit" in s),
                                  info["git_commit"]]))
    if len(commits) == 1:
        return f"`{commits[0]}`"
    return f"{len(commits)} commits, `{commits[0]}` … `{commits[-1]}`"


def timings_markdown() -> str:
    """How long each notebook and each stored result took, as measured (for Reproducing)."""
    lines = ["| notebook | profile | notebook execution | on | stored results: compute time | on | computed at |",
             "|---|---|---|---|---|---|---|"]
    runs = ResultsStore().finished_runs()
    for name, entry in RUNLIST.items():
        for profile in PROFILES:
            executed = _read_key(executed_path(name, profile).with_suffix(".key"))
            folders = _run_list_folders(name, profile)  # None: every run of the theory and toy chapters
            mine = [r for r in runs if r.info["experiment"] == entry.experiment and r.info["profile"] == profile
                    and (folders is None or r.folder.resolve() in folders)]
            if not executed and not mine:
                continue
            compute = sum(r.info["wall_time_s"] for r in mine)
            lines.append(
                f"| {name} | {profile} | "
                + (f"{executed['seconds']:.0f} s | {executed['device']}" if executed else "not run here | –")
                + (f" | {compute:.0f} s ({len(mine)} run{'' if len(mine) == 1 else 's'}) | {mine[0].info['device']} | "
                   f"{commits_text(r.info for r in mine)} |" if mine else " | none stored | – | – |"))
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=None)
def _run_list_folders(name: str, profile: str):
    """The store folders of a search chapter's runs at ``profile`` (None for the other chapters)."""
    from . import jobs

    if name not in jobs.SEARCH_CHAPTERS:
        return None
    return frozenset(jobs.folder_of(j).resolve() for j in jobs.jobs_for([name], profile))


def stage_book(profile: str) -> Path:
    """Copy book/ and the executed notebooks into build/book-<profile>/ (rebuilt afresh)."""
    source = checkout_file("book", "building the book")
    stage = build_dir() / f"book-{profile}"
    html = stage / "_build"
    keep = html.rename(build_dir() / f".build-cache-{profile}") if html.exists() else None
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(source, stage)
    chapters = stage / "chapters"
    chapters.mkdir(exist_ok=True)
    for name in RUNLIST:
        source = executed_path(name, profile)
        if not source.exists():
            raise ConfigError(f"notebook {name} has not been executed for profile {profile}")
        shutil.copy2(source, chapters / f"{notebook(name).page}.ipynb")
    generated = stage / "_generated"
    generated.mkdir(exist_ok=True)
    (generated / "timings.md").write_text(timings_markdown())
    (generated / "budget.md").write_text(budget.markdown("cpu"))
    (generated / "paper_cost.md").write_text(paper_cost.markdown())
    (generated / "golden_drift.md").write_text(behaviour.drift_markdown())
    if keep is not None:
        keep.rename(html)  # keep Sphinx's cache: unchanged pages are not rebuilt
    return stage


class BookNotOffline(RuntimeError):
    """The built book loads a resource from the network; the message names the first ones."""


def build_book(profile: str, strict: bool = False) -> Path:
    """Run Jupyter Book on the staged sources; ``strict`` turns warnings into errors. The built
    pages are then scanned for remote scripts, stylesheets and fonts (``advnas/offline_book.py``):
    one is an error under ``strict``, a warning line otherwise."""
    stage = stage_book(check_profile(profile))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(stage)]
    if strict:
        command += ["-W", "-n", "--keep-going"]
    subprocess.run(command, check=True)
    html = stage / "_build" / "html"
    remote = offline_book.remote_references(html)
    if remote and strict:
        raise BookNotOffline(offline_book.offline_summary(remote))
    if remote:
        print(f"[advnas] warning: {offline_book.offline_summary(remote)}")
    else:
        print(f"[advnas] offline check: no page under {html} loads a remote script, stylesheet or font")
    return html / "index.html"
