"""The BatchNorm operations: C kernel (framework/csrc/batchnorm.c) against the NumPy reference.

Every operation, in training and in evaluation, on shapes with one row,
three rows, one feature, image-sized row counts and sizes that are no
multiple of 8; the optimized C loops also against the plain C loops; the
layer on both backends; bad calls refused with a message naming the
argument, before any pointer reaches C.

Skipped when the kernel is not built, except under ``CI=true``.
"""
from __future__ import annotations


import numpy as np
import pytest

from needs_c_kernel import require_c_kernel
from framework import BatchNorm, Tensor, backend
from framework.backend import c_backend, numpy_batchnorm

require_c_kernel()

from framework.backend import c_batchnorm  # noqa: E402  (needs the kernel)

EPS = 1e-5
# (R, F): one row, three rows, one feature, odd sizes, the MLP's, an image batch (64·8·8 rows,
# large enough for threads), a long odd column
SHAPES = [(1, 1), (1, 5), (3, 4), (7, 1), (13, 9), (32, 256), (64, 128), (64 * 8 * 8, 64),
          (4099, 3)]
OPS = ["batchnorm_forward", "batchnorm_backward", "batchnorm_delta_weights"]


def _inputs(r: int, f: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([r, f, seed])
    # features of different means and spreads, so a column mix-up shows
    x = rng.normal(size=(r, f)) * rng.uniform(0.5, 4.0, f) + rng.uniform(-3, 3, f)
    return {
        "x": np.asfortranarray(x.astype(np.float32)),
        "dy": np.asfortranarray(rng.normal(size=(r, f)).astype(np.float32)),
        "scale": rng.uniform(0.5, 2.0, f).astype(np.float32),
        "shift": rng.normal(size=f).astype(np.float32),
        "mean": rng.normal(size=f).astype(np.float32),          # the running averages (evaluation)
        "var": rng.uniform(0.5, 3.0, f).astype(np.float32),
    }


def _run(module, op: str, a: dict[str, np.ndarray], training: bool, suffix: str = "") -> dict:
    """Call ``op`` of ``module`` on copies of ``a``; return every array it may write."""
    r, f = a["x"].shape
    mean, var = a["mean"].copy(), a["var"].copy()
    fn = getattr(module, op + suffix)
    if op == "batchnorm_forward":
        y = np.full((r, f), np.nan, np.float32, order="F")    # overwritten: old contents ignored
        fn(a["x"], a["scale"], a["shift"], mean, var, y, EPS, training)
        return {"y": y, "mean": mean, "var": var}
    if op == "batchnorm_backward":
        dx = np.full((r, f), np.nan, np.float32, order="F")
        fn(a["x"], a["dy"], a["scale"], mean, var, dx, EPS, training)
        return {"dx": dx, "mean": mean, "var": var}
    dscale, dshift = np.full(f, 0.25, np.float32), np.full(f, -1.5, np.float32)  # accumulated into
    fn(a["x"], a["dy"], mean, var, dscale, dshift, EPS, training)
    return {"dscale": dscale, "dshift": dshift, "mean": mean, "var": var}


def _close(got: dict, expected: dict, context: str, tol: float = 2e-5) -> None:
    for name, e in expected.items():
        g = got[name]
        scale = max(1.0, float(np.max(np.abs(e))))
        err = float(np.max(np.abs(g.astype(np.float64) - e)))
        assert err <= tol * scale, f"{context}: {name} differs by {err:.3g} (scale {scale:.3g})"


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{r}x{f}" for r, f in SHAPES])
def test_c_agrees_with_the_numpy_reference(shape, op, training):
    a = _inputs(*shape)
    expected = _run(numpy_batchnorm, op, a, training)
    # a sum of R products: float32 rounding grows with the column length
    tol = 2e-5 * max(1.0, np.sqrt(shape[0] / 64))
    _close(_run(c_batchnorm, op, a, training), expected, f"C {op} {shape}", tol)
    _close(_run(c_batchnorm, op, a, training, "_ref"), expected, f"C {op}_ref {shape}", tol)


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_give_the_plain_loops_result(threads):
    before = c_backend.get_num_threads()
    c_backend.set_num_threads(threads)
    try:
        a = _inputs(64 * 8 * 8, 64, seed=1)   # 262144 elements: threads split the features
        for op in OPS:
            _close(_run(c_batchnorm, op, a, True), _run(c_batchnorm, op, a, True, "_ref"),
                   f"{op} on {threads} thread(s)", 1e-6)
    finally:
        c_backend.set_num_threads(before)


def test_hand_computed_values():
    # column [1, 3]: μ = 2, σ² = 1, x̂ = [−1, 1]/√(1 + ε); γ = 2, β = 0.5
    x = np.array([[1.0], [3.0]], np.float32, order="F")
    mean, var, y = np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros((2, 1), np.float32, order="F")
    c_batchnorm.batchnorm_forward(x, np.array([2.0], np.float32), np.array([0.5], np.float32),
                                  mean, var, y, EPS, True)
    s = 1 / np.sqrt(1 + EPS)
    np.testing.assert_allclose(y[:, 0], [-2 * s + 0.5, 2 * s + 0.5], rtol=1e-6)
    np.testing.assert_allclose([mean[0], var[0]], [2.0, 1.0], rtol=1e-7)
    # a constant δy has no effect in training (the mean absorbs it): δx = 0, δγ += 0, δβ += 2
    dy = np.ones((2, 1), np.float32, order="F")
    dx = np.full((2, 1), 7.0, np.float32, order="F")
    c_batchnorm.batchnorm_backward(x, dy, np.array([2.0], np.float32), mean, var, dx, EPS, True)
    np.testing.assert_allclose(dx[:, 0], [0.0, 0.0], atol=1e-7)
    ds, db = np.array([1.0], np.float32), np.array([1.0], np.float32)
    c_batchnorm.batchnorm_delta_weights(x, dy, mean, var, ds, db, EPS, True)
    np.testing.assert_allclose([ds[0], db[0]], [1.0, 3.0], atol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # NumPy: the mean of no rows
@pytest.mark.parametrize("name", ["numpy", "c"])
def test_no_rows_give_nan_statistics_and_no_crash(name):
    x = np.zeros((0, 3), np.float32, order="F")
    mean, var = np.zeros(3, np.float32), np.zeros(3, np.float32)
    with backend.use(name):
        backend.get(np.float32).batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32),
                                                  mean, var, np.empty_like(x), EPS, True)
    assert np.all(np.isnan(mean)) and np.all(np.isnan(var))


