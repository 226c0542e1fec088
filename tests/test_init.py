"""Initialisers: each one's mean, variance (by fan-in / fan-out, incl. the conv receptive
field), bounds and orthogonality, measured on large draws; every name works on every layer."""
import numpy as np
import pytest

from framework import GRU, LSTM, RNN, BatchNorm, Conv2D, Embedding, FullyConnected
from framework import init as I

FC_SHAPE = (300, 500)            # fan_in 300, fan_out 500
CONV_SHAPE = (3, 3, 40, 24)      # fan_in 3·3·40 = 360, fan_out 3·3·24 = 216

# name -> (expected variance as a function of (fan_in, fan_out), uniform half-width or None)
EXPECTED = {
    "lecun_uniform": (lambda i, o: 1 / i, lambda i, o: np.sqrt(3 / i)),
    "lecun_normal": (lambda i, o: 1 / i, None),
    "glorot_uniform": (lambda i, o: 2 / (i + o), lambda i, o: np.sqrt(6 / (i + o))),
    "glorot_normal": (lambda i, o: 2 / (i + o), None),
    "xavier_uniform": (lambda i, o: 2 / (i + o), lambda i, o: np.sqrt(6 / (i + o))),
    "xavier_normal": (lambda i, o: 2 / (i + o), None),
    "he_uniform": (lambda i, o: 2 / i, lambda i, o: np.sqrt(6 / i)),
    "he_normal": (lambda i, o: 2 / i, None),
    "xavier": (lambda i, o: 2 / (i + o), lambda i, o: np.sqrt(6 / (i + o))),
    "glorot": (lambda i, o: 2 / (i + o), lambda i, o: np.sqrt(6 / (i + o))),
    "he": (lambda i, o: 2 / i, None),
    "uniform": (lambda i, o: 0.05 ** 2 / 3, lambda i, o: 0.05),
    "normal": (lambda i, o: 0.05 ** 2, None),
}


def draw(init, shape, seed=0):
    return I.get_initializer(init)(shape, np.random.default_rng(seed))


@pytest.mark.parametrize("shape,fans", [(FC_SHAPE, (300, 500)), (CONV_SHAPE, (360, 216)),
                                        ((7,), (7, 7))])
def test_fans_include_the_receptive_field(shape, fans):
    assert I._fans(shape) == fans


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("shape", [FC_SHAPE, CONV_SHAPE], ids=["fc", "conv"])
def test_mean_variance_and_bounds(name, shape):
    w = draw(name, shape)
    fan_in, fan_out = I._fans(shape)
    var, bound = EXPECTED[name]
    expected_var = var(fan_in, fan_out)
    n = w.size
    assert w.shape == shape and w.dtype == np.float64
    # mean within 5 standard errors of 0; variance within 5 % (std. error < 1.5 % here)
    assert abs(w.mean()) < 5 * np.sqrt(expected_var / n), f"{name}: mean {w.mean()}"
    assert w.var() == pytest.approx(expected_var, rel=0.05), f"{name}: variance"
    if bound is not None:
        a = bound(fan_in, fan_out)
        assert np.abs(w).max() <= a and np.abs(w).max() > 0.99 * a, f"{name}: bound {a}"
    else:  # a normal: a few values beyond 3 std, none beyond 6
        z = np.abs(w) / np.sqrt(expected_var)
        assert z.max() > 3 and z.max() < 6


def test_the_variance_test_tells_fan_in_from_fan_out():
    # guards the test above against being unable to fail: on [300, 500], He by fan_out would
    # differ from He by fan_in by far more than the 5 % tolerance
    w = draw("he_normal", FC_SHAPE)
    assert w.var() != pytest.approx(2 / 500, rel=0.05)
    assert draw("lecun_normal", CONV_SHAPE).var() != pytest.approx(1 / 40, rel=0.05)


def test_historic_names_keep_their_meaning():
    # seeded results must not change: "xavier"/"glorot" = Glorot uniform, "he" = He normal
    rng = np.random.default_rng(3)
    a = np.sqrt(6 / (4 + 5))
    np.testing.assert_array_equal(draw("xavier", (4, 5), seed=3), rng.uniform(-a, a, size=(4, 5)))
    np.testing.assert_array_equal(draw("glorot", (4, 5), seed=3), draw("glorot_uniform", (4, 5), 3))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(draw("he", (4, 5), seed=3),
                                  rng.normal(0, np.sqrt(2 / 4), size=(4, 5)))
    fc = FullyConnected(4, 5, seed=3, dtype=np.float64)
    np.testing.assert_array_equal(fc.weights.to_numpy(), draw("xavier", (4, 5), seed=3))


def test_zeros_ones_constant():
    assert np.all(draw("zeros", (3, 4)) == 0) and np.all(draw("ones", (3, 4)) == 1)
    assert np.all(draw(("constant", 0.1), (3, 4)) == 0.1)
    assert np.all(I.constant(-2.5)((2, 2, 3), None) == -2.5)
    with pytest.raises(ValueError, match="needs a value"):
        I.get_initializer("constant")
    with pytest.raises(ValueError, match="finite"):
        I.constant(np.nan)


