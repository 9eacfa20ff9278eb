"""Command line: ``advnas --help`` (the console script), or ``python -m advnas --help``.

Errors in the user's input end the command with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path, PureWindowsPath
from typing import Any

from . import __version__
from .config import MAX_SEEDS, PROFILES, SEED_LIMIT, ConfigError, check_seed

# `memory` without --paper-size: a network that measures all nine in about a minute on 2 cores.
QUICK_MEMORY = {"channels": 8, "cells_per_stage": 1, "batch": 32, "iterations": 2}


def _parse_value(text: str) -> Any:
    """Like papermill's -p: int, float, bool/None literals, JSON lists and objects, else the string."""
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    lowered = {"true": True, "false": False, "none": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def _as_flags(error: ConfigError, names: tuple[str, ...]) -> ConfigError:
    """The configuration's parameter name at the head of ``error`` as the command's flag."""
    text = str(error)
    for name in names:
        if text.startswith(f"{name} must "):
            return ConfigError("--" + name.replace("_", "-") + text[len(name):])
    return error


def cmd_variance(args: argparse.Namespace) -> int:
    from .theory import report
    from .theory.config import VarianceConfig

    try:
        cfg = VarianceConfig.from_dict({"edges": args.edges, "ops": args.ops, "seed": args.seed})
    except ConfigError as error:
        raise _as_flags(error, ("edges", "ops", "seed")) from None
    result = report.variance_report(cfg.edges, cfg.ops, cfg.seed)
    print(json.dumps(result) if args.json else report.format_text(result))
    return 0


def _parse_seeds(text: str) -> list[int]:
    """Seeds as "0-9", "0,3,5" or a mix such as "0-2,7": distinct integers in [0, 2**32), at
    most MAX_SEEDS of them (checked before any list is built)."""
    ranges: list[tuple[int, int]] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            ranges.append((int(lo), int(hi or lo)))
    except ValueError:
        raise ConfigError(f"--seeds must look like 0-9 or 0,3,5 (integers in [0, 2**32)); "
                          f"got {text[:80]!r}") from None
    shown = text if len(text) <= 80 else text[:77] + "..."
    if any(not (0 <= lo <= hi < SEED_LIMIT) for lo, hi in ranges):
        raise ConfigError(f"--seeds must name integers in [0, 2**32), ranges low-high; got {shown!r}")
    if sum(hi - lo + 1 for lo, hi in ranges) > MAX_SEEDS:
        raise ConfigError(f"--seeds may name at most {MAX_SEEDS} seeds (every trial is held in memory at "
                          f"once); got {shown!r}")
    seeds = [s for lo, hi in ranges for s in range(lo, hi + 1)]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds must name distinct seeds; got {shown!r}")
    return seeds


def cmd_strategies(args: argparse.Namespace) -> int:
    from .strategies import option_defaults, table1

    rows = [{**row, "options": option_defaults(row["name"])} for row in table1()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<10} {row['method']:<13} {row['propagation']:<7} {row['a_i']:<6} "
                  f"stochastic={row['stochastic']!s:<5} guarantee={row['theoretical_guarantee']!s:<5} "
                  f"final={row['final_architecture']}"
                  + (f"  options: {', '.join(f'{k}={v}' for k, v in row['options'].items())}" if row["options"] else ""))
    return 0


def _check_strategy(name: str, propagation: str | None = None) -> None:
    """One line naming the valid strategies (the registry's, of one propagation for a command
    that supports only that) when ``name`` is not one of them."""
    from .strategies import names

    allowed = names(propagation, paper_only=False)
    if name not in allowed:
        raise ConfigError(f"strategy must be one of {', '.join(allowed)}; got {name[:40]!r}")


def cmd_toy(args: argparse.Namespace) -> int:
    from .runlist import notebook
    from .toy import experiment

    _check_strategy(args.strategy)
    overrides = {"seeds": _parse_seeds(args.seeds), "strategies": [args.strategy]}
    if args.iterations is not None:
        overrides["iterations"] = args.iterations
    cfg = notebook("toy").resolve(args.profile, overrides)
    run = experiment.run_at(cfg, args.strategy, args.profile, Path(args.out).resolve(), recompute=args.recompute)
    print(json.dumps(run.summary, indent=2) if args.json else _what_was_done("toy run", run))
    return 0


