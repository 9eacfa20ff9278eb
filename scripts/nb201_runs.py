"""Compute the CIFAR-10 chapter's stored runs for one profile (default cpu), outside the book
build: every (strategy, seed) through the results store, resumable. Usage:
    python scripts/nb201_runs.py [PROFILE] [THREADS]"""

import sys

import torch

from advnas.nb201.experiment import run_all
from advnas.runlist import notebook

profile = sys.argv[1] if len(sys.argv) > 1 else "cpu"
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))
run_all(notebook("nb201").resolve(profile), profile)
