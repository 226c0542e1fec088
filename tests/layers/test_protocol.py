"""The contract of layers/base.py, held against every layer of the framework.

forward overwrites out elements, backward overwrites in deltas,
calculate_delta_weights accumulates into parameter deltas.
"""
import numpy as np
import pytest

from framework import FullyConnected, ReLU, Sigmoid, Softmax, Tanh, Tensor

LAYERS = [
    (lambda: FullyConnected(5, 3, seed=0), (4, 5)),
    (lambda: FullyConnected(5, 3, seed=0), (2, 3, 5)),
    (Sigmoid, (4, 5)),
    (ReLU, (4, 5)),
    (Tanh, (4, 5)),
    (Softmax, (4, 5)),
]


def _pass(layer, x, dy, junk):
    xt = Tensor.from_numpy(x, dtype=np.float32)
    yt = Tensor(layer.output_shape(xt.shape))
    yt.elements[...] = junk
    layer.forward([xt], [yt])
    yt.delta_view()[...] = dy
    xt.deltas[...] = junk
    layer.backward([yt], [xt])
    return yt.to_numpy(), xt.delta_view().copy()


@pytest.mark.parametrize("make,shape", LAYERS)
def test_forward_and_backward_overwrite(make, shape):
    rng = np.random.default_rng(0)
    layer = make()
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(layer.output_shape(shape).dims)
    y0, dx0 = _pass(layer, x, dy, junk=0.0)
    y1, dx1 = _pass(layer, x, dy, junk=123.0)
    assert np.array_equal(y0, y1), "forward must overwrite the output elements"
    assert np.array_equal(dx0, dx1), "backward must overwrite the input deltas"
    assert not np.allclose(dx0, 0.0)


@pytest.mark.parametrize("make,shape", [item for item in LAYERS if item[0] not in (Sigmoid, ReLU, Tanh, Softmax)])
def test_delta_weights_accumulate(make, shape):
    rng = np.random.default_rng(1)
    layer = make()
    xt = Tensor.from_numpy(rng.standard_normal(shape), dtype=np.float32)
    yt = Tensor(layer.output_shape(xt.shape))
    layer.forward([xt], [yt])
    yt.deltas[...] = rng.standard_normal(yt.size)
    layer.zero_deltas()
    layer.calculate_delta_weights([yt], [xt])
    once = [p.deltas.copy() for p in layer.params]
    layer.calculate_delta_weights([yt], [xt])
    for p, g in zip(layer.params, once):
        np.testing.assert_allclose(p.deltas, 2 * g, rtol=1e-6)


def test_layers_without_parameters_have_none():
    for layer in (Sigmoid(), ReLU(), Tanh(), Softmax()):
        assert layer.params == []


def test_check_io_remembers_a_pair_but_still_sees_a_dtype_change():
    """The per-step fast path (same tensors again) must not hide a later parameter dtype change."""
    import numpy as np
    import pytest
    from framework import FullyConnected, Tensor
    fc = FullyConnected(3, 2, seed=0)
    x = Tensor.from_numpy(np.ones((4, 3)), dtype=np.float32)
    y = Tensor(fc.output_shape(x.shape), dtype=np.float32)
    assert fc.check_io([x], [y]) == (x, y)
    assert fc.check_io([x], [y]) == (x, y)          # remembered
    fc.astype_(np.float64)
    with pytest.raises(TypeError, match="parameters are float64"):
        fc.check_io([x], [y])
    other = Tensor(fc.output_shape(x.shape).dims[:1] + (3,), dtype=np.float32)
    fc.astype_(np.float32)
    with pytest.raises(ValueError, match="output tensor has"):
        fc.check_io([x], [other])


# the activations of issue 12, NumPy inside the layer: same contract, no parameters, a repr
NUMPY_ACTIVATIONS = [("Linear()", "Linear()"), ("LeakyReLU(0.1)", "LeakyReLU(alpha=0.1)"),
                     ("ELU(0.5)", "ELU(alpha=0.5)"), ("Softplus()", "Softplus()"),
                     ("Softsign()", "Softsign()"), ("Elliot(2.0)", "Elliot(steepness=2)"),
                     ("SymmetricElliot(0.5)", "SymmetricElliot(steepness=0.5)"),
                     ("Maxout(2)", "Maxout(pieces=2)"), ("Maxout(3)", "Maxout(pieces=3)")]


@pytest.mark.parametrize("spec,shown", NUMPY_ACTIVATIONS)
def test_numpy_activations_overwrite_and_have_no_parameters(spec, shown):
    import framework
    layer = eval(spec, vars(framework))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6))
    dy = rng.standard_normal(layer.output_shape(x.shape).dims)
    y0, dx0 = _pass(layer, x, dy, junk=0.0)
    y1, dx1 = _pass(layer, x, dy, junk=123.0)
    assert np.array_equal(y0, y1), "forward must overwrite the output elements"
    assert np.array_equal(dx0, dx1), "backward must overwrite the input deltas"
    assert not np.allclose(dx0, 0.0)
    assert layer.params == [] and repr(layer) == shown