def _what_was_done(what: str, run) -> str:
    """The command's last line: whether it computed the run, or found it finished in its folder
    (a rerun into a finished --out computes nothing, and must not look as if it had)."""
    if run.computed:
        return f"[advnas] {what} computed and written to {run.folder}"
    return f"[advnas] {what} reused from {run.folder}, nothing computed (--recompute to compute it afresh)"


def _api_error(error: ValueError) -> ConfigError:
    """The benchmark's messages name it "api ...": on the command line, the flag --api."""
    text = str(error)
    return ConfigError("--" + text if text.startswith("api ") else text)


def _load_api(path: str):
    from .data.nb201_benchmark import load_api

    try:
        return load_api(Path(path))
    except ValueError as error:
        raise _api_error(error) from None


def cmd_nb201_lookup(args: argparse.Namespace) -> int:
    from .nb201.lookup import lookup

    try:
        result = lookup(args.arch, _load_api(args.api) if args.api else None)
    except ValueError as error:
        raise _api_error(error) from None
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['arch']}\n  index {result['index']}, CIFAR-10 test accuracy {result['cifar10']:.2f} %, "
              f"{result['params_mb']:.2f} M parameters ({result['source']})")
    return 0


def cmd_nb201_search(args: argparse.Namespace) -> int:
    from .nb201 import experiment
    from .runlist import notebook
    _check_strategy(args.strategy)
    check_seed("--seed", args.seed)
    overrides = {"strategies": [args.strategy], "seeds": [args.seed], "ops": args.ops}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    cfg = notebook("nb201").resolve(args.profile, overrides)
    benchmark = _load_api(args.api) if args.api else None
    run = experiment.SEARCHES.run_at(cfg, args.strategy, args.seed, args.profile, Path(args.out).resolve(),
                                     progress=not args.quiet, recompute=args.recompute, benchmark=benchmark)
    summary = {k: v for k, v in run.summary.items() if k != "theta"}
    print(json.dumps(summary, indent=2) if args.json else
          f"{_what_was_done('nb201 search', run)}; argmax {summary['argmax_accuracy']:.2f} %, "
          f"process best {summary['process_best_accuracy'] or float('nan'):.2f} %")
    return 0


def cmd_nb201_gradients(args: argparse.Namespace) -> int:
    from .gradients import experiment, study
    from .strategies import names

    allowed = names("sparse", paper_only=False)
    if args.strategy not in allowed:
        raise ConfigError(f"--strategy must be one of {', '.join(allowed)}; got {args.strategy!r}")
    if args.draws < 2:
        raise ConfigError(f"--draws must be an integer >= 2; got {args.draws}")
    folder = Path(args.checkpoint)
    if not folder.is_dir():
        raise ConfigError(f"--checkpoint must be a folder (a gradient-study snapshot, or an unfinished CIFAR-10 "
                          f"search); {folder} is not one")
    try:
        search, _, losses = experiment.load_snapshot(folder)
    except (FileNotFoundError, KeyError, ValueError) as error:
        raise ConfigError(f"--checkpoint: {error}") from None
    seed = search.seed
    images, labels = study.fixed_minibatch(search, seed, search.epoch)
    if losses is None:  # an unfinished search's checkpoint: the exact reference is computed here
        losses = study.measure_losses(search, images, labels, progress=not args.quiet)
    point = study.Point(search, images, labels, losses)
    rows = study.measure_point(point, [args.strategy], args.draws, seed, lambda name: {},
                               progress=not args.quiet)
    result = {"strategy": args.strategy, "epoch": search.epoch, "theta_steps": search.theta_steps,
              **study.point_summary(point), "against": {row["target"]: row for row in rows}}
    if args.json:
        print(json.dumps(result, indent=2, default=float))
    else:
        for row in rows:
            print(f"{args.strategy} against {row['target']} at epoch {search.epoch}: bias {row['bias_norm']:.3g} "
                  f"(SE {row['bias_se']:.2g}, chi-square p {row['bias_p']:.2g}), variance {row['variance']:.3g} "
                  f"(SE {row['variance_se']:.2g}), cosine {row['cosine']:.3f}")
    return 0


