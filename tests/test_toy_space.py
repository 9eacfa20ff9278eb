import itertools
import time

import pytest
import torch
import torch.nn.functional as F

from advnas import distribution as D
from advnas.toy import ToySpace


@pytest.fixture(scope="module")
def space():
    return ToySpace.create(3, n_edges=4, n_ops=5, seeds=[0, 7, 11])


def test_shapes_and_weight_statistics():
    s = ToySpace.create(2)
    assert (s.n_trials, s.n_edges, s.n_ops, s.device) == (2, 10, 10, torch.device("cpu"))
    assert s.w7.shape == (2, 10, 10, 7, 7) and s.w4.shape == (2, 10, 4, 4)
    assert torch.all(s.teacher.sum(-1) == 1) and torch.all((s.teacher == 0) | (s.teacher == 1))
    assert abs(s.w7.std().item() - 1 / 7) < 0.01 and abs(s.w4.std().item() - 1 / 4) < 0.03
    x = s.sample_inputs(8)
    assert x.shape == (2, 8, 13, 13) and x.min() >= -1 and x.max() <= 1
    c = s.candidates(x)
    assert c.shape == (2, 8, 10, 10, 16) and not c.requires_grad
    assert s.output(c, s.teacher, dense=True).shape == (2, 8)
    assert s.loss(c, s.teacher, s.teacher_output(c), dense=False).shape == (2,)


def test_candidates_are_the_stride_2_convolutions(space):
    x = space.sample_inputs(6)
    c = space.candidates(x)
    for t in range(space.n_trials):
        weight = space.w7[t].reshape(-1, 1, 7, 7)
        conv = F.conv2d(x[t][:, None], weight, stride=2)  # (B, E*J, 4, 4)
        expected = conv.reshape(6, space.n_edges, space.n_ops, 16)
        torch.testing.assert_close(c[t], expected, rtol=1e-5, atol=1e-5)


def test_teacher_has_exactly_zero_test_loss_and_others_do_not(space):
    assert torch.equal(space.test_loss(space.teacher), torch.zeros(3))
    # theta whose argmax is the teacher also scores exactly 0
    assert torch.equal(space.test_loss(space.teacher * 3 + 0.1), torch.zeros(3))
    other = space.teacher.roll(1, dims=-1)  # a different op on every edge
    assert torch.all(space.test_loss(other) > 0)


def test_stacked_trial_equals_single_trial_space():
    stacked = ToySpace.create(3, n_edges=4, n_ops=5)
    x_stacked = stacked.sample_inputs(10)
    theta = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(3))
    y_stacked = stacked.output(stacked.candidates(x_stacked), D.argmax(theta), dense=False)
    for t in range(3):
        single = ToySpace.create(1, n_edges=4, n_ops=5, seeds=[t])
        assert torch.equal(single.w7[0], stacked.w7[t]) and torch.equal(single.w4[0], stacked.w4[t])
        assert torch.equal(single.teacher[0], stacked.teacher[t])
        x = single.sample_inputs(10)
        assert torch.equal(x[0], x_stacked[t])
        y = single.output(single.candidates(x), D.argmax(theta[t:t + 1]), dense=False)
        torch.testing.assert_close(y[0], y_stacked[t], rtol=1e-6, atol=1e-7)


def test_inputs_are_reproducible_and_accept_an_explicit_generator():
    a, b = ToySpace.create(2, 3, 3), ToySpace.create(2, 3, 3)
    assert torch.equal(a.sample_inputs(5), b.sample_inputs(5))
    assert not torch.equal(a.sample_inputs(5), a.sample_inputs(5))
    g1, g2 = torch.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    assert torch.equal(a.sample_inputs(5, generator=g1), b.sample_inputs(5, generator=g2))


def _dl_du(space, c, gates, target):
    """dL/du_i (T, B, E, 16) by hand: L = mean_b (y_b - t_b)^2, y = mean_i <W4_i, tanh(u_i)>."""
    u = torch.einsum("tbejp,tej->tbep", c, gates)
    y = (torch.tanh(u) * space.w4.flatten(-2)[:, None]).sum(-1).mean(-1)
    dl_dy = 2 * (y - target) / c.shape[1]
    return dl_dy[..., None, None] / space.n_edges * space.w4.flatten(-2)[:, None] * (1 - torch.tanh(u) ** 2)


def _gate_grad(space, c, gates, target, **kw):
    gates = gates.clone().requires_grad_()
    space.loss(c, gates, target, **kw).sum().backward()
    return gates.grad


def test_gate_gradients_follow_eq7_and_the_skipping_rules():
    s = ToySpace.create(2, n_edges=3, n_ops=4, dtype=torch.float64)
    x = s.sample_inputs(20)
    c = s.candidates(x)
    target = s.teacher_output(c)
    a = D.one_hot(torch.tensor([[1, 0, 3], [2, 2, 0]]), 4, dtype=torch.float64)
    assert not torch.equal(a, s.teacher)
    dl_du = _dl_du(s, c, a, target)
    inner_c = torch.einsum("tbep,tbejp->tej", dl_du, c)  # <dL/du_i, c_ij> for every op
    inner_1 = dl_du.sum(dim=(1, 3))[..., None].expand_as(a)  # <dL/du_i, ones>
    selected = a.bool()

    dense = _gate_grad(s, c, a, target, dense=True)
    torch.testing.assert_close(dense, inner_c)
    zero = _gate_grad(s, c, a, target, dense=False)
    torch.testing.assert_close(zero[selected], inner_c[selected])  # Eq. (7), pre-tanh
    assert torch.all(zero[~selected] == 0)
    ones = _gate_grad(s, c, a, target, dense=False, skipped="ones")
    torch.testing.assert_close(ones[selected], inner_c[selected])
    torch.testing.assert_close(ones[~selected], inner_1[~selected])
    assert torch.all(inner_c[selected] != 0) and torch.all(inner_1 != 0)
    # the skipping only reroutes gradients: forward values agree across modes
    assert torch.equal(s.output(c, a, dense=False, skipped="ones"), s.output(c, a, dense=True))


