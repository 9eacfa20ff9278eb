"""The CUDA path: searches of every strategy on both CIFAR-10 spaces and on PTB, resume after
an interruption, the lean theta step against the plain formula, the memory measurement
through the CUDA allocator, and the batched augmentation on the device.

Marked ``cuda`` and skipped (with the reason) where no GPU is present. ``scripts/gpu_check.sh
--dry-run`` runs the same tests on the CPU (ADVNAS_CUDA_TESTS_DEVICE=cpu), which checks the
tests themselves on a machine without a GPU."""

from __future__ import annotations

import copy
import os

import pytest
import torch
import torch.nn.functional as F

from advnas import distribution, strategies
from advnas.cifar.augment import augment, normalise
from advnas.nb201.experiment import synthetic_data
from advnas.cost.memory import peak_tensor_bytes
from advnas.nb201.search import make_search
from advnas.nb201.search_config import NB201SearchConfig
from advnas.nb201.supernet import SEARCH_OPS, SearchNetwork
from advnas.ptb.config import PTBConfig
from advnas.ptb.experiment import tiny_corpus, trial

DEVICE = torch.device(os.environ.get("ADVNAS_CUDA_TESTS_DEVICE", "cuda"))
pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(DEVICE.type == "cuda" and not torch.cuda.is_available(),
                       reason="no CUDA device here: scripts/gpu_check.sh runs these on a GPU"),
]
SMOKE = dict(channels=4, cells_per_stage=1, batch=8, train_size=16, val_size=16, epochs=3, warmup_epochs=1)
TIMES = ("epoch_seconds", "wall_time_s")


def _search(strategy: str, ops: str, epochs: int = 3):
    data = synthetic_data(16).to(DEVICE)
    return make_search(NB201SearchConfig(**{**SMOKE, "epochs": epochs}, ops=ops), strategy, 0, data, DEVICE)


@pytest.mark.parametrize("ops", ["nb201", "with-none"])
@pytest.mark.parametrize("strategy", strategies.names(paper_only=False))
def test_every_strategy_searches_both_spaces_on_the_device(strategy, ops):
    search = _search(strategy, ops)
    search.run(progress=False)
    assert search.theta.device.type == DEVICE.type and search.theta_steps == 4
    assert all(torch.isfinite(torch.tensor(r["train_loss"])) for r in search.rows)
    summary = search.summary()
    assert summary["final_arch"].count("~") == 6 and 0 <= summary["final_accuracy"] <= 100


@pytest.mark.parametrize("strategy", strategies.names("sparse", paper_only=False))
def test_every_sparse_strategy_runs_a_ptb_trial_on_the_device(strategy):
    cfg = PTBConfig(hidden=8, batch=4, bptt=5, search_epochs=2, epoch_tokens=100, retrain_epochs=1,
                    retrain_epoch_tokens=60, eval_batch=2, eval_tokens=100, curve_tokens=60, seeds=(0,))
    metrics, summary = trial(cfg, strategy, 0, data=tiny_corpus(), device=DEVICE)
    assert summary["test_ppl"] > 1 and len(metrics) > 0


def test_a_resumed_search_ends_as_the_uninterrupted_one():
    whole = _search("advantage", "with-none", epochs=4)
    whole.run(progress=False)
    first = _search("advantage", "with-none", epochs=4)
    first.run(progress=False, until=2)
    state = copy.deepcopy(first.state_dict())
    resumed = _search("advantage", "with-none", epochs=4)
    resumed.load_state_dict(state)
    resumed.run(progress=False)
    assert len(whole.rows) == len(resumed.rows)
    for a, b in zip(whole.rows, resumed.rows):
        numbers = [k for k, v in a.items() if k not in TIMES and isinstance(v, float)]
        assert {k: a[k] for k in numbers} == pytest.approx({k: b[k] for k in numbers}, rel=1e-5, nan_ok=True)
        assert {k: v for k, v in a.items() if k not in numbers and k not in TIMES} == \
            {k: v for k, v in b.items() if k not in numbers and k not in TIMES}
    torch.testing.assert_close(whole.theta, resumed.theta, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ops", [SEARCH_OPS, SEARCH_OPS + ("none",)], ids=["four-ops", "with-none"])
def test_the_lean_theta_step_equals_the_plain_formula_on_the_device(ops):
    torch.manual_seed(0)
    x, y = torch.randn(6, 3, 32, 32, device=DEVICE), torch.randint(0, 10, (6,), device=DEVICE)
    plain = SearchNetwork(3, 2, ops, lean=False).to(DEVICE)
    lean = copy.deepcopy(plain)
    lean.lean = True
    g = torch.Generator().manual_seed(1)
    for _ in range(3):
        gates = distribution.sample(torch.zeros(6, len(ops)), g).to(DEVICE)
        grads = []
        for net in (plain, lean):
            gate = gates.clone().requires_grad_(True)
            loss = F.cross_entropy(net(x, gate), y)
            grads.append((loss.detach(), torch.autograd.grad(loss, gate)[0]))
        torch.testing.assert_close(grads[1][0], grads[0][0])
        torch.testing.assert_close(grads[1][1], grads[0][1], rtol=1e-4, atol=1e-6)


def test_the_memory_measurement_reads_the_allocator():
    size = 64 * 2**20

    def allocate():
        block = torch.empty(size, dtype=torch.uint8, device=DEVICE)
        block.fill_(1)

    peak, method = peak_tensor_bytes(allocate, DEVICE)
    if DEVICE.type == "cuda":
        assert method == "torch.cuda.max_memory_allocated"
    assert size <= peak < size + 8 * 2**20


def test_the_batched_augmentation_runs_on_the_device():
    images = torch.arange(4 * 3 * 32 * 32).remainder(256).to(torch.uint8).view(4, 3, 32, 32).to(DEVICE)
    out = augment(images, torch.Generator(device=DEVICE).manual_seed(0))
    assert out.device.type == DEVICE.type and out.shape == (4, 3, 32, 32) and out.dtype == torch.float32
    padded = normalise(F.pad(images, (4, 4, 4, 4)))
    for i in range(4):  # every output a shifted (and maybe mirrored) window of the padded input
        windows = [padded[i, :, a:a + 32, b:b + 32] for a in range(9) for b in range(9)]
        assert any(torch.allclose(out[i], w) or torch.allclose(out[i], w.flip(-1)) for w in windows)
