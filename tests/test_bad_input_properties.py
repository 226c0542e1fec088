"""Property-based tests: bad input to a public entry point is refused, never crashes, never yields garbage.

For each entry point, hypothesis draws inputs both good and bad (None, bools,
floats, NaN, complex, strings, dates, objects, ragged lists, wrong shapes,
wrong dtypes) and checks one property: the call either raises a TypeError or
ValueError with a message, or it succeeds and its result is exactly what the
input means. Everything else (AttributeError, IndexError, a NaN that was not
in the input, a silently dropped imaginary part) fails the test.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from framework import (LSTM, AvgPool2D, Conv2D, Flatten, FullyConnected, InputLayer, MaxPool2D,
                       Network, ReLU, Sigmoid, Softmax, SoftmaxCrossEntropy, Tanh, assert_close,
                       compare)
from framework import GRU, RNN
from framework.io import load_arrays, save_arrays
from framework.serialize import load_network, save_network
from framework.shape import Shape
from framework.tensor import Tensor

# HYPOTHESIS_MAX_EXAMPLES=2000 python -m pytest tests/test_bad_input_*.py searches harder.
EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30"))
FAST = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- strategies ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 6), st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10), st.text(max_size=3), st.binary(max_size=2),
    st.just(np.datetime64("2020-01-01")), st.just(np.timedelta64(3, "s")), st.just(object()),
    st.just(np.float32(2.0)), st.just(np.int64(3)))

DTYPES = [np.float32, np.float64, np.int32, np.uint8, np.bool_, np.complex64, "datetime64[D]",
          "timedelta64[s]", "<U2", object]


@st.composite
def arrays_of_any_dtype(draw, max_dims=3, min_side=0):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=min_side, max_side=3))
    if dtype.kind == "O":
        return np.array(draw(st.lists(scalars, min_size=1, max_size=3)) + [None], dtype=object)
    if dtype.kind in "UMm":
        return np.zeros(shape, dtype=dtype)
    return draw(hnp.arrays(dtype, shape))


nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=8)
anything = st.one_of(scalars, nested, arrays_of_any_dtype())


def is_real_array(value) -> bool:
    """What the framework takes as numbers: a rectangular array of bool, int or float."""
    if value is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            a = np.asarray(value)
        except ValueError:
            return False
    return a.dtype.kind in "biuf"


def refused(exc: BaseException) -> None:
    """A refusal must be a TypeError or ValueError that says something."""
    assert isinstance(exc, (TypeError, ValueError)), f"{type(exc).__name__}: {exc}"
    assert len(str(exc)) > 20, f"message too short to help: {exc!r}"


def call(fn, *args, **kwargs):
    """``(result, None)`` or ``(None, exception)``, with NumPy's warnings turned into failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning is the sign of a silently dropped imaginary part
        try:
            return fn(*args, **kwargs), None
        except Exception as exc:  # noqa: BLE001 - classified by the caller
            return None, exc


# -- Shape and Tensor ---------------------------------------------------------------------

@FAST
@given(anything)
def test_shape_takes_positive_ints_and_refuses_everything_else(dims):
    shape, exc = call(Shape, dims)
    if exc is not None:
        refused(exc)
        assert "Shape" in str(exc), f"the message does not say where: {exc}"
        return
    assert shape.ndim >= 1 and all(type(d) is int and d > 0 for d in shape.dims)
    flat = [dims] if isinstance(dims, (int, np.integer)) else list(np.asarray(dims).reshape(-1))
    assert list(shape.dims) == [int(d) for d in flat]


@FAST
@given(anything, st.sampled_from([np.float32, np.float64, None, "int32", "x", object]))
def test_tensor_constructor_shape_and_dtype(shape, dtype):
    t, exc = call(Tensor, shape, dtype=dtype)
    if exc is not None:
        refused(exc)
        assert "Tensor" in str(exc) or "Shape" in str(exc), f"the message does not say where: {exc}"
        return
    assert np.dtype(dtype) in (np.float32, np.float64)
    assert t.shape == Shape(shape) and not t.elements.any()


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.sampled_from([np.float32, np.float64]),
       st.data())
def test_tensor_constructor_elements(shape, dtype, data):
    size = int(np.prod(shape))
    sized = st.lists(scalars, min_size=size, max_size=size)
    one_odd = st.builds(lambda v: [v] + [0.5] * (size - 1), scalars)  # None among numbers: NaN?
    elements = data.draw(st.one_of(anything, sized, one_odd, arrays_of_any_dtype(),
                                   st.lists(st.floats(), min_size=size, max_size=size)), "elements")
    t, exc = call(Tensor, shape, elements, dtype=dtype)
    if exc is not None:
        refused(exc)
        return
    assert t.dtype == dtype and t.elements.size == size
    if elements is None:  # the default: zeros
        assert not t.elements.any()
        return
    assert is_real_array(elements)
    given_values = np.asarray(elements, dtype=np.float64).reshape(-1)
    np.testing.assert_array_equal(t.elements, given_values.astype(dtype))


