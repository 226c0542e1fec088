"""MaskedSequenceCrossEntropy: softmax CE over [N, T, C], averaged over unmasked steps only."""
import math

import numpy as np
import pytest

from framework import MaskedSequenceCrossEntropy, SoftmaxCrossEntropy, Tensor, check_loss
from framework.compare import assert_close


def _scores_targets(seed=0, n=2, t=3, c=4):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, t, c))
    y = np.eye(c)[rng.integers(0, c, size=(n, t))]
    return z, y


def test_hand_computed():
    # N=1, T=2, C=2, zero scores: p = [½, ½] at each step; step 1 masked.
    # L = −log ½ / 1 = log 2; δ step 0 = (p − y)/1 = [−½, ½]; step 1: 0
    z = Tensor.from_numpy(np.zeros((1, 2, 2)), np.float64)
    y = Tensor.from_numpy([[[1.0, 0.0], [0.0, 1.0]]], np.float64)
    loss = MaskedSequenceCrossEntropy(mask=[[1, 0]])
    assert loss.forward([z], y) == pytest.approx(math.log(2), rel=1e-12)
    loss.backward([z], y)
    assert_close([[[-0.5, 0.5], [0.0, 0.0]]], z.delta_view(), "δz")


def test_masked_steps_change_nothing():
    z, y = _scores_targets()
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    zt, yt = Tensor.from_numpy(z, np.float64), Tensor.from_numpy(y, np.float64)
    loss = MaskedSequenceCrossEntropy(mask=mask)
    value = loss.forward([zt], yt)
    loss.backward([zt], yt)
    deltas = zt.delta_view().copy()
    # garbage in the masked steps: same loss, same deltas, masked deltas exactly 0
    z2 = z.copy()
    z2[mask == 0] = 50.0 * np.random.default_rng(9).normal(size=(int((mask == 0).sum()), 4))
    zt2 = Tensor.from_numpy(z2, np.float64)
    assert loss.forward([zt2], yt) == pytest.approx(value, rel=1e-12)
    loss.backward([zt2], yt)
    assert_close(deltas, zt2.delta_view(), "δz")
    assert np.all(zt2.delta_view()[mask == 0] == 0.0)
    # and equal to the unmasked loss over the three kept steps alone
    kept = Tensor.from_numpy(z[mask == 1][:, None, :], np.float64)
    kept_y = Tensor.from_numpy(y[mask == 1][:, None, :], np.float64)
    assert value == pytest.approx(SoftmaxCrossEntropy().forward([kept], kept_y), rel=1e-12)


def test_mask_from_zero_target_rows():
    z, y = _scores_targets(1)
    mask = np.array([[1, 0, 1], [0, 1, 1]])
    padded = y * mask[..., None]
    given = MaskedSequenceCrossEntropy(mask=mask)
    derived = MaskedSequenceCrossEntropy()
    zt, yt = Tensor.from_numpy(z, np.float64), Tensor.from_numpy(padded, np.float64)
    assert derived.forward([zt], yt) == pytest.approx(given.forward([zt], yt), rel=1e-12)


def test_no_mask_is_softmax_cross_entropy():
    z, y = _scores_targets(2)
    zt, yt = Tensor.from_numpy(z, np.float64), Tensor.from_numpy(y, np.float64)
    assert MaskedSequenceCrossEntropy().forward([zt], yt) == pytest.approx(
        SoftmaxCrossEntropy().forward([zt], yt), rel=1e-12)


def test_gradient_check_float64():
    z, y = _scores_targets(3)
    check_loss(MaskedSequenceCrossEntropy(mask=[[1, 0, 1], [1, 1, 0]]), z, y)


def test_everything_masked_gives_zero():
    z, y = _scores_targets(4)
    zt, yt = Tensor.from_numpy(z, np.float64), Tensor.from_numpy(y, np.float64)
    loss = MaskedSequenceCrossEntropy(mask=np.zeros((2, 3)))
    assert loss.forward([zt], yt) == 0.0
    loss.backward([zt], yt)
    assert np.all(zt.deltas == 0.0)


def test_wrong_mask_shape_is_refused():
    z, y = _scores_targets(5)
    with pytest.raises(ValueError, match=r"mask has shape \(3, 2\), expected \(2, 3\)"):
        MaskedSequenceCrossEntropy(mask=np.ones((3, 2))).forward(
            [Tensor.from_numpy(z)], Tensor.from_numpy(y))
