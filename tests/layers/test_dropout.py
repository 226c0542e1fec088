"""Dropout: inverted dropout y = x·k/(1−p) in training, identity in evaluation, seeded."""
import numpy as np
import pytest

from framework import (Dropout, FullyConnected, InputLayer, Network, SoftmaxCrossEntropy, Tensor,
                       check_layer)
from framework.compare import assert_close


def _run(layer, x):
    xt = Tensor.from_numpy(x)
    yt = Tensor(layer.output_shape(xt.shape), dtype=xt.dtype)
    layer.forward([xt], [yt])
    return xt, yt


def test_statistics_of_the_mask():
    p, n = 0.3, 200_000
    layer = Dropout(p, seed=0)
    _, y = _run(layer, np.ones((n // 100, 100), dtype=np.float32))
    out = y.to_numpy()
    dropped = np.mean(out == 0.0)
    # Bernoulli(0.3) over 2e5 draws: standard error 0.001; 5 of them
    assert abs(dropped - p) < 0.005
    assert set(np.unique(out)) == {0.0, np.float32(1 / (1 - p))}
    assert abs(out.mean() - 1.0) < 0.01  # inverted: the mean is kept


def test_backward_uses_the_forward_mask():
    layer = Dropout(0.5, seed=1)
    x, y = _run(layer, np.arange(1, 13, dtype=np.float32).reshape(3, 4))
    y.deltas[...] = 1.0
    layer.backward([y], [x])
    # δx = δy·m and y = x·m: with δy = 1, δx·x = y elementwise
    assert_close(y.to_numpy(), x.delta_view() * x.view(), "δx·x")
    assert np.any(x.delta_view() == 0) and np.any(x.delta_view() == 2.0)


def test_identity_in_evaluation():
    layer = Dropout(0.9, seed=2)
    layer.training = False
    x, y = _run(layer, np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32))
    assert np.array_equal(y.to_numpy(), x.view())
    y.deltas[...] = 3.0
    layer.backward([y], [x])
    assert np.all(x.deltas == 3.0)


def test_network_eval_makes_it_the_identity():
    net = Network(InputLayer(4, num_classes=4), [Dropout(0.5, seed=0)], SoftmaxCrossEntropy())
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    assert_close(e / e.sum(axis=1, keepdims=True), net.eval().forward(x), "softmax(x)")
    assert not np.allclose(net.train().forward(x), net.eval().forward(x))


def test_same_seed_same_masks():
    x = np.ones((4, 8), dtype=np.float32)
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    for _ in range(2):
        assert np.array_equal(_run(a, x)[1].to_numpy(), _run(b, x)[1].to_numpy())
    assert not np.array_equal(_run(a, x)[1].to_numpy(), _run(Dropout(0.5, seed=8), x)[1].to_numpy())


def test_gradient_check_with_a_fixed_mask():
    layer = Dropout(0.4)
    keep = np.random.default_rng(3).random((3, 5)) >= 0.4
    layer.fix_mask(keep)
    check_layer(layer, (3, 5))
    x, y = _run(layer, np.ones((3, 5), dtype=np.float32))
    assert_close(keep / 0.6, y.to_numpy(), "y")


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_bad_probability_is_refused(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\)"):
        Dropout(p)


def test_works_in_a_trained_network():
    from framework import SGDTrainer
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    net = Network(InputLayer(2, num_classes=2),
                  [FullyConnected(2, 16, seed=0), Dropout(0.2, seed=0), FullyConnected(16, 2, seed=1)],
                  SoftmaxCrossEntropy())
    h = SGDTrainer(learning_rate=0.5, batch_size=16, epochs=30, seed=0).optimize(net, x, y)
    assert h.train_loss[-1] < h.train_loss[0]
    assert np.mean(np.argmax(net.forward(x), axis=1) == y) > 0.9