@FAST
@given(st.one_of(anything, arrays_of_any_dtype(max_dims=4)))
def test_from_numpy_copies_real_numbers_exactly_and_refuses_the_rest(data):
    t, exc = call(Tensor.from_numpy, data)
    if exc is not None:
        refused(exc)
        return
    assert is_real_array(data)
    a = np.asarray(data)
    expected = a.astype(np.float32).reshape(a.shape or (1,))
    np.testing.assert_array_equal(t.to_numpy(), expected)  # NaN only where the data had NaN


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), anything, st.data())
def test_element_and_delta_assignment(dims, value, data):
    t = Tensor(dims)
    index = tuple(data.draw(st.integers(0, d - 1)) for d in dims)
    _, exc = call(t.__setitem__, index, value)
    if exc is not None:
        refused(exc)
        assert not t.elements.any()
    else:
        assert is_real_array(value) and np.size(value) == 1
        assert t[index] == np.float32(np.asarray(value).reshape(())) or np.isnan(t[index])
    _, exc = call(setattr, t, "deltas", value)
    if exc is not None:
        refused(exc)
        assert not t.deltas.any()
    else:
        a = np.asarray(value)
        assert is_real_array(value) and a.shape in ((), (t.size,), t.shape.dims)


# -- InputLayer ---------------------------------------------------------------------------

@FAST
@given(st.sampled_from([(2,), (2, 2, 1)]), st.one_of(anything, arrays_of_any_dtype(max_dims=4)))
def test_input_layer_as_array(sample_shape, data):
    layer = InputLayer(sample_shape)
    a, exc = call(layer.as_array, data)
    if exc is not None:
        refused(exc)
        assert "InputLayer" in str(exc)
        return
    assert is_real_array(data) and a.dtype == np.float32
    assert a.shape[1:] == sample_shape and a.shape[0] >= 1 and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a.reshape(-1), np.asarray(data, dtype=np.float32).reshape(-1))


# -- layers: forward and backward with wrong arguments ------------------------------------

LAYERS = {
    "fc": (lambda: FullyConnected(2, 3, seed=0), (4, 2)),
    "relu": (ReLU, (4, 2)), "sigmoid": (Sigmoid, (4, 2)), "tanh": (Tanh, (4, 2)),
    "softmax": (Softmax, (4, 2)), "flatten": (Flatten, (2, 3, 3, 1)),
    "conv": (lambda: Conv2D(1, 2, 3, seed=0), (2, 5, 5, 1)),
    "maxpool": (lambda: MaxPool2D(2), (2, 4, 4, 1)), "avgpool": (lambda: AvgPool2D(2), (2, 4, 4, 1)),
    "lstm": (lambda: LSTM(2, 3, seed=0), (2, 4, 2)),
    "rnn": (lambda: RNN(2, 3, seed=0), (2, 4, 2)), "gru": (lambda: GRU(2, 3, seed=0), (2, 4, 2)),
}


@st.composite
def tensor_args(draw, good: Tensor):
    """Something passed where a list holding ``good`` belongs: often right, often not."""
    kind = draw(st.sampled_from(["good", "good", "bare", "array", "array-list", "none", "none-list",
                                 "empty", "two", "shape", "dtype", "tuple", "scalar"]))
    if kind == "good":
        return [good]
    if kind == "bare":
        return good
    if kind == "array":
        return good.to_numpy()
    if kind == "array-list":
        return [good.to_numpy()]
    if kind == "none":
        return None
    if kind == "none-list":
        return [None]
    if kind == "empty":
        return []
    if kind == "two":
        return [good, good]
    if kind == "shape":
        dims = list(good.shape.dims)
        axis = draw(st.integers(0, len(dims) - 1))
        dims[axis] += draw(st.sampled_from([-1, 1])) if dims[axis] > 1 else 1
        return [Tensor(dims)]
    if kind == "dtype":
        return [Tensor(good.shape, dtype=np.float64)]
    if kind == "tuple":
        return (good,)
    return draw(scalars)


def _valid(layer, ins, outs) -> bool:
    if not (isinstance(ins, (list, tuple)) and isinstance(outs, (list, tuple))
            and len(ins) == 1 and len(outs) == 1
            and isinstance(ins[0], Tensor) and isinstance(outs[0], Tensor)):
        return False
    x, y = ins[0], outs[0]
    try:
        expected = layer.output_shape(x.shape)
    except ValueError:
        return False
    return (y.shape == expected and x.dtype == y.dtype
            and all(p.dtype == x.dtype for p in layer.params))


