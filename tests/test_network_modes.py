"""Training versus evaluation mode: Network.train()/eval(), Layer.training, and the trainer's switching."""
import numpy as np

from framework import (FullyConnected, InputLayer, Network, SGDTrainer, SoftmaxCrossEntropy,
                       evaluate)
from framework.layers.base import ElementwiseLayer


class ModeSpy(ElementwiseLayer):
    """Identity that records the mode of every forward pass."""

    def __init__(self):
        self.seen = []

    def forward(self, in_tensors, out_tensors):
        x, y = self.check_io(in_tensors, out_tensors)
        self.seen.append(self.training)
        y.elements[...] = x.elements

    def backward(self, out_tensors, in_tensors):
        y, x = out_tensors[0], in_tensors[0]
        x.deltas[...] = y.deltas


def _net():
    spy = ModeSpy()
    net = Network(InputLayer(2, num_classes=2), [FullyConnected(2, 2, seed=0), spy],
                  SoftmaxCrossEntropy())
    return net, spy


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(int)


def test_default_is_training_and_switches():
    net, spy = _net()
    assert net.training and spy.training
    assert net.eval() is net
    assert not net.training and all(not layer.training for layer in net.layers)
    net.train()
    assert net.training and spy.training
    net.train(False)
    assert not spy.training


def test_forward_sees_the_mode():
    net, spy = _net()
    x, _ = _data()
    net.eval().forward(x)
    net.train().forward(x)
    assert spy.seen == [False, True]


def test_trainer_trains_in_training_mode_and_validates_in_evaluation_mode():
    net, spy = _net()
    x, y = _data()
    net.eval()  # the trainer switches to training for the steps whatever the mode before
    SGDTrainer(learning_rate=0.1, batch_size=6, epochs=2, seed=0).optimize(
        net, x, y, validation_data=(x[:4], y[:4]))
    # per epoch: two training steps, then one validation pass
    assert spy.seen == [True, True, False, True, True, False]
    assert not net.training  # left in evaluation mode after training


def test_evaluate_runs_in_evaluation_mode_and_restores_the_mode():
    net, spy = _net()
    x, y = _data()
    evaluate(net, x, y)
    assert spy.seen == [False]
    assert net.training


def test_batch_norm_predicts_with_running_averages_after_training():
    from framework import BatchNorm
    x, y = _data()
    bn = BatchNorm(2)
    net = Network(InputLayer(2, num_classes=2), [bn, FullyConnected(2, 2, seed=0)], SoftmaxCrossEntropy())
    SGDTrainer(learning_rate=0.1, batch_size=4, epochs=2, seed=0).optimize(net, x, y)
    assert not bn.training
    assert np.all(bn.running_mean != 0.0)
    one = x[:1]  # a batch of one: batch statistics would give x̂ = 0 whatever the input
    xhat = (one - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    z = (xhat * bn.scale.view() + bn.shift.view()) @ net.layers[1].weights.view() + net.layers[1].bias.view()
    e = np.exp(z - z.max())
    np.testing.assert_allclose(net.forward(one), e / e.sum(), rtol=1e-5, atol=1e-6)
