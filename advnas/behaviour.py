"""Behaviour fingerprints: a stored result is stale when what its experiment computes has
changed, not when its source text has.

Every experiment has a *golden run*: a few seconds on the CPU with fixed seeds, float64
arithmetic end to end, one thread and deterministic algorithms, whose outputs (the
architectures it chooses, its losses and table entries) are hashed, rounded to ``DIGITS``
significant digits, into the experiment's *digest*. A stored result records the digest of
its experiment at the time it was computed; it is stale when today's digest differs. A
comment, a docstring or code moved between files leaves every golden output, hence every
digest, unchanged; a change to what a search computes changes its golden outputs and makes
its results stale.

Across machines: the golden outputs of the code as committed are kept, at full precision,
in ``behaviour_reference.json`` beside this file. When today's outputs match them within
``RTOL`` (strings, integers and architectures exactly), the committed digest is today's
digest, so a result never looks stale merely because another CPU rounds differently.
``RTOL`` is set an order of magnitude above the largest difference measured between the
golden outputs under torch's CPU kernels (``ATEN_CPU_CAPABILITY`` default, avx2, avx512)
and with oneDNN off (``scripts/measure_golden_drift.py``, stored in ``behaviour_drift.json``).
A test keeps the reference up to date (``python -m advnas results --update-reference``
rewrites it after a deliberate change) and another runs every golden run under torch's
plain kernels and checks it still carries the committed digest.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from . import paths
from .provenance import source_hash
from .atomic import atomic_write_json, read_json

DIGITS = 10  # significant digits of a golden number in the digest
# Tolerance when comparing golden outputs with the reference: relative for numbers above 1,
# absolute below (math.isclose with rel_tol = abs_tol = RTOL). An order of magnitude above
# the largest difference measured across CPU kernels (behaviour_drift.json; a test checks).
RTOL = 1e-11
REFERENCE = paths.PACKAGE_DIR / "behaviour_reference.json"
DRIFT = paths.PACKAGE_DIR / "behaviour_drift.json"

@dataclass(frozen=True)
class Golden:
    """An experiment's golden run: ``function``, "module:function" (a package module, or a
    file of the project's benchmarks/ folder); ``per_strategy``: its outputs are keyed by
    case, each key naming its strategy as one of its "/"-separated parts, so a run records
    the digest of its own strategies' cases only (``part_for``) and a change to one strategy,
    or a strategy added, leaves the other strategies' results fresh."""

    function: str
    per_strategy: bool = False


#: experiment (its folder in the results store) -> its golden run: the one table of them
EXPERIMENTS: dict[str, Golden] = {
    "theory": Golden("advnas.theory.experiment:golden"),
    "toy": Golden("advnas.toy.experiment:golden", per_strategy=True),
    "toy-gradient-study": Golden("advnas.toy.gradient_study:golden"),
    "nb201": Golden("advnas.nb201.experiment:golden", per_strategy=True),
    "gradients": Golden("advnas.gradients.experiment:golden"),
    "ptb": Golden("advnas.ptb.experiment:golden", per_strategy=True),
    "memory-benchmark": Golden("benchmarks/memory.py:golden"),
    "nb201-speed-benchmark": Golden("benchmarks/nb201_speed.py:golden"),
    "toy-speed-benchmark": Golden("benchmarks/toy_speed.py:golden"),
    "ptb-speed-benchmark": Golden("benchmarks/ptb_speed.py:golden"),
    "gradient-reference-benchmark": Golden("benchmarks/gradient_reference.py:golden"),
    "peers-benchmark": Golden("benchmarks/peers.py:golden"),
    "paper-epoch-benchmark": Golden("benchmarks/paper_epoch.py:golden"),
    "convergence-benchmark": Golden("benchmarks/convergence.py:golden"),
}


def check_experiment(name: str) -> str:
    if name not in EXPERIMENTS:
        raise ValueError(f"behaviour must be one of {', '.join(EXPERIMENTS)}; got {name!r}")
    return name


def _function(name: str) -> Callable[[], Any]:
    module, _, function = EXPERIMENTS[check_experiment(name)].function.partition(":")
    if module.endswith(".py"):
        root = paths.checkout_root()
        path = root / module if root else None
        if path is None or not path.exists():
            raise FileNotFoundError(f"the golden run of {name!r} is in {module}, which this installation lacks")
        sys.path.insert(0, str(path.parent))  # a benchmark imports its sibling helpers
        try:
            spec = importlib.util.spec_from_file_location(f"_golden_{path.stem}", path)
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)
        finally:
            sys.path.remove(str(path.parent))
        return getattr(loaded, function)
    return getattr(importlib.import_module(module), function)