@settings(FAST, max_examples=EXAMPLES * 3)
@given(name=st.sampled_from(sorted(LAYERS)), data=st.data())
def test_layer_forward_and_backward_refuse_wrong_arguments(name, data):
    make, in_dims = LAYERS[name]
    layer = make()
    x = Tensor.from_numpy(np.random.default_rng(0).standard_normal(in_dims))
    y = Tensor(layer.output_shape(x.shape))
    ins, outs = data.draw(tensor_args(x), "ins"), data.draw(tensor_args(y), "outs")
    valid = _valid(layer, ins, outs)
    for method, args in (("forward", (ins, outs)), ("backward", (outs, ins))):
        if method == "backward" and valid:
            layer.forward(ins, outs)  # backward reads what forward left
        _, exc = call(getattr(layer, method), *args)
        if valid:
            assert exc is None, f"{method} refused valid arguments: {exc!r}"
        else:
            assert exc is not None, f"{method} accepted {args!r}"
            refused(exc)
            assert repr(layer) in str(exc), f"the message does not name the layer: {exc}"


# -- save_network / load_network ----------------------------------------------------------

def _net(seed):
    return Network(InputLayer(3, num_classes=2),
                   [FullyConnected(3, 4, seed=seed), ReLU(), FullyConnected(4, 2, seed=seed + 1)],
                   SoftmaxCrossEntropy())


@st.composite
def tampering(draw):
    """A change to a saved network's arrays, and whether the result is still a valid file."""
    key = draw(st.sampled_from(["layer0.weights", "layer0.bias", "layer2.weights", "layer2.bias"]))
    kind = draw(st.sampled_from(["none", "value", "dtype", "shape", "drop", "extra"]))
    value = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                           st.complex_numbers(max_magnitude=5), st.integers(-5, 5)))
    dtype = draw(st.sampled_from([np.float64, np.float16, np.int8, np.bool_, np.complex64, "<U3"]))
    return key, kind, value, dtype


@settings(FAST, max_examples=max(EXAMPLES // 2, 1))  # each example writes two files
@given(tampering())
def test_load_network_loads_all_or_changes_nothing(tmp_path_factory, change):
    key, kind, value, dtype = change
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    save_network(folder / "m.npz", _net(0))
    arrays, meta = load_arrays(folder / "m.npz")
    if kind == "value":
        a = arrays[key].astype(np.complex128 if isinstance(value, complex) else np.float64)
        a.flat[0] = value
        arrays[key] = a
    elif kind == "dtype":
        arrays[key] = arrays[key].astype(dtype)
    elif kind == "shape":
        arrays[key] = arrays[key].reshape(-1)[:-1]
    elif kind == "drop":
        del arrays[key]
    elif kind == "extra":
        arrays["layer9.weights"] = np.zeros(2)
    save_arrays(folder / "bad.npz", arrays, meta)

    net = _net(7)
    before = [p.elements.copy() for p in net.params]
    _, exc = call(load_network, folder / "bad.npz", net)
    if exc is not None:
        assert isinstance(exc, ValueError), repr(exc)
        assert "bad.npz" in str(exc)
        for old, p in zip(before, net.params):
            np.testing.assert_array_equal(p.elements, old)  # nothing was loaded
        return
    assert kind in ("none", "value", "dtype"), f"loaded a file with a {kind} change"
    for p, k in zip(net.params, ["layer0.weights", "layer0.bias", "layer2.weights", "layer2.bias"]):
        a = np.asarray(arrays[k])
        assert a.dtype.kind in "biuf"
        np.testing.assert_array_equal(p.to_numpy(), a.astype(np.float32))
        assert np.all(np.isfinite(p.elements))


# -- compare / assert_close ---------------------------------------------------------------

@FAST
@given(anything, anything, st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                     st.just(1e-6), st.none(), st.text(max_size=1)))
def test_compare_and_assert_close(expected, actual, atol):
    c, exc = call(compare, expected, actual, "v", atol=atol)
    if exc is not None:
        refused(exc)
        return
    assert is_real_array(expected) and is_real_array(actual) and 0 <= atol < np.inf
    e, a = np.asarray(expected, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape and e.size == a.size and np.squeeze(e).shape == np.squeeze(a).shape:
        e = e.reshape(a.shape)
    same_shape = e.shape == a.shape
    truly_close = same_shape and bool(np.all(np.abs(a - e) <= atol + 1e-5 * np.abs(e)))
    assert bool(c) == truly_close, str(c)
    assert "v:" in str(c)
    _, exc = call(assert_close, expected, actual, "v", atol=atol)
    if truly_close:
        assert exc is None
    else:
        assert isinstance(exc, AssertionError) and str(exc) == str(c)

