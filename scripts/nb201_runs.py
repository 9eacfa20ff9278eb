"""Compute the stored runs of a CIFAR-10 chapter (nb201, zero_op or dense) for one profile,
outside the book build: every (strategy, seed) through the results store, resumable (rerun
the same command after an interruption). Usage:
    python scripts/nb201_runs.py NOTEBOOK [PROFILE] [THREADS]"""

import sys

import torch

from advnas.nb201.experiment import run_all
from advnas.runlist import notebook

name = sys.argv[1]
profile = sys.argv[2] if len(sys.argv) > 2 else "cpu"
if len(sys.argv) > 3:
    torch.set_num_threads(int(sys.argv[3]))
run_all(notebook(name).resolve(profile), profile)
