"""The bridge: engine functions as Layers (derived backward), and Layers inside engine graphs."""
import numpy as np
import pytest

from framework import (FullyConnected, InputLayer, Network, Sigmoid, SoftmaxCrossEntropy,
                       Tensor, check_layer)
from framework.autodiff import Value, ops
from framework.autodiff.bridge import AutodiffLayer, LayerModule, function_layer
from framework.autodiff.nn import Linear, Sequential


class AffineTanh(AutodiffLayer):
    """y = tanh(x·W + b): only the forward is written."""

    def __init__(self, f, o, dtype=np.float32):
        self.add_param("weights", (f, o), init="xavier", rng=0, dtype=dtype)
        self.add_param("bias", (o,), value=np.linspace(-1, 1, o), dtype=dtype)

    def expression(self, x, weights, bias):
        return ops.tanh(x @ weights + bias)


def test_a_layer_with_only_a_forward_passes_the_gradient_checker():
    layer = AffineTanh(4, 3)
    assert layer.param_names() == ["weights", "bias"]
    assert layer.output_shape((5, 4)).dims == (5, 3)
    report = check_layer(layer, (5, 4))
    assert report.ok
    check_layer(function_layer(lambda x, s: x * s + ops.sigmoid(x), s=np.arange(1.0, 4.0)), (2, 3))


def test_a_function_layer_in_a_network_gives_the_fully_connected_numbers():
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((6, 4)), rng.standard_normal(4)
    x, labels = rng.standard_normal((5, 6)), np.array([0, 1, 2, 3, 1])

    def build(first):
        return Network(InputLayer(6, num_classes=3, dtype=np.float64),
                       [first, Sigmoid(), FullyConnected(4, 3, seed=1, dtype=np.float64)],
                       SoftmaxCrossEntropy())
    hand = build(FullyConnected(6, 4, weights=w, bias=b, dtype=np.float64))
    derived = build(function_layer(lambda x, W, b: x @ W + b, dtype=np.float64, W=w, b=b))
    assert hand.backprop(x, labels % 3).loss == pytest.approx(derived.backprop(x, labels % 3).loss, rel=1e-14)
    for th, td in zip(hand.tensors(), derived.tensors()):
        np.testing.assert_allclose(td.view(), th.view(), rtol=1e-13)
        np.testing.assert_allclose(td.delta_view(), th.delta_view(), rtol=1e-12, atol=1e-15)
    for ph, pd in zip(hand.params, derived.params):
        np.testing.assert_allclose(pd.delta_view(), ph.delta_view(), rtol=1e-12, atol=1e-15)


def test_derived_protocol_overwrites_and_accumulates():
    layer = function_layer(lambda x, s: x * s, dtype=np.float64, s=[2.0, 3.0])
    x, y = Tensor.from_numpy([[1.0, 1.0]], np.float64), Tensor((1, 2), dtype=np.float64)
    layer.forward([x], [y])
    y.deltas[...] = 1.0
    x.deltas[...] = 99.0
    layer.backward([y], [x])
    np.testing.assert_array_equal(x.delta_view(), [[2.0, 3.0]])      # overwritten
    layer.s.deltas[...] = 1.0
    layer.calculate_delta_weights([y], [x])
    np.testing.assert_array_equal(layer.s.delta_view(), [2.0, 2.0])  # accumulated
    other = Tensor((1, 2), dtype=np.float64)
    with pytest.raises(RuntimeError, match="no forward of these tensors"):
        layer.backward([y], [other])


def test_output_shape_errors_name_the_layer():
    layer = function_layer(lambda x, W: x @ W, W=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"FunctionLayer\(<lambda>\): input .* does not fit"):
        layer.output_shape((4, 5))


def test_a_framework_layer_inside_an_engine_graph():
    fc = FullyConnected(5, 3, seed=2, dtype=np.float64)
    lin = Linear(5, 3, seed=2, dtype=np.float64)
    x = np.random.default_rng(3).standard_normal((4, 5))
    t = np.eye(3)[[0, 1, 2, 0]]
    for model in (Sequential(LayerModule(fc), ops.relu), Sequential(lin, ops.relu)):
        ops.softmax_cross_entropy(model(Value(x)), t).backward()
    bridged = LayerModule(fc)
    assert [n for n, _ in bridged.named_parameters()] == ["weights", "bias"]
    # the layer's deltas hold its share; the Values' grads are what the engine's Linear gets
    np.testing.assert_allclose(fc.weights.delta_view(), lin.weights.grad, rtol=1e-12)
    np.testing.assert_allclose(fc.bias.delta_view(), lin.bias.grad, rtol=1e-12)


def test_layer_module_parameters_share_the_layers_memory():
    fc = FullyConnected(2, 2, seed=0, dtype=np.float64)
    m = LayerModule(fc)
    m.params[0].data[0, 1] = 5.0
    assert fc.weights[0, 1] == 5.0
    y = m(Value(np.ones((1, 2)), requires_grad=True))
    y.sum().backward()
    np.testing.assert_allclose(m.params[0].grad, np.ones((2, 2)))


def test_delta_weights_without_a_backward_first_as_the_trainer_calls_them():
    rng = np.random.default_rng(4)
    w, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x, labels = rng.standard_normal((4, 3)), np.array([0, 1, 1, 0])
    nets = [Network(InputLayer(3, num_classes=2, dtype=np.float64), [layer], SoftmaxCrossEntropy())
            for layer in (FullyConnected(3, 2, weights=w, bias=b, dtype=np.float64),
                          function_layer(lambda x, W, b: x @ W + b, dtype=np.float64, W=w, b=b))]
    for net in nets:
        net.backprop(x, labels, input_deltas=False)      # no backward before the delta weights
    for ph, pd in zip(nets[0].params, nets[1].params):
        np.testing.assert_allclose(pd.delta_view(), ph.delta_view(), rtol=1e-12)


def test_a_float32_function_layer_trains_with_the_sgd_trainer():
    from framework import SGDTrainer
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 2)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)
    quadratic = function_layer(lambda x, A, b: ops.tanh(x @ A) * ops.tanh(x @ A) @ b[:4, :2]
                               + (x * x) @ b[4:, :2],
                               A=rng.standard_normal((2, 4)), b=rng.standard_normal((6, 2)) * 0.1)
    net = Network(InputLayer(2, num_classes=2), [quadratic], SoftmaxCrossEntropy())
    history = SGDTrainer(learning_rate=0.05, batch_size=20, epochs=30, flavor="adam").optimize(
        net, x, labels)
    assert history.train_loss[-1] < 0.6 * history.train_loss[0]
    assert quadratic.A.dtype == np.float32
