import pytest
import torch

from advnas import distribution
from advnas.nb201.network import params_mb, parse_arch
from advnas.nb201.supernet import EDGES, SEARCH_OPS, SearchNetwork


@pytest.fixture
def net():
    torch.manual_seed(0)
    return SearchNetwork(channels=4, cells_per_stage=1).eval()


def test_sparse_and_dense_agree_in_value_and_on_computed_gates(net):
    x = torch.randn(2, 3, 16, 16)
    a = distribution.sample(torch.zeros(6, 4), torch.Generator().manual_seed(1))
    sparse_gates = a.clone().requires_grad_(True)
    dense_gates = a.clone().requires_grad_(True)
    ys, yd = net(x, sparse_gates), net(x, dense_gates, dense=True)
    torch.testing.assert_close(ys, yd)
    (gs,) = torch.autograd.grad(ys.square().sum(), sparse_gates)
    (gd,) = torch.autograd.grad(yd.square().sum(), dense_gates)
    selected = a.bool()
    torch.testing.assert_close(gs[selected], gd[selected])  # Eq. (7) for the selected ops
    assert torch.all(gs[~selected] == 0) and torch.any(gd[~selected] != 0)


def test_ones_surrogate_routes_the_edge_gradient(net):
    x = torch.randn(2, 3, 16, 16)
    a = distribution.one_hot(torch.zeros(6, dtype=torch.long), 4).requires_grad_(True)  # all skip
    y = net(x, a, skipped="ones")
    (g,) = torch.autograd.grad(y.sum(), a)
    assert torch.all(g[:, 1:] != 0)


def test_unselected_operations_are_not_run(net):
    """Sparse propagation runs only the selected operations (an unselected convolution's weight
    takes no part in the loss), dense propagation every one."""
    conv = net.layers[0].candidates[0][SEARCH_OPS.index("nor_conv_3x3")]
    a = distribution.one_hot(torch.zeros(6, dtype=torch.long), 4)
    for dense in (False, True):
        net.zero_grad(set_to_none=True)
        net(torch.randn(1, 3, 16, 16), a, dense=dense).sum().backward()
        assert (conv[1].weight.grad is not None) == dense


def test_arch_string_round_trip(net):
    a = distribution.one_hot(torch.tensor([2, 1, 0, 3, 2, 2]), 4)
    arch = net.arch_string(a)
    assert [op for _, _, op in parse_arch(arch)] == [SEARCH_OPS[k] for k in (2, 1, 0, 3, 2, 2)]
    assert [(s, t) for s, t, _ in parse_arch(arch)] == list(EDGES)
    assert params_mb(arch) > 0


def test_bad_gate_shape_is_rejected(net):
    with pytest.raises(ValueError, match="gates must have shape"):
        net(torch.randn(1, 3, 16, 16), torch.ones(5, 4))
