"""The toy regression network of Sec. 5.1 (official code: toy/toy.py), batched over independent trials.

Teacher and student share one DAG: an input node, ``n_edges`` intermediate nodes and an
output node. Edge ``i`` offers ``n_ops`` frozen 7x7 stride-2 convolutions ``O_ij`` of the
13x13 input (4x4 outputs); an architecture ``a`` mixes them per edge (official code: toy/toy.py, the network):

    u_i = sum_j a_ij * c_ij,   h_i = tanh(u_i),   o_i = <W4_i, h_i>,   y = mean_i o_i

with ``c_ij = O_ij(x)``. tanh follows the gate mixture (official code: the decisions page, discrepancy 13), so the
gate gradient of a selected op is Eq. (7) on the pre-tanh output: <dL/du_i, c_ij>.

``T`` independent trials (own weights ``w*``, teacher ``a*`` and data) are stacked along
a leading dimension so that one tensor computation serves them all. Shapes:
``x`` (T, B, 13, 13); candidates ``c`` (T, B, n_edges, n_ops, 16); gates and theta
(T, n_edges, n_ops); outputs (T, B); losses (T,).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from advnas import distribution

INPUT_SIZE = 13
KERNEL = 7
STRIDE = 2
MAP_SIZE = (INPUT_SIZE - KERNEL) // STRIDE + 1  # 4
N_POS = MAP_SIZE * MAP_SIZE  # 16 positions of a candidate's output map
DATA_SEED_MULTIPLIER = 1_000_003
INPUT_BUFFER = 64  # input minibatches drawn per generator call
# Elements of the (T, n_edges, K, B*16) mixtures built per chunk by expected_loss.
_CHUNK_ELEMENTS = 1 << 24

Skipped = Literal["zero", "ones"]


def data_seed(seed: int) -> int:
    """Seed of a trial's input-data generator, kept apart from its weight generator."""
    return seed * DATA_SEED_MULTIPLIER + 1