def test_unknown_skipped_mode_is_rejected(space):
    c = space.candidates(space.sample_inputs(2))
    with pytest.raises(ValueError, match="skipped"):
        space.output(c, space.teacher, dense=False, skipped="nan")


def test_expected_loss_is_the_probability_weighted_sum_and_differentiable():
    s = ToySpace.create(2, n_edges=3, n_ops=3, dtype=torch.float64)
    x = s.sample_inputs(16)
    theta = torch.randn(2, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    c = s.candidates(x)
    target = s.teacher_output(c)
    manual = torch.zeros(2, dtype=torch.float64)
    for ops in itertools.product(range(3), repeat=3):
        a = D.one_hot(torch.tensor(ops), 3, dtype=torch.float64)
        p = D.probabilities(theta)[:, torch.arange(3), list(ops)].prod(-1)
        manual += p * s.loss(c, a.expand(2, 3, 3), target, dense=False)
    theta.requires_grad_()
    expected = s.expected_loss(theta, x)
    torch.testing.assert_close(expected, manual, rtol=1e-10, atol=1e-14)
    assert torch.all(expected > 0)

    (grad,) = torch.autograd.grad(expected.sum(), theta)
    assert grad.abs().max() > 0
    eps = 1e-6
    for index in [(0, 0, 0), (0, 2, 1), (1, 1, 2)]:
        bump = torch.zeros_like(theta)
        bump[index] = eps
        with torch.no_grad():
            fd = (s.expected_loss(theta + bump, x) - s.expected_loss(theta - bump, x)) / (2 * eps)
        torch.testing.assert_close(grad[index], fd[index[0]], rtol=1e-5, atol=1e-11)


def test_speed_sanity_print():
    s = ToySpace.create(10)
    theta = D.init_theta(10, 10, batch=(10,))
    g = torch.Generator().manual_seed(0)
    start, n = time.perf_counter(), 20
    for _ in range(n):
        c = s.candidates(s.sample_inputs(100))
        a = D.sample(theta, g).requires_grad_()
        s.loss(c, a, s.teacher_output(c), dense=False).sum().backward()
        assert torch.all(a.grad[a == 0] == 0)
    ms = (time.perf_counter() - start) / n / 10 * 1e3
    print(f"toy space: {ms:.2f} ms per trial-iteration (T=10, {torch.get_num_threads()} threads)")


def test_sparse_output_matches_the_dense_path_in_value_and_gate_gradients():
    """Sparse propagation computes only the selected ops, with the gradients of output()."""
    from advnas import distribution

    space = ToySpace.create(3, 4, 5, seeds=[0, 1, 2], dtype=torch.float64)
    x = space.sample_inputs(7)
    c, p = space.candidates(x), space.sample_major_patches(x)
    theta = torch.randn(3, 4, 5, dtype=torch.float64)
    one_hot = distribution.sample(theta, torch.Generator().manual_seed(0))
    two_hot = one_hot + distribution.one_hot((one_hot.argmax(-1) + 1) % 5, 5, dtype=torch.float64)
    for gates in (one_hot, two_hot):
        for skipped in ("zero", "ones"):
            a1 = gates.clone().requires_grad_(True)
            a2 = gates.clone().requires_grad_(True)
            y1 = space.output(c, a1, dense=False, skipped=skipped)
            y2 = space.sparse_output(p, a2, skipped=skipped)
            torch.testing.assert_close(y2, y1)
            (g1,) = torch.autograd.grad(y1.square().sum(), a1)
            (g2,) = torch.autograd.grad(y2.square().sum(), a2)
            torch.testing.assert_close(g2, g1)


def test_minibatch_loss_is_zero_exactly_at_the_teacher():
    space = ToySpace.create(2, seeds=[4, 5])
    batch = space.minibatch(space.sample_inputs(20))
    assert torch.all(batch.loss(space.teacher, dense=False) == 0)
    assert torch.all(batch.loss(space.teacher.roll(1, -1), dense=False) > 0)  # every op shifted


def test_sparse_output_of_stacked_samples_equals_one_by_one():
    from advnas import distribution

    space = ToySpace.create(2, 3, 4, seeds=[0, 1], dtype=torch.float64)
    p = space.sample_major_patches(space.sample_inputs(5))
    gates = distribution.sample(torch.randn(2, 3, 4, dtype=torch.float64), torch.Generator().manual_seed(1),
                                n_samples=6).requires_grad_(True)
    stacked = space.sparse_output(p, gates)
    assert stacked.shape == (6, 2, 5)
    for k in range(6):
        torch.testing.assert_close(stacked[k], space.sparse_output(p, gates[k].detach()))
    (g,) = torch.autograd.grad(stacked.square().sum(), gates)
    for k in range(6):
        a = gates[k].detach().clone().requires_grad_(True)
        (gk,) = torch.autograd.grad(space.sparse_output(p, a).square().sum(), a)
        torch.testing.assert_close(g[k], gk)