@contextlib.contextmanager
def golden_mode() -> Iterator[None]:
    """float64, one thread, deterministic algorithms, CPU; everything restored afterwards."""
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    rng = torch.get_rng_state()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        torch.set_rng_state(rng)


def canonical(value: Any) -> Any:
    """JSON-ready outputs at full precision (non-finite floats as their repr)."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, torch.Tensor):
        return canonical(value.tolist())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    raise TypeError(f"a golden output must be numbers, strings, lists and dicts; got {type(value).__name__}")


def rounded(outputs: Any) -> Any:
    """Canonical outputs with every float rounded to ``DIGITS`` significant digits: what the
    digest hashes (idempotent, so rounded outputs hash as themselves)."""
    if isinstance(outputs, dict):
        return {k: rounded(v) for k, v in outputs.items()}
    if isinstance(outputs, list):
        return [rounded(v) for v in outputs]
    if isinstance(outputs, float):
        return float(f"{outputs:.{DIGITS}g}")
    return outputs


def run_golden(name: str) -> Any:
    """The golden outputs of experiment ``name`` (canonical form, full precision)."""
    function = _function(name)
    with golden_mode():
        return canonical(function())


def hash_outputs(outputs: Any) -> str:
    return hashlib.sha256(json.dumps(rounded(outputs), sort_keys=True).encode()).hexdigest()[:16]


def difference(a: float, b: float) -> float:
    """|a - b| relative to the larger magnitude, absolute below 1: the smallest tolerance t
    with math.isclose(a, b, rel_tol=t, abs_tol=t)."""
    return abs(a - b) / max(abs(a), abs(b), 1.0)


def largest_difference(a: Any, b: Any) -> float:
    """The largest ``difference`` between the numbers of two outputs of the same structure;
    inf when structure, strings, integers or architectures differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return math.inf
        a, b = list(a.values()), [b[k] for k in a]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return math.inf
        return max((largest_difference(x, y) for x, y in zip(a, b)), default=0.0)
    if isinstance(a, float) or isinstance(b, float):
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        return difference(float(a), float(b)) if numbers else math.inf
    return 0.0 if a == b else math.inf


def same_outputs(a: Any, b: Any, rtol: float = RTOL) -> bool:
    """Equal structure, equal strings and integers, floats within ``rtol`` (see ``difference``)."""
    return largest_difference(a, b) <= rtol


def reference() -> dict[str, Any]:
    return read_json(REFERENCE, {})


def part_of(outputs: Any, part: str) -> dict[str, Any]:
    """The golden cases of the strategies of ``part`` (one name, or several joined by ","),
    among keys such as "with-none/advantage/[]" or "gdas"."""
    names = set(part.split(","))
    return {k: v for k, v in outputs.items() if names & set(k.split("/"))}


def part_for(name: str, config: dict[str, Any]) -> str | None:
    """The part of experiment ``name``'s golden run that a run of ``config`` depends on: its
    strategies (joined by ","), for a run of a per-strategy experiment; otherwise None (the whole)."""
    chosen = config.get("strategies") if isinstance(config, dict) else None
    if name in EXPERIMENTS and EXPERIMENTS[name].per_strategy and isinstance(chosen, list) and chosen:
        return ",".join(chosen)
    return None


def digest_of(name: str, outputs: Any, part: str | None = None) -> str:
    """``digest_of_part`` against the committed reference of experiment ``name``."""
    return digest_of_part(reference().get(name), outputs, part)


@functools.lru_cache(maxsize=None)
def _reference_hash() -> str:
    try:
        return hashlib.sha256(REFERENCE.read_bytes()).hexdigest()[:8]
    except OSError:
        return "none"


@functools.lru_cache(maxsize=None)
def _golden_outputs(name: str, source: str) -> Any:
    return run_golden(name)