def test_large_mean_keeps_the_variance():
    # values 1000 ± 0.01: a naive Σx² − (Σx)²/R in float32 would cancel to 0 or below
    x = np.asfortranarray((1000.0 + 0.01 * np.array([[-1.0], [1.0], [-1.0], [1.0]])).astype(np.float32))
    mean, var = np.zeros(1, np.float32), np.zeros(1, np.float32)
    c_batchnorm.batchnorm_forward(x, np.ones(1, np.float32), np.zeros(1, np.float32), mean, var,
                                  np.empty_like(x), EPS, True)
    expected = np.var(x.astype(np.float64))
    assert abs(var[0] - expected) <= 1e-3 * expected, (var[0], expected)


# ---------------------------------------------------------------- the layer on both backends

def _layer_step(name: str | None, shape: tuple[int, ...], training: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    layer = BatchNorm(shape[-1], seed=0)
    layer.backend = name
    layer.scale.elements[:] = rng.uniform(0.5, 2.0, shape[-1])
    layer.shift.elements[:] = rng.normal(size=shape[-1])
    layer.running_mean[:] = rng.normal(size=shape[-1])
    layer.running_var[:] = rng.uniform(0.5, 2.0, shape[-1])
    layer.training = training
    x = Tensor.from_numpy((rng.normal(size=shape) * 2 + 1).astype(np.float32), dtype=np.float32)
    y = Tensor(layer.output_shape(x.shape), dtype=np.float32)
    layer.forward([x], [y])
    y.deltas[...] = rng.normal(size=y.deltas.shape).astype(np.float32)
    layer.backward([y], [x])
    layer.scale.deltas[...] = 1.0
    layer.shift.deltas[...] = 1.0
    layer.calculate_delta_weights([y], [x])
    return {"y": y.view().copy(), "dx": x.delta_view().copy(), "dscale": layer.scale.deltas.copy(),
            "dshift": layer.shift.deltas.copy(), "running_mean": layer.running_mean.copy(),
            "running_var": layer.running_var.copy()}


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("shape", [(1, 3), (32, 256), (4, 5, 6, 7), (3, 5, 2)])
def test_layer_agrees_on_both_backends(shape, training):
    ref = _layer_step("numpy", shape, training)
    _close(_layer_step("c", shape, training), ref, f"BatchNorm{shape} C vs NumPy", 5e-5)


def test_layer_runs_the_backend_chosen_for_it():
    layer = BatchNorm(3)
    layer.backend = "numpy"
    assert layer.ops(np.float32).sources["batchnorm_forward"] == "numpy"
    layer.backend = "c"
    assert layer.ops(np.float32).sources["batchnorm_backward"] == "c"
    assert layer.ops(np.float64).name == "numpy"      # float64 (gradient checks) stays on NumPy
    layer.backend = None
    with backend.use("numpy", ops=["batchnorm_delta_weights"]):
        sources = layer.ops(np.float32).sources
    assert sources["batchnorm_delta_weights"] == "numpy"


# ---------------------------------------------------------------- bad calls

def _args(training: bool = True) -> list:
    a = _inputs(5, 3)
    return [a["x"], a["scale"], a["shift"], a["mean"], a["var"],
            np.zeros((5, 3), np.float32, order="F"), EPS, training]


def _spoiled(k: int, value) -> list:
    args = _args()
    args[k] = value
    return args


X, SCALE, SHIFT, MEAN, VAR, Y, E, TRAINING = range(8)
BAD = [
    ("float64 x", lambda: _spoiled(X, np.zeros((5, 3), order="F")), TypeError, r"x: expected dtype float32"),
    ("None scale", lambda: _spoiled(SCALE, None), TypeError, r"scale: expected a numpy.ndarray"),
    ("short shift", lambda: _spoiled(SHIFT, np.zeros(2, np.float32)), ValueError,
     r"shift: expected shape \(3,\)"),
    ("y of other shape", lambda: _spoiled(Y, np.zeros((5, 4), np.float32, order="F")), ValueError,
     r"y: expected shape \(5, 3\) \(that of x\)"),
    ("row-major x", lambda: _spoiled(X, np.zeros((5, 3), np.float32)), ValueError,
     r"x: expected a column-major"),
    ("strided mean", lambda: _spoiled(MEAN, np.zeros(6, np.float32)[::2]), ValueError,
     r"mean: expected a contiguous vector"),
    ("eps 0", lambda: _spoiled(E, 0.0), ValueError, r"eps: expected a positive finite number"),
    ("eps nan", lambda: _spoiled(E, float("nan")), ValueError, r"eps: expected a positive"),
    ("training 1", lambda: _spoiled(TRAINING, 1), TypeError, r"training: expected a bool"),
]


@pytest.mark.parametrize("name", ["numpy", "c"])
@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_bad_calls_are_refused_naming_the_argument(name, case):
    _, make, exc, pattern = case
    args = make()
    if name == "numpy" and pattern.startswith(("x: expected dtype", "x: expected a column",
                                               "mean: expected a contig")):
        pytest.skip("NumPy computes float64 too, from any memory order")
    with backend.use(name):
        with pytest.raises(exc, match=pattern):
            backend.get(np.float32).batchnorm_forward(*args)


@pytest.mark.parametrize("name", ["numpy", "c"])
def test_overlapping_outputs_are_refused(name):
    with backend.use(name):
        ops = backend.get(np.float32)
        args = _args()
        args[Y] = args[X]                                      # y over x
        with pytest.raises(ValueError, match="y: must not overlap x"):
            ops.batchnorm_forward(*args)
        stats = np.zeros(4, np.float32)
        args = _args()
        args[MEAN], args[VAR] = stats[:3], stats[1:]           # mean and var share memory
        with pytest.raises(ValueError, match="must not overlap"):
            ops.batchnorm_forward(*args)
        a = _inputs(5, 3)
        with pytest.raises(ValueError, match="dscale: must not overlap dshift"):
            ops.batchnorm_delta_weights(a["x"], a["dy"], a["mean"], a["var"], a["scale"],
                                        a["scale"], EPS, True)


@pytest.mark.parametrize("name", ["numpy", "c"])
def test_read_only_statistics_only_in_evaluation(name):
    with backend.use(name):
        ops = backend.get(np.float32)
        args = _args(training=False)
        args[MEAN].setflags(write=False)
        args[VAR].setflags(write=False)
        ops.batchnorm_forward(*args)                           # evaluation only reads them
        args[TRAINING] = True
        with pytest.raises(ValueError, match="mean: expected a writeable array"):
            ops.batchnorm_forward(*args)