def cmd_ptb_search(args: argparse.Namespace) -> int:
    from .ptb import experiment
    from .runlist import notebook
    _check_strategy(args.strategy, "sparse")
    check_seed("--seed", args.seed)
    cfg = notebook("ptb").resolve(args.profile, {"seeds": [args.seed], "strategies": [args.strategy]})
    run = experiment.TRIALS.run_at(cfg, args.strategy, args.seed, args.profile, Path(args.out).resolve(),
                                   recompute=args.recompute)
    keys = ("arch", "val_ppl", "test_ppl", "params", "search_tokens_per_s", "retrain_tokens_per_s")
    print(json.dumps({k: run.summary[k] for k in keys}, indent=2) if args.json
          else _what_was_done("ptb run", run))
    return 0


def _check_device(text: str | None) -> str | None:
    """cpu, cuda or cuda:N, and CUDA only where it is present (one line otherwise)."""
    if text is None:
        return None
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise ConfigError(f"--device must be cpu or cuda (cuda:N); got {text[:40]!r}") from None
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"--device must be cpu or cuda (cuda:N); got {text[:40]!r}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {text}: no CUDA device is available here; use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"--device {text}: only {torch.cuda.device_count()} CUDA device(s) here")
    return text


def cmd_memory(args: argparse.Namespace) -> int:
    from .cost import memory

    _check_device(args.device)
    size = {} if args.paper_size else dict(QUICK_MEMORY)  # MemoryConfig's defaults are the paper's
    given = {"channels": args.channels, "cells_per_stage": args.cells_per_stage, "batch": args.batch,
             "iterations": args.iterations}
    size.update({k: v for k, v in given.items() if v is not None})
    try:
        cfg = memory.MemoryConfig.from_dict({
            "strategies": args.strategies.split(",") if args.strategies else list(memory.MemoryConfig.strategies),
            "ops": args.ops, "extra_conv3x3": args.extra_conv3x3, "cell_seed": args.cell_seed, **size})
    except ConfigError as error:
        raise _as_flags(error, ("channels", "cells_per_stage", "batch", "ops", "extra_conv3x3", "iterations",
                                "cell_seed")) from None
    rows = []
    start = time.perf_counter()
    print(f"[advnas] memory: {len(cfg.strategies)} measurements at C = {cfg.channels}, {cfg.cells_per_stage} "
          f"cell(s) per stage, batch {cfg.batch}, each in a fresh process", file=sys.stderr, flush=True)
    for k, name in enumerate(cfg.strategies, 1):
        print(f"[advnas] memory {k}/{len(cfg.strategies)}: {name} ({time.perf_counter() - start:.0f} s so far)",
              file=sys.stderr, flush=True)
        row = memory.measure(name, cfg.channels, cfg.cells_per_stage, cfg.batch, cfg.ops,
                             cfg.extra_conv3x3, cfg.iterations, args.device, cfg.cell_seed)
        rows.append(row)
        if not args.json:
            print(f"{name:>10}  peak {row['peak_bytes'] / 2**20:9.1f} MiB  "
                  f"{row['seconds_per_iteration']:.3f} s/iteration  ({row['device']}, {row['method']})",
                  flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from . import behaviour
    from .store import ResultsStore

    if args.update_reference:
        behaviour.update_reference()
        print(f"[advnas] golden outputs and digests written to {behaviour.REFERENCE}")
        return 0
    runs = ResultsStore().finished_runs()
    shown = 0
    for run in runs:
        stale = run.is_stale()
        if args.stale and not stale:
            continue
        shown += 1
        where = run.folder.relative_to(run.folder.parents[2])
        print(f"{'stale' if stale else 'fresh':<6} {where}  ({run.info['behaviour']['experiment']})")
    if not args.stale:
        print(f"[advnas] {len(runs)} stored results")
    elif not shown:
        print("[advnas] no stored result is stale")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from . import runner
    from .runlist import RUNLIST, notebook

    overrides = {name: _parse_value(value) for name, value in args.parameter}
    names = args.notebooks or list(RUNLIST)
    for name in names:
        notebook(name)
    if overrides and len(names) != 1:
        raise ConfigError("-p/--parameter needs exactly one notebook name")
    recompute = args.recompute
    if _fan_out(args, names, overrides):
        recompute = False  # the cluster recomputed them; the notebooks read them
    for name in names:
        out = runner.execute(name, args.profile, overrides, output=args.output,
                             force=args.force or args.recompute, recompute=recompute,
                             overwrite=args.force)
        print(f"[advnas] executed notebook: {out}")
    return 0


def _fan_out(args: argparse.Namespace, names: list[str], overrides: dict) -> bool:
    """With --workers or --scheduler: compute the notebooks' stored runs on a Dask cluster
    first (advnas/jobs.py). False when neither was given (the notebooks compute in-process)."""
    from . import jobs

    scheduler = args.scheduler or os.environ.get(jobs.SCHEDULER_ENV) or None
    if args.workers is None and scheduler is None:
        return False
    if args.workers is not None and scheduler is not None:
        raise ConfigError("--workers starts a local cluster and --scheduler uses an existing one; give one of them")
    todo = jobs.jobs_for(names, args.profile, overrides, recompute=args.recompute)
    print(f"[advnas] {len(todo)} runs on " + (f"the cluster at {scheduler}" if scheduler else
                                             f"a local cluster of {args.workers} workers"), file=sys.stderr)
    jobs.run_on_cluster(todo, args.workers, scheduler)
    return True


def cmd_book(args: argparse.Namespace) -> int:
    from . import runner

    from .runlist import RUNLIST

    recompute = False if _fan_out(args, list(RUNLIST), {}) else args.recompute
    for name in RUNLIST:
        runner.execute(name, args.profile, force=args.recompute, recompute=recompute)
    index = runner.build_book(args.profile, strict=args.strict)
    print(f"[advnas] the book ({args.profile} profile) is at {index}")
    return 0


def program_name(argv0: str | None = None) -> str:
    """The command as the user invoked it, for the usage line and --version: the console
    script's name (``advnas``; ``advnas.exe`` on Windows shows as ``advnas``), or
    ``python -m advnas`` when run as a module."""
    argv0 = (sys.argv[0] if sys.argv else "") if argv0 is None else argv0
    name = PureWindowsPath(argv0).name  # either separator: / or a backslash
    if name == "__main__.py":
        return "python -m advnas"
    if name in ("", "-c"):
        return "advnas"
    return name[:-4] if name.lower().endswith(".exe") else name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=program_name(), description=(
        "AdvantageNAS companion: run the book's notebooks, build the book, and the "
        "experiments' command-line entry points."))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("variance", help="exact mean and variance of REINFORCE and advantage "
                       "gradients on a random linear reward (Sec. 4.4)")
    p.add_argument("--edges", type=int, required=True, help="number of edges |I|")
    p.add_argument("--ops", type=int, required=True, help="candidate operations per edge |J|")
    p.add_argument("--seed", type=int, default=0, help="seed drawing r and mu (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_variance)

    p = sub.add_parser("strategies", help="the eight search strategies and their properties (Table 1)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("toy", help="the toy regression search of Sec. 5.1 for one strategy")
    p.add_argument("--strategy", required=True, help=_strategy_help())
    p.add_argument("--seeds", default="0-9", help="trial seeds, e.g. 0-9 or 0,3,5: at most 1000 "
                   "distinct integers in [0, 2**32) (default 0-9)")
    p.add_argument("--iterations", type=int, default=None, help="theta steps (default: the profile's)")
    p.add_argument("--profile", default="cpu", choices=PROFILES,
                   help="smoke (40 iterations), cpu (default) or paper; cpu and paper both run "
                   "the paper's 2000 iterations")
    p.add_argument("--out", required=True, help="the run folder to write (metrics.csv, summary.json)")
    p.add_argument("--recompute", action="store_true", help="discard the run in --out (finished, unfinished or corrupt) "
                   "and compute it afresh; only a folder advnas wrote is touched")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_toy)

    p = sub.add_parser("nb201", help="NAS-Bench-201: look up a cell, or search CIFAR-10 (Sec. 5.2)")
    nb = p.add_subparsers(dest="nb201_command", required=True, metavar="SUBCOMMAND")
    q = nb.add_parser("lookup", help="CIFAR-10 test accuracy (200 epochs) and parameters of a cell")
    q.add_argument("arch", help="e.g. '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|...~2|'")
    q.add_argument("--api", default=None, help="the official benchmark file instead of the shipped table: "
                   "NAS-Bench-201's .pth (nas-bench-201) or NATS-Bench's NATS-tss-* file or folder (needs nats_bench)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_nb201_lookup)
    q = nb.add_parser("search", help="one CIFAR-10 cell search (one strategy, one seed), evaluated on "
                      "NAS-Bench-201; resumes from its checkpoint when interrupted")
    q.add_argument("--strategy", required=True, help=_strategy_help())
    q.add_argument("--profile", default="cpu", choices=PROFILES,
                   help="smoke (seconds), cpu (default; reduced network and data) or paper (App. D)")
    q.add_argument("--seed", type=int, default=0, help="trial seed, an integer in [0, 2**32) (default 0)")
    q.add_argument("--ops", default="nb201", choices=("nb201", "with-none"),
                   help="nb201: the 4 operations of Sec. 5.2 (default); with-none: add the zero "
                   "operation (App. F, Table 4)")
    q.add_argument("--epochs", type=int, default=None, help="total epochs (default: the profile's)")
    q.add_argument("--api", default=None, help="score the found cells with the official benchmark file "
                   "instead of the shipped table (as for nb201 lookup --api)")
    q.add_argument("--out", required=True, help="the run folder to write (metrics.csv, summary.json)")
    q.add_argument("--recompute", action="store_true", help="discard the run in --out (finished, unfinished or corrupt) "
                   "and compute it afresh; only a folder advnas wrote is touched")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(func=cmd_nb201_search)
    q = nb.add_parser("gradients", help="bias, variance and cosine of one strategy's theta-gradient against the "
                      "exact gradient (all 4,096 cells), at a saved search state")
    q.add_argument("--strategy", required=True, help="a sparse strategy, or random")
    q.add_argument("--checkpoint", required=True, help="a snapshot folder of the gradient study "
                   "(results/gradients/<profile>/<run>/snapshots/<point>) or an unfinished CIFAR-10 search's "
                   "run folder")
    q.add_argument("--draws", type=int, default=200, help="independent gradient draws (default 200)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_nb201_gradients)

    p = sub.add_parser("ptb", help="the recurrent cell search on Penn Treebank (Sec. 5.3)")
    pt = p.add_subparsers(dest="ptb_command", required=True, metavar="SUBCOMMAND")
    q = pt.add_parser("search", help="search with one strategy, retrain the cell, evaluate perplexity; "
                      "resumes from its checkpoint when interrupted")
    q.add_argument("--strategy", required=True, help=_strategy_help("sparse"))
    q.add_argument("--profile", default="cpu", choices=PROFILES,
                   help="smoke (seconds), cpu (default; a reduced network and corpus, minutes on 2 cores) or "
                   "paper (App. E; hours a trial, for a GPU)")
    q.add_argument("--seed", type=int, default=0, help="trial seed, an integer in [0, 2**32) (default 0)")
    q.add_argument("--out", required=True, help="the run folder to write (metrics.csv, summary.json)")
    q.add_argument("--recompute", action="store_true", help="discard the run in --out (finished, unfinished or corrupt) "
                   "and compute it afresh; only a folder advnas wrote is touched")
    q.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    q.set_defaults(func=cmd_ptb_search)

    p = sub.add_parser("memory", help="peak memory and time of one CIFAR-10 search iteration per strategy "
                       "(each measured in a fresh process; peak of tensor memory: CUDA allocator, or on CPU "
                       "torch.profiler's memory records)")
    p.add_argument("--strategies", default=None, help="comma-separated names from: " + _strategy_help()
                   + "; 'plain' is ordinary training of one sampled cell (default: the paper's eight and plain)")
    p.add_argument("--paper-size", action="store_true", help="the paper's network: C = 16, 5 cells per stage, "
                   "batch 64, 3 timed iterations (several minutes on a 2-core CPU); without it a quick size "
                   f"(C = {QUICK_MEMORY['channels']}, {QUICK_MEMORY['cells_per_stage']} cell per stage, batch "
                   f"{QUICK_MEMORY['batch']}, {QUICK_MEMORY['iterations']} timed iterations: about a minute)")
    p.add_argument("--channels", type=int, default=None, help="C of the first stage (overrides the size)")
    p.add_argument("--cells-per-stage", type=int, default=None, help="cells per stage (overrides the size)")
    p.add_argument("--batch", type=int, default=None, help="batch size (overrides the size)")
    p.add_argument("--ops", default="nb201", choices=("nb201", "with-none"), help="candidate operations")
    p.add_argument("--extra-conv3x3", type=int, default=0, help="extra copies of conv 3x3 per edge (|J| trend)")
    p.add_argument("--iterations", type=int, default=None, help="timed iterations after two untimed "
                   "(overrides the size)")
    p.add_argument("--cell-seed", type=int, default=0, help="seed of the uniformly sampled cell that plain "
                   "training and every sampling strategy run (default 0)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per strategy")
    p.set_defaults(func=cmd_memory)

    p = sub.add_parser("results", help="list the stored results and whether each is stale (its experiment's "
                       "golden run computes something else today)")
    p.add_argument("--stale", action="store_true", help="list only the stale ones")
    p.add_argument("--update-reference", action="store_true", help="recompute every golden run and write its "
                   "outputs as the reference (after a deliberate change of behaviour)")
    p.set_defaults(func=cmd_results)

    p = sub.add_parser("run", help="execute notebooks with papermill (skips unchanged ones)")
    p.add_argument("notebooks", nargs="*", help="notebook names from the run list (default: all)")
    p.add_argument("--profile", default="cpu", choices=PROFILES, help="default: cpu")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="override one parameter (one notebook only)")
    p.add_argument("--output", type=_path, default=None, help="where to write the executed notebook")
    p.add_argument("--force", action="store_true", help="execute even if unchanged, and overwrite an "
                   "--output file (and its .key) that this command did not write")
    p.add_argument("--recompute", action="store_true", help="recompute stored results too")
    _cluster_arguments(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("book", help="execute every notebook, then build the HTML book")
    p.add_argument("--profile", default="cpu", choices=PROFILES, help="default: cpu")
    p.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    p.add_argument("--recompute", action="store_true", help="recompute every stored result")
    _cluster_arguments(p)
    p.set_defaults(func=cmd_book)
    return parser


def _cluster_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="compute the stored runs first on a Dask LocalCluster of N worker processes "
                   "(one GPU each on CUDA); the notebooks then read them")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="as --workers, on an existing Dask cluster (tcp://HOST:8786; default: "
                   "$ADVNAS_SCHEDULER)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _strategy_help(propagation: str | None = None) -> str:
    """The registered strategy names (the registry is the only list)."""
    from .strategies import names

    listed = names(propagation, paper_only=False)
    return ", ".join(listed[:-1]) + " or " + listed[-1]


def _path(text: str):
    return Path(text).resolve()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # one line for known failures, full traceback otherwise
        from .data import DataError
        from .jobs import JobsFailed
        from .runner import BookNotOffline, NotebookFailed
        if isinstance(error, (NotebookFailed, DataError, JobsFailed, BookNotOffline)):
            print(f"error: {error}", file=sys.stderr)
            return 1
        if isinstance(error, OSError):  # a full disk, a vanished folder: one line, not a traceback
            print(f"error: {error.strerror or error}"
                  + (f": {error.filename}" if getattr(error, "filename", None) else ""), file=sys.stderr)
            return 1
        raise
