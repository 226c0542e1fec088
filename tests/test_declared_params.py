"""Layer.add_param: one place that validates, initialises, converts and names a parameter."""
import numpy as np
import pytest

from framework import Conv2D, FullyConnected, Layer, LSTM, Tensor


class Scale(Layer):
    def __init__(self, n, value=None, dtype=np.float32):
        self.add_param("gain", (n,), init="zeros", value=value, dtype=dtype)
        self.add_param("shift", (n,), init=lambda shape, rng: np.full(shape, 0.5), dtype=dtype)

    def __repr__(self):
        return "Scale()"


def test_declared_params_are_attributes_in_order_with_names():
    layer = Scale(3, value=[1, 2, 3])
    assert layer.params == [layer.gain, layer.shift]
    assert layer.param_names() == ["gain", "shift"]
    np.testing.assert_array_equal(layer.gain.view(), [1, 2, 3])
    np.testing.assert_array_equal(layer.shift.view(), [0.5, 0.5, 0.5])
    assert layer.gain.dtype == np.float32
    assert Scale(2, dtype=np.float64).shift.dtype == np.float64


def test_value_keeps_logical_indexing():
    fc = FullyConnected(2, 3, weights=[[1, 2, 3], [4, 5, 6]])
    assert fc.weights[1, 2] == 6.0 and fc.weights[0, 1] == 2.0


@pytest.mark.parametrize("value, error, message", [
    ([1, 2], ValueError, r"Scale\(\): gain given with shape \(2,\), expected \(3,\)"),
    ([1, np.nan, 3], ValueError, "gain contains NaN or inf"),
    ([1j, 2, 3], TypeError, "gain must be real numbers, got dtype complex128"),
    ([[None]], TypeError, "gain must be real numbers, got dtype object"),
])
def test_bad_values_are_refused_naming_layer_and_parameter(value, error, message):
    with pytest.raises(error, match=message):
        Scale(3, value=value)


def test_declaring_twice_or_a_bad_shape_is_refused():
    layer = Scale(2)
    with pytest.raises(ValueError, match="'gain' is declared twice"):
        layer.add_param("gain", (2,))
    with pytest.raises(ValueError, match="shape of positive ints"):
        layer.add_param("other", (0, 2))


def test_undeclared_tensor_is_reported():
    layer = Scale(2)
    layer.forgotten = Tensor((2,))
    assert layer.undeclared_tensors() == ["forgotten"]
    assert Scale(2).undeclared_tensors() == []


@pytest.mark.parametrize("layer, names", [
    (FullyConnected(3, 2), ["weights", "bias"]),
    (Conv2D(1, 2, 3), ["weights", "bias"]),
    (LSTM(3, 2), ["U", "W", "bias"]),
])
def test_framework_layers_declare_their_params(layer, names):
    assert layer.param_names() == names
    assert layer.undeclared_tensors() == []


def test_seeded_initialisation_is_unchanged():
    # the same draws as before parameters were declared: xavier from default_rng(seed)
    fc = FullyConnected(4, 3, seed=5)
    limit = np.sqrt(6.0 / 7)
    expected = np.random.default_rng(5).uniform(-limit, limit, size=(4, 3))
    np.testing.assert_allclose(fc.weights.view(), expected, rtol=1e-6)
    assert LSTM(2, 3).bias.view()[3:6].tolist() == [1.0, 1.0, 1.0]