@functools.lru_cache(maxsize=None)
def digest(name: str, part: str | None = None) -> str:
    """Today's digest of experiment ``name`` (or of its ``part``, see ``part_for``): cached
    per source text of the project, so that the golden run executes once per code change."""
    # the key names the code, the committed reference and the CPU kernels in use (a run of
    # the tests under ATEN_CPU_CAPABILITY=default executes the golden runs again)
    key = f"{name}{'#' + part if part else ''}:{source_hash()}:{_reference_hash()}:{torch.backends.cpu.get_cpu_capability()}"
    path = Path(os.environ.get("ADVNAS_BEHAVIOUR_CACHE") or paths.build_dir() / "behaviour-cache.json")
    cache = read_json(path, {})
    if key not in cache:
        cache[key] = digest_of(name, _golden_outputs(name, source_hash()), part)
        try:
            fresh = {k: v for k, v in cache.items() if f":{source_hash()}:" in k}  # drop old code's entries
            atomic_write_json(path, fresh)
        except OSError:
            pass  # a read-only checkout: the digest is recomputed next time
    return cache[key]


def _stored_precision(entry: dict[str, Any]) -> float:
    """The tolerance at which a reference entry's outputs can be compared: ``RTOL`` for
    full-precision outputs, one unit of the ``DIGITS``-th digit for entries stored rounded
    (written before the reference kept full precision)."""
    return RTOL if entry.get("precision") == "full" else max(RTOL, 10.0 ** (1 - DIGITS))


def drift_markdown() -> str:
    """The measurement behind ``RTOL`` as a Markdown table: the largest difference of each golden
    run from the committed reference under each setting (``behaviour_drift.json``)."""
    drift = read_json(DRIFT)
    if drift is None:
        return "*The golden runs' drift across CPU kernels has not been measured in this checkout.*\n"
    rows = drift["rows"]
    settings = list(dict.fromkeys(r["setting"] for r in rows))
    cell = {(r["golden_run"], r["setting"]): r["largest_difference"] for r in rows}
    headers = [s.replace("ATEN_CPU_CAPABILITY=", "") for s in settings]  # the lead names the variable
    lines = ["| golden run | " + " | ".join(headers) + " |", "|---" * (len(settings) + 1) + "|"]
    for name in dict.fromkeys(r["golden_run"] for r in rows):
        lines.append(f"| {name} | " + " | ".join(_shown_difference(cell.get((name, s))) for s in settings) + " |")
    return (f"Largest difference of each golden run's outputs from the committed reference (relative above 1, "
            f"absolute below; 0 means identical to the last bit), under each value of `ATEN_CPU_CAPABILITY` (default: "
            f"torch's plain kernels) and with oneDNN off, each in a fresh process, measured on "
            f"{drift['cpu']} (native kernels {drift['native_kernels']}, torch {drift['torch']}) at commit "
            f"{drift['git_commit']}. Largest: {_shown_difference(drift['largest'])}; the tolerance is "
            f"{RTOL:.0e}.\n\n" + "\n".join(lines) + "\n")


def _shown_difference(value: float | None) -> str:
    return "–" if value is None else "0" if value == 0 else f"{value:.1e}"


def digest_of_part(before: dict[str, Any] | None, outputs: Any, part: str | None) -> str:
    """The digest of ``outputs``, or of their ``part``: the committed one (``before``, a reference
    entry) while they match the committed outputs within its precision, else their own hash. A
    part's committed digest is recorded in the entry's "parts" (else the hash of the committed part)."""
    mine = outputs if part is None else part_of(outputs, part)
    if before is None:
        return hash_outputs(mine)
    committed = before["outputs"] if part is None else part_of(before["outputs"], part)
    if not same_outputs(mine, committed, _stored_precision(before)):
        return hash_outputs(mine)
    return before["digest"] if part is None else before.get("parts", {}).get(part) or hash_outputs(committed)


def update_reference(names: list[str] | None = None) -> dict[str, Any]:
    """Recompute the golden outputs and write them, at full precision, as the reference. An
    experiment whose outputs still match its committed ones keeps its committed digest (so its
    stored results stay fresh); one whose outputs changed gets the hash of the new outputs."""
    from .strategies import STRATEGIES

    current = reference()
    for name in names or list(EXPERIMENTS):
        outputs = run_golden(name)
        before = current.get(name)
        current[name] = {"digest": digest_of_part(before, outputs, None), "precision": "full", "outputs": outputs}
        if EXPERIMENTS[name].per_strategy:
            current[name]["parts"] = {s: digest_of_part(before, outputs, s) for s in STRATEGIES
                                      if part_of(outputs, s)}
    atomic_write_json(REFERENCE, current)
    digest.cache_clear()
    _golden_outputs.cache_clear()
    _reference_hash.cache_clear()
    return current
