"""Compute the stored runs of a chapter (nb201, zero_op, dense or ptb) for one profile,
outside the book build: every (strategy, seed) through the results store, resumable (rerun
the same command after an interruption). Usage:
    python scripts/runs.py NOTEBOOK [PROFILE] [THREADS]"""

import sys

import torch

from advnas.nb201 import experiment as nb201
from advnas.ptb import experiment as ptb
from advnas.runlist import notebook

name = sys.argv[1]
profile = sys.argv[2] if len(sys.argv) > 2 else "cpu"
if len(sys.argv) > 3:
    torch.set_num_threads(int(sys.argv[3]))
entry = notebook(name)
cfg = entry.resolve(profile)
if entry.experiment == "ptb":
    ptb.run_all(cfg, profile)
else:
    nb201.run_all(cfg, profile)
    if name == "zero_op":
        nb201.run_all(nb201.zero_op_control(cfg), profile)