class ToySpace:
    """T stacked trials of the frozen teacher/student network of Sec. 5.1 (official code: toy/toy.py, the fixed weights-1.4).

    Attributes: ``w7`` (T, E, J, 7, 7) candidate filters, ``w4`` (T, E, 4, 4) output
    filters, ``teacher`` (T, E, J) one-hot a*, ``seeds`` and the per-trial CPU data
    generators (numpy PCG64) used by :meth:`sample_inputs`. Nothing is trainable.
    """

    def __init__(self, w7: torch.Tensor, w4: torch.Tensor, teacher: torch.Tensor,
                 seeds: Sequence[int], data_generators: Sequence[np.random.Generator]):
        self.w7, self.w4, self.teacher = w7, w4, teacher
        self.seeds = list(seeds)
        self.data_generators = list(data_generators)
        self.n_trials, self.n_edges, self.n_ops = teacher.shape
        self.device, self.dtype = teacher.device, teacher.dtype
        self._buffer: torch.Tensor | None = None
        self._buffer_batch, self._buffer_pos = 0, 0

    @classmethod
    def create(cls, n_trials: int, n_edges: int = 10, n_ops: int = 10,
               seeds: Sequence[int] | None = None, device: torch.device | str = "cpu",
               dtype: torch.dtype | None = None) -> ToySpace:
        """Draw w* and a* for each trial from ``torch.Generator().manual_seed(seeds[t])``.

        Per trial, in this order (official code: toy/toy.py, the fixed weights-1.3): the 7x7 filters ~ N(0, 1/49) (Chainer's
        LeCun normal with fan-in 49, bias 0), the 4x4 filters ~ N(0, 1/16), and a* as the
        row-wise argmax of a U(0,1) matrix. Draws are made on the CPU in torch's default dtype
        and then converted, so a trial has the same weights on every device. ``dtype`` defaults
        to torch's default dtype too: float32 for the searches, float64 in the golden runs
        (``advnas/behaviour.py``), whose outputs must not depend on the CPU (float32 normal
        draws differ in their last bits between torch's vectorised and plain kernels).
        """
        seeds = list(range(n_trials)) if seeds is None else list(seeds)
        if len(seeds) != n_trials:
            raise ValueError(f"expected {n_trials} seeds, got {len(seeds)}")
        w7, w4, teacher = [], [], []
        for seed in seeds:
            g = torch.Generator().manual_seed(seed)
            w7.append(torch.randn(n_edges, n_ops, KERNEL, KERNEL, generator=g) / KERNEL)
            w4.append(torch.randn(n_edges, MAP_SIZE, MAP_SIZE, generator=g) / MAP_SIZE)
            teacher.append(distribution.one_hot(
                torch.rand(n_edges, n_ops, generator=g).argmax(-1), n_ops))
        space = cls(torch.stack(w7), torch.stack(w4), torch.stack(teacher), seeds,
                    [np.random.default_rng(data_seed(s)) for s in seeds])
        return space.to(device, dtype or torch.get_default_dtype())

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> ToySpace:
        """The same trials on another device/dtype; the data generators are shared."""
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device=device, dtype=dtype or self.dtype)
        return ToySpace(move(self.w7), move(self.w4), move(self.teacher), self.seeds,
                        self.data_generators)

    def sample_inputs(self, batch: int = 100,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """A fresh minibatch x ~ U[-1, 1]^(13x13) per trial, shape (T, B, 13, 13) (official code: toy/toy.py, the network).

        Without ``generator`` trial t draws from its own data generator, so a trial's
        inputs do not depend on which other trials are stacked with it. An explicit
        generator draws the whole (T, B, 13, 13) block at once, on its own device.
        """
        shape = (batch, INPUT_SIZE, INPUT_SIZE)
        if generator is None:
            u = self._buffered_draw(batch)
        else:
            u = torch.rand((self.n_trials, *shape), generator=generator, device=generator.device)
        return (2 * u - 1).to(device=self.device, dtype=self.dtype)

    def _buffered_draw(self, batch: int) -> torch.Tensor:
        """Each trial's next U(0,1) block (batch, 13, 13) from its own data generator.

        Blocks are drawn INPUT_BUFFER at a time per trial (one generator call instead of
        one per iteration and trial, the dominant cost of a toy step otherwise)."""
        if self._buffer is None or self._buffer_batch != batch or self._buffer_pos == INPUT_BUFFER:
            shape = (INPUT_BUFFER, batch, INPUT_SIZE, INPUT_SIZE)
            # numpy's PCG64 draws uniforms about twice as fast as torch's CPU generator
            self._buffer = torch.from_numpy(np.stack([g.random(shape, dtype=np.float32)
                                                      for g in self.data_generators], 1))
            self._buffer_batch, self._buffer_pos = batch, 0
        self._buffer_pos += 1
        return self._buffer[self._buffer_pos - 1]

    def candidates(self, x: torch.Tensor) -> torch.Tensor:
        """All candidate outputs c_ij = O_ij(x), flattened 4x4 maps: (T, B, E, J, 16).

        Computed for every trial at once as the filters (T, E*J, 49) times the 7x7 patches
        (T, 49, B*16); detached, as the weights are frozen (official code: toy/toy.py, the network). The result is a
        view of contiguous (T, E, J, B, 16) storage, the layout in which the gate
        contractions of :meth:`output` are plain batched matrix products.
        """
        t, b = x.shape[:2]
        with torch.no_grad():
            patches = self.sample_major_patches(x)  # (T, B*16, 49)
            c = self.w7.reshape(t, -1, KERNEL * KERNEL) @ patches.transpose(1, 2)
            return c.reshape(t, self.n_edges, self.n_ops, b, N_POS).permute(0, 3, 1, 2, 4)

    @staticmethod
    def sample_major_patches(x: torch.Tensor) -> torch.Tensor:
        """The 7x7 stride-2 patches of x (T, B, 13, 13) as (T, B*16, 49): one copy of a view."""
        t = x.shape[0]
        return x.unfold(2, KERNEL, STRIDE).unfold(3, KERNEL, STRIDE).reshape(t, -1, KERNEL * KERNEL)

    def sparse_output(self, patches: torch.Tensor, gates: torch.Tensor,
                      skipped: Skipped = "zero") -> torch.Tensor:
        """:meth:`output` with ``dense=False``, computing only the operations whose gate is
        non-zero (one or two per edge for the sparse strategies): sparse propagation.

        ``patches`` come from :meth:`sample_major_patches`. ``gates`` is (T, E, J) or, for
        several architectures on the same minibatch (PARSEC's samples), (K, T, E, J); the
        output is (T, B) or (K, T, B). The same values and gate gradients as
        ``output(c, gates, dense=False)``, at a fraction of the cost: only the selected
        filters are applied, for all K architectures in one matrix product."""
        if skipped not in ("zero", "ones"):
            raise ValueError(f"skipped must be 'zero' or 'ones', got {skipped!r}")
        stacked = gates.dim() == 4
        if not stacked:
            gates = gates[None]
        n, t, e = gates.shape[0], patches.shape[0], self.n_edges
        gates = gates.transpose(0, 1).reshape(t, n * e, self.n_ops)  # K draws as K*E edges
        computed = gates.detach() != 0
        k = int(computed.sum(-1).max())
        index = computed.to(patches.dtype).topk(k, dim=-1).indices  # (T, K*E, k) selected ops
        w = self.w7.reshape(t, e, self.n_ops, -1).repeat(1, n, 1, 1)  # (T, K*E, J, 49)
        w = w.gather(2, index[..., None].expand(-1, -1, -1, w.shape[-1]))  # (T, K*E, k, 49)
        c = (patches @ w.reshape(t, -1, w.shape[-1]).transpose(1, 2)).view(t, -1, n * e, k)
        selected = gates.to(c.dtype).gather(-1, index)  # gradient flows to the selected gates only
        u = (c * selected[:, None]).sum(-1)  # (T, B*16, K*E)
        if skipped == "ones":
            u = u + torch.where(computed, 0.0, gates.to(c.dtype)).sum(-1)[:, None]
        h = torch.tanh(u).view(t, -1, N_POS, n, e)  # (T, B, 16, K, E)
        y = torch.einsum("tbpne,tep->ntb", h, self.w4.reshape(t, e, N_POS)) / e
        return y if stacked else y[0]

    def minibatch(self, x: torch.Tensor) -> "ToyMinibatch":
        """One minibatch prepared for any number of forward passes (a theta step)."""
        patches = self.sample_major_patches(x)
        with torch.no_grad():
            target = self.sparse_output(patches, self.teacher)
        return ToyMinibatch(self, x, patches, target)

    @staticmethod
    def _edge_major(c: torch.Tensor) -> torch.Tensor:
        """Candidates (T, B, E, J, 16) as (T, E, J, B*16); free for :meth:`candidates` output."""
        t, b, e, j, p = c.shape
        return c.permute(0, 2, 3, 1, 4).reshape(t, e, j, b * p)

    def _head(self, u: torch.Tensor) -> torch.Tensor:
        """y = mean_i <W4_i, tanh(u_i)> for mixtures u of shape (T, E, M*16) -> (T, M)."""
        h = torch.tanh(u).reshape(self.n_trials, self.n_edges, -1, N_POS)
        return (h @ self.w4.reshape(self.n_trials, self.n_edges, N_POS, 1)).mean(dim=(1, 3))

    def output(self, c: torch.Tensor, gates: torch.Tensor, dense: bool,
               skipped: Skipped = "zero") -> torch.Tensor:
        """Network output phi_a(x), shape (T, B), for gates ``a`` of shape (T, E, J).

        Each op output is multiplied by its gate (official code: util.py, Param.update), u_i = sum_j a_ij c_ij. With
        ``dense=True`` every op is computed, so dL/da_ij = <dL/du_i, c_ij> for all j. With
        ``dense=False`` an op whose gate is exactly 0 is skipped (official code: util.py, Param.update, "sparse vs
        dense"): it adds nothing and its gate gradient is <dL/du_i, s>, where the surrogate
        s is 0 for ``skipped="zero"`` and all ones for ``skipped="ones"`` (the GDAS
        reference adds the hard weight times ones, official code: util.py, Param.update row GD), i.e. sum dL/du_i.
        Both modes give the same forward value; only the routing of gate gradients differs.
        """
        gates = gates.to(c.dtype)
        mixed = gates
        if not dense:
            if skipped not in ("zero", "ones"):
                raise ValueError(f"skipped must be 'zero' or 'ones', got {skipped!r}")
            computed = gates != 0
            mixed = torch.where(computed, gates, 0.0)  # value == gates; no grad to skipped ops
        u = (mixed[..., None, :] @ self._edge_major(c)).squeeze(-2)  # (T, E, B*16)
        if not dense and skipped == "ones":
            # + sum_j a_ij * ones over the skipped ops: adds exactly 0, routes sum dL/du_i.
            u = u + torch.where(computed, 0.0, gates).sum(-1, keepdim=True)
        return self._head(u)

    def teacher_output(self, c: torch.Tensor) -> torch.Tensor:
        """Ground truth phi_{a*}(x), shape (T, B), by the same code path as a student."""
        return self.output(c, self.teacher, dense=False)

    @staticmethod
    def _mse(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean squared error over the last (batch) axis, F.mse_loss per trial."""
        return (y - target).square().mean(-1)

    def loss(self, c: torch.Tensor, gates: torch.Tensor, target: torch.Tensor, dense: bool,
             skipped: Skipped = "zero") -> torch.Tensor:
        """Per-trial minibatch loss L = mean_b (phi_a(x_b) - t_b)^2, shape (T,) (official code: toy/toy.py, the network)."""
        return self._mse(self.output(c, gates, dense, skipped), target)

    def test_loss(self, theta_or_gates: torch.Tensor, batch: int = 100,
                  generator: torch.Generator | None = None) -> torch.Tensor:
        """Test loss of Fig. 1 (official code: toy/toy.py, the test loss): the argmax architecture of theta on a fresh batch.

        A one-hot architecture is its own argmax, so gates may be passed too. Teacher and
        student share one code path, so the loss is exactly 0.0 when the argmax is a*.
        """
        with torch.no_grad():
            batch = self.minibatch(self.sample_inputs(batch, generator))
            return batch.loss(distribution.argmax(theta_or_gates), dense=False)

    def expected_loss(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Exact E_{a ~ p_theta}[L(a)] on inputs x, shape (T,), differentiable in theta.

        Sums p_theta(a) L(a) over all n_ops ** n_edges architectures (Sec. 4.1), so its
        gradient is the true gradient of the objective J(theta) that the estimators target.
        The losses L(a) are constants; architectures are processed in chunks.
        """
        archs = distribution.enumerate_architectures(self.n_edges, self.n_ops).to(theta.device)
        probs = distribution.architecture_probabilities(archs[:, None], theta).T  # (T, N)
        archs = archs.to(device=self.device, dtype=self.dtype)
        with torch.no_grad():
            c = self.candidates(x)
            target = self.teacher_output(c)[:, None]
            chunk = max(1, _CHUNK_ELEMENTS // c[..., 0, :].numel())
            c = self._edge_major(c)  # (T, E, J, B*16)
            losses = torch.cat([
                self._mse(self._head(part.transpose(0, 1) @ c).unflatten(1, (len(part), -1)),
                          target)
                for part in archs.split(chunk)], dim=1)  # (T, N)
        return (probs * losses.to(probs.dtype)).sum(-1).to(theta.dtype)


class ToyMinibatch:
    """A minibatch's patches and teacher output; the loss of any architecture on it.

    Sparse draws compute only their selected operations (:meth:`ToySpace.sparse_output`);
    dense draws compute every candidate once, on first use."""

    def __init__(self, space: ToySpace, x: torch.Tensor, patches: torch.Tensor, target: torch.Tensor):
        self.space, self.x, self.patches, self.target = space, x, patches, target
        self._candidates: torch.Tensor | None = None

    def loss(self, gates: torch.Tensor, dense: bool, skipped: Skipped = "zero") -> torch.Tensor:
        """Per-trial mean squared error against the teacher, shape (T,)."""
        if not dense:
            return self.space._mse(self.space.sparse_output(self.patches, gates, skipped), self.target)
        if self._candidates is None:
            self._candidates = self.space.candidates(self.x)
        return self.space.loss(self._candidates, gates, self.target, dense=True)
