"""Bad input to layers and the InputLayer: refused with a message naming what was given and what to do."""
from __future__ import annotations

import re

import numpy as np
import pytest

from framework import Conv2D, FullyConnected, InputLayer, ReLU, Tensor

EXPECTED_LISTS = r"expected lists of Tensors, as in layer.forward\(\[x\], \[y\]\)"


@pytest.fixture(params=["fc", "relu", "conv"])
def layer_and_io(request):
    if request.param == "fc":
        return FullyConnected(2, 3, seed=0), Tensor([4, 2]), Tensor([4, 3])
    if request.param == "relu":
        return ReLU(), Tensor([4, 2]), Tensor([4, 2])
    return Conv2D(1, 2, 3, seed=0), Tensor([1, 5, 5, 1]), Tensor([1, 3, 3, 2])


def test_numpy_arrays_in_lists_are_named(layer_and_io):
    # Before: AttributeError "'tuple' object has no attribute 'dims'".
    layer, x, y = layer_and_io
    named = re.escape(f"item 0 is not a Tensor (a NumPy array of shape {x.shape.dims}, "
                      f"use Tensor.from_numpy(a))")
    with pytest.raises(TypeError, match=rf"{EXPECTED_LISTS}.*{named}"):
        layer.forward([x.to_numpy()], [y.to_numpy()])


def test_bare_tensors_are_named(layer_and_io):
    # Before: TypeError "object of type 'Tensor' has no len()".
    layer, x, y = layer_and_io
    with pytest.raises(TypeError, match=rf"{EXPECTED_LISTS}.*got a bare Tensor \(wrap it in a list: \[t\]\)"):
        layer.forward(x, y)
    with pytest.raises(TypeError, match=r"got a bare Tensor"):
        layer.backward(y, x)


def test_bare_numpy_arrays_are_named_even_with_a_batch_of_several(layer_and_io):
    # A [4, 2] array has len 4: it must not be reported as "4 input tensors".
    layer, x, y = layer_and_io
    with pytest.raises(TypeError, match=rf"{EXPECTED_LISTS}.*got a NumPy array of shape "
                                        rf"\({x.shape[0]}, .*network.forward takes arrays"):
        layer.forward(x.to_numpy(), y.to_numpy())


def test_none_for_tensors_or_in_the_lists_is_named(layer_and_io):
    layer, x, y = layer_and_io
    with pytest.raises(TypeError, match=rf"{EXPECTED_LISTS}.*got None and None"):
        layer.forward(None, None)
    with pytest.raises(TypeError, match=r"got a list of 1 Tensors and a list whose item 0 is not a "
                                        r"Tensor \(None\)"):
        layer.forward([x], [None])


def test_wrong_counts_still_say_how_many(layer_and_io):
    layer, x, y = layer_and_io
    with pytest.raises(ValueError, match=r"expected 1 input and 1 output tensor, got 1 and 2"):
        layer.forward([x], [y, y])


def test_bad_calls_after_a_good_one_are_still_refused(layer_and_io):
    # check_io remembers the last good pair: a bad call must not slip through that cache.
    layer, x, y = layer_and_io
    layer.forward([x], [y])
    with pytest.raises(TypeError, match=EXPECTED_LISTS):
        layer.forward([x.to_numpy()], [y.to_numpy()])
    with pytest.raises(TypeError, match=EXPECTED_LISTS):
        layer.forward(x, y)


# -- InputLayer.as_array --------------------------------------------------------------

@pytest.mark.parametrize("data, hint", [
    (np.array([[1 + 1j, 2.0]]), "complex values would lose their imaginary part"),
    (np.array([["2020-01-01", "2020-01-02"]], dtype="datetime64[D]"), "dates are not numbers"),
    (np.array([[1, 2]], dtype="timedelta64[s]"), "durations are not numbers"),
    (np.array([[1.0, None]], dtype=object), "dtype object"),
    (None, "got None"),
])
def test_input_layer_refuses_data_that_is_not_real_numbers(data, hint):
    # Before: complex lost its imaginary part with only NumPy's warning, dates became day counts.
    with pytest.raises(TypeError, match=r"InputLayer\(2\): data must be numbers of shape \(N, 2\): "
                                        r"expected real numbers") as e:
        InputLayer(2).as_array(data)
    assert hint in str(e.value)


def test_input_layer_still_takes_bool_int_and_float_data():
    layer = InputLayer(2)
    assert layer.as_array([[True, False]]).tolist() == [[1.0, 0.0]]
    assert layer.as_array(np.array([[1, 2]], dtype=np.int8)).tolist() == [[1.0, 2.0]]
    a = np.array([[0.5, 1.5]], dtype=np.float32)
    assert layer.as_array(a) is a  # no copy for data already of the right dtype
