"""The dense mixed operation summed in one autograd function (advnas/nb201/mixing.py), its
convolutions gated in their batch norms: the values and gradients of the term-by-term formula, no more kept tensors, and GDAS's skipped
gates routed once per node with the same gradients bit for bit."""

import copy

import pytest
import torch
import torch.nn.functional as F

from advnas.nb201.mixing import weighted_sum
from advnas.nb201.supernet import SEARCH_OPS, SearchNetwork

WITH_NONE = SEARCH_OPS + ("none",)


def _pair(ops, **kwargs):
    torch.manual_seed(0)
    plain = SearchNetwork(3, 2, ops, fused=False, **kwargs).double()
    fused = copy.deepcopy(plain)
    fused.fused = True
    return plain, fused


def _step(net, x, y, gates, dense, skipped="zero", gate_grad=True):
    net.zero_grad()
    g = gates.clone().requires_grad_(gate_grad)
    loss = F.cross_entropy(net(x, g, dense=dense, skipped=skipped), y)
    loss.backward()
    return loss.detach(), g.grad, [p.grad for p in net.parameters()]


def test_weighted_sum_equals_its_terms_with_their_gradients():
    torch.manual_seed(3)
    gates = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    index = [(0, 1), (2, 3), (5, 0), (0, 1)]  # a gate used twice accumulates both terms
    outs = [torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True) for _ in index]
    assert torch.autograd.gradcheck(lambda g, *o: weighted_sum(g, index, list(o)), (gates, *outs))


@pytest.mark.parametrize("ops", [SEARCH_OPS, WITH_NONE], ids=["four-ops", "with-none"])
@pytest.mark.parametrize("relaxation", ["softmax", "binary"])
@pytest.mark.parametrize("step", ["theta", "weight"])
def test_dense_network_equals_the_term_by_term_formula(ops, relaxation, step):
    """The theta step (gates with a gradient) and the weight step (gates without one)."""
    plain, fused = _pair(ops)
    x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (4,))
    for seed in range(3):
        theta = torch.randn(6, len(ops), dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
        gates = torch.softmax(theta, -1)
        if relaxation == "binary":  # NASP: one-hot values, every operation computed
            gates = F.one_hot(theta.argmax(-1), len(ops)).double()
        (loss_p, gate_p, params_p), (loss_f, gate_f, params_f) = (_step(n, x, y, gates, True, gate_grad=step == "theta")
                                                                  for n in (plain, fused))
        torch.testing.assert_close(loss_f, loss_p, rtol=1e-12, atol=0)
        if step == "theta":
            torch.testing.assert_close(gate_f, gate_p, rtol=1e-10, atol=1e-14)
        for a, b in zip(params_p, params_f):
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-14)


def test_gdas_skipped_gates_routed_once_per_node_bit_for_bit():
    """Sum dL/d(node) reaches every skipped gate as before, bit for bit (the gates are 0, so
    adding their sum once changes no value)."""
    for lean in (False, True):
        plain, fused = _pair(WITH_NONE, lean=lean)
        x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (4,))
        for seed in range(3):
            choice = torch.randint(0, len(WITH_NONE), (6,), generator=torch.Generator().manual_seed(seed))
            gates = F.one_hot(choice, len(WITH_NONE)).double()
            a, b = (_step(n, x, y, gates, False, skipped="ones") for n in (plain, fused))
            skipped = F.one_hot(choice, len(WITH_NONE)) == 0
            assert torch.equal(a[0], b[0]) and torch.equal(a[1][skipped], b[1][skipped])
            assert (a[1][skipped] != 0).any()  # the skipped gates got gradient
            # the computed gates: summed by weighted_sum when not lean, equal up to rounding
            torch.testing.assert_close(b[1], a[1], rtol=1e-10, atol=1e-14)


def test_fused_dense_forward_keeps_less_than_the_plain_formula():
    """The convolutions' gated outputs are not kept (their gates are folded into the batch norms)."""
    plain, fused = _pair(WITH_NONE)
    x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (4,))
    gates = torch.softmax(torch.randn(6, len(WITH_NONE), dtype=torch.float64), -1).requires_grad_(True)

    def saved(net):
        storages = {}

        def pack(t):
            storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            F.cross_entropy(net(x, gates, dense=True), y)
        return sum(storages.values())

    assert saved(fused) < saved(plain)