def test_uniform_and_normal_take_a_scale():
    w = draw(("uniform", 0.2), FC_SHAPE)
    assert np.abs(w).max() <= 0.2 and w.var() == pytest.approx(0.2 ** 2 / 3, rel=0.05)
    w = draw(I.normal(0.01), FC_SHAPE)
    assert w.std() == pytest.approx(0.01, rel=0.05)
    with pytest.raises(ValueError, match="positive"):
        I.uniform(0)


@pytest.mark.parametrize("shape", [(6, 6), (9, 4), (4, 9)])
def test_orthogonal_matrix(shape):
    w = draw("orthogonal", shape)
    if shape[0] >= shape[1]:
        np.testing.assert_allclose(w.T @ w, np.eye(shape[1]), atol=1e-12)
    else:  # wide and not a multiple: orthonormal rows
        np.testing.assert_allclose(w @ w.T, np.eye(shape[0]), atol=1e-12)


def test_orthogonal_gate_blocks_and_conv_kernels():
    w = draw("orthogonal", (5, 20))
    for g in range(4):
        block = w[:, 5 * g:5 * (g + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-12)
    k = draw("orthogonal", (3, 3, 4, 8)).reshape(36, 8)
    np.testing.assert_allclose(k.T @ k, np.eye(8), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 dims"):
        draw("orthogonal", (5,))


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown initializer 'kaiming'"):
        I.get_initializer("kaiming")
    with pytest.raises(ValueError, match="pair"):
        I.get_initializer(("lecun_uniform", 1.0))


ALL_INITS = sorted(I.INITIALIZERS) + [("constant", 0.1), I.constant(0.1), ("uniform", 0.3)]


@pytest.mark.parametrize("init", ALL_INITS, ids=str)
def test_every_initializer_works_on_every_layer_with_parameters(init):
    expected = draw(init, (3, 3, 2, 4), seed=7) if not callable(init) else init((3, 3, 2, 4), None)
    conv = Conv2D(2, 4, 3, init=init, seed=7, dtype=np.float64)
    np.testing.assert_array_equal(conv.weights.to_numpy(), expected)
    fc = FullyConnected(6, 4, init=init, seed=7, dtype=np.float64)
    np.testing.assert_array_equal(fc.weights.to_numpy(), draw(init, (6, 4), seed=7)
                                  if not callable(init) else init((6, 4), None))
    lstm = LSTM(3, 2, init=init, recurrent_init=init, seed=7, dtype=np.float64)
    assert lstm.U.shape.dims == (3, 8) and lstm.W.shape.dims == (2, 8)
    assert np.all(np.isfinite(lstm.U.to_numpy())) and np.all(np.isfinite(lstm.W.to_numpy()))
    if init in ("zeros", ("constant", 0.1)):
        assert np.all(lstm.U.to_numpy() == (0.0 if init == "zeros" else 0.1))


@pytest.mark.parametrize("init", ALL_INITS, ids=str)
def test_every_initializer_works_on_the_newer_layers(init):
    def expected(shape, seed=7):
        return draw(init, shape, seed=seed) if not callable(init) else init(shape, None)
    emb = Embedding(5, 3, init=init, seed=7, dtype=np.float64)
    np.testing.assert_array_equal(emb.weights.to_numpy(), expected((5, 3)))
    for layer in (RNN(3, 2, init=init, recurrent_init=init, seed=7, dtype=np.float64),
                  GRU(3, 2, init=init, recurrent_init=init, seed=7, dtype=np.float64)):
        assert np.all(np.isfinite(layer.U.to_numpy())) and np.all(np.isfinite(layer.W.to_numpy()))
        if init in ("zeros", ("constant", 0.1)):
            assert np.all(layer.U.to_numpy() == (0.0 if init == "zeros" else 0.1))
    # BatchNorm's γ and β draw one after the other from the same seeded generator.
    if init == "orthogonal":   # a vector has no orthogonal matrix: the error names layer and parameter
        with pytest.raises(ValueError, match=r"BatchNorm\(4.*\): scale \[4\]: orthogonal initializer"):
            BatchNorm(4, scale_init=init)
        return
    bn = BatchNorm(4, scale_init=init, shift_init=init, seed=7, dtype=np.float64)
    rng = np.random.default_rng(7)
    first = I.get_initializer(init)((4,), rng)
    np.testing.assert_array_equal(bn.scale.to_numpy(), first)


def test_batch_norm_starts_as_the_identity_by_default():
    bn = BatchNorm(3)
    np.testing.assert_array_equal(bn.scale.to_numpy(), [1, 1, 1])
    np.testing.assert_array_equal(bn.shift.to_numpy(), [0, 0, 0])
