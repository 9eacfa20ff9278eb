import os

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    """A private results store for the test."""
    monkeypatch.setenv("ADVNAS_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path / "results"
