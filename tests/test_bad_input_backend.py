"""Property-based tests of the raw backend wrappers with bad arguments, on both backends.

The ops are reached the way layers reach them, ``backend.get(np.float32)``
under ``backend.use(name)``, by the names of ``numpy_backend.py``. Hypothesis
builds a valid call, then spoils one argument (dtype, shape, memory order,
stride, read-only output, None, a list, a partial overlap with another
argument) and checks the contract:

* a valid call succeeds and computes the reference result (float64 NumPy);
* a call that must fail (wrong shape, not real numbers, None, a read-only
  output, ``beta`` other than 0 or 1, and on the C backend anything but
  contiguous float32 in the right order) raises TypeError or ValueError
  with a message;
* a call that may go either way (NumPy taking float64, C-ordered or strided
  arrays, or overlapping buffers) either raises so, or computes exactly
  the reference result from the values it was given: never garbage.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from framework import backend

EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "30"))
# No shrinking: the messages name the op, the argument and how it was spoiled, and the
# known-defect (xfail) cases below would otherwise spend seconds shrinking on every run.
FAST = settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name: (argument roles, reference). A role is (name, kind, is_output); kinds say the shape:
# "m" an [R, C] matrix, "v" a [C] vector, "e" the elementwise [L] buffer; matmul is special.
OPS = {
    "add_bias": ((("y", "m", True), ("bias", "v", False)), lambda y, bias: y + bias),
    "bias_grad": ((("dy", "m", False), ("dbias", "v", True)), lambda dy, dbias: dbias + dy.sum(axis=0)),
    "sigmoid_forward": ((("x", "e", False), ("y", "e", True)), lambda x, y: _sigmoid(x)),
    "relu_forward": ((("x", "e", False), ("y", "e", True)), lambda x, y: np.maximum(x, 0)),
    "tanh_forward": ((("x", "e", False), ("y", "e", True)), lambda x, y: np.tanh(x)),
    "sigmoid_backward": ((("y", "e", False), ("dy", "e", False), ("dx", "e", True)),
                         lambda y, dy, dx: dy * y * (1 - y)),
    "relu_backward": ((("x", "e", False), ("dy", "e", False), ("dx", "e", True)),
                      lambda x, dy, dx: dy * (x > 0)),
    "tanh_backward": ((("y", "e", False), ("dy", "e", False), ("dx", "e", True)),
                      lambda y, dy, dx: dy * (1 - y * y)),
}

SPOILS = ["none", "none", "none", "float64", "int32", "bool", "complex64", "str", "None", "list",
          "scalar", "bigger", "extra-dim", "flat", "transposed", "c-order", "strided", "read-only",
          "overlap", "alias"]


def _f(shape, rng):
    return np.asfortranarray(rng.uniform(-3, 3, size=shape).astype(np.float32))


def _spoil(args, k, other, how, rng):
    """Spoil ``args[k]`` as ``how`` in place; ``args[other]`` is used for aliasing and overlaps."""
    arr = args[k]
    if how in ("float64", "int32", "bool", "complex64"):
        args[k] = np.asfortranarray(arr.astype(how))
    elif how == "str":
        args[k] = arr.astype("<U8")
    elif how == "None":
        args[k] = None
    elif how == "list":
        args[k] = arr.tolist()
    elif how == "scalar":
        args[k] = np.float32(1.5)
    elif how == "bigger":
        args[k] = _f(tuple(d + 1 for d in arr.shape), rng)
    elif how == "extra-dim":
        args[k] = np.asfortranarray(arr[np.newaxis])
    elif how == "flat":
        args[k] = arr.reshape(-1, order="F")
    elif how == "transposed":
        args[k] = np.asfortranarray(arr.T)
    elif how == "c-order":
        args[k] = np.ascontiguousarray(arr)
    elif how == "strided":
        wide = np.zeros((arr.shape[0] * 2,) + arr.shape[1:], dtype=np.float32, order="F")
        wide[::2] = arr
        args[k] = wide[::2]
    elif how == "read-only":
        arr.setflags(write=False)
    elif how == "alias":
        args[k] = args[other]
    elif how == "overlap":
        # Both in one buffer, shifted by one element against each other: a partial overlap.
        o = args[other]
        flat = rng.uniform(-3, 3, size=max(o.size, arr.size) + 1).astype(np.float32)
        args[other] = flat[:o.size].reshape(o.shape, order="F")
        args[k] = flat[1:1 + arr.size].reshape(arr.shape, order="F")


def _meaning(args, shapes, outputs, c_backend):
    """'valid', 'fail' or 'either' for a call with these arguments (see the module docstring)."""
    meaning = "valid"
    for i, (a, shape) in enumerate(zip(args, shapes)):
        is_output = i in outputs
        if isinstance(a, list):
            if c_backend or is_output or np.shape(a) != shape:
                return "fail"
            meaning = "either"
            continue
        if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype.kind not in "biuf":
            return "fail"
        if is_output and not a.flags.writeable:
            return "fail"
        contiguous = a.flags.f_contiguous if a.ndim == 2 else (a.flags.c_contiguous or a.flags.f_contiguous)
        if c_backend and (a.dtype != np.float32 or not contiguous):
            return "fail"
        if a.dtype not in (np.float32, np.float64) or not contiguous:
            meaning = "either"
    for i in outputs:
        for j, b in enumerate(args):
            if j != i and isinstance(b, np.ndarray) and np.shares_memory(args[i], b):
                meaning = "either"  # aliasing or a partial overlap: refuse, or compute it right
    return meaning


def _refused(exc):
    assert isinstance(exc, (TypeError, ValueError)), f"{type(exc).__name__}: {exc}"
    assert len(str(exc)) > 10, f"message too short to help: {exc!r}"


def _check(context, meaning, exc, got, expected):
    if meaning == "fail":
        assert exc is not None, f"{context} was accepted"
        _refused(exc)
        return
    if meaning == "valid":
        assert exc is None, f"{context} was refused: {exc!r}"
    if exc is not None:
        _refused(exc)
        return
    got = np.asarray(got, dtype=np.float64)
    np.testing.assert_allclose(got, np.asarray(expected).reshape(got.shape), rtol=2e-5, atol=2e-5,
                               err_msg=f"{context}: accepted, but computed garbage")


def _run(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's casting warnings: the result is checked instead
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - classified by _check
            return exc
    return None


def _values(a):
    """What an argument holds before the call, as float64 (None for what has no numbers)."""
    try:
        return np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None


BACKENDS = [pytest.param("numpy", id="numpy"), pytest.param("c", id="c")]
# The C wrappers of these ops once accepted partially overlapping buffers and computed
# garbage (the matrix product, conv, pool and LSTM wrappers always refused them).
C_OVERLAP_UNCHECKED = {"add_bias", "bias_grad", "relu_forward", "relu_backward", "sigmoid_forward",
                       "sigmoid_backward", "tanh_forward", "tanh_backward"}


def _use(name):
    if name not in backend.available():
        pytest.skip("the C kernel is not built")
    return backend.use(name)


@pytest.mark.parametrize("name", BACKENDS)
@settings(FAST, max_examples=EXAMPLES * 5)
@given(op_name=st.sampled_from(sorted(OPS)), rows=st.integers(1, 5), cols=st.integers(1, 4),
       spoiled=st.integers(0, 2), how=st.sampled_from(SPOILS), seed=st.integers(0, 2**16))
def test_raw_wrapper_refuses_or_computes_the_reference(name, op_name, rows, cols, spoiled, how, seed):
    assume(not (name == "c" and how == "overlap" and op_name in C_OVERLAP_UNCHECKED))
    roles, reference = OPS[op_name]
    rng = np.random.default_rng(seed)
    kinds = {"m": (rows, cols), "v": (cols,), "e": (rows * cols,)}
    shapes = [kinds[kind] for _, kind, _ in roles]
    args = [_f(shape, rng) for shape in shapes]
    k = spoiled % len(roles)
    _spoil(args, k, (k + 1) % len(roles), how, rng)
    outputs = [i for i, role in enumerate(roles) if role[2]]
    before = [_values(a) for a in args]
    with _use(name):
        ops = backend.get(np.float32)
        meaning = _meaning(args, shapes, outputs, name == "c")
        exc = _run(lambda: getattr(ops, op_name)(*args))
    expected = reference(*before) if meaning != "fail" else None
    _check(f"{name} {op_name}: {roles[k][0]} spoiled as {how!r}", meaning, exc, args[outputs[0]], expected)


@pytest.mark.parametrize("name", BACKENDS)
@settings(FAST, max_examples=EXAMPLES * 2)
@given(m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4), trans_a=st.booleans(),
       trans_b=st.booleans(), beta=st.sampled_from([0.0, 1.0, 0.0, 1.0, 2.0, -1.0, 0.5, float("nan"), "x", None]),
       spoiled=st.integers(0, 2), how=st.sampled_from(SPOILS), seed=st.integers(0, 2**16))
def test_raw_matmul_refuses_or_computes_the_reference(name, m, k, n, trans_a, trans_b, beta, spoiled,
                                                      how, seed):
    rng = np.random.default_rng(seed)
    shapes = [(k, m) if trans_a else (m, k), (n, k) if trans_b else (k, n), (m, n)]
    args = [_f(shape, rng) for shape in shapes]
    _spoil(args, spoiled, (spoiled + 1) % 3, how, rng)
    before = [_values(a) for a in args]
    with _use(name):
        ops = backend.get(np.float32)
        meaning = _meaning(args, shapes, [2], name == "c")
        if not (isinstance(beta, float) and beta in (0.0, 1.0)):
            meaning = "fail"
        exc = _run(lambda: ops.matmul(*args, trans_a=trans_a, trans_b=trans_b, beta=beta))
    expected = None
    if meaning != "fail":
        a, b, out = before
        expected = (a.T if trans_a else a) @ (b.T if trans_b else b) + beta * out
    _check(f"{name} matmul(trans_a={trans_a}, trans_b={trans_b}, beta={beta!r}): argument {spoiled} "
           f"spoiled as {how!r}", meaning, exc, args[2], expected)


@pytest.mark.parametrize("op_name", sorted(C_OVERLAP_UNCHECKED))
def test_c_wrappers_refuse_partially_overlapping_buffers(op_name):
    roles, reference = OPS[op_name]
    rng = np.random.default_rng(0)
    kinds = {"m": (1, 4), "v": (4,), "e": (4,)}
    shapes = [kinds[kind] for _, kind, _ in roles]
    args = [_f(shape, rng) for shape in shapes]
    out = next(i for i, role in enumerate(roles) if role[2])
    _spoil(args, out, (out + 1) % len(roles), "overlap", rng)
    before = [_values(a) for a in args]
    with _use("c"):
        exc = _run(lambda: getattr(backend.get(np.float32), op_name)(*args))
    _check(f"c {op_name}: {roles[out][0]} overlapping the next argument", "either", exc, args[out],
           reference(*before))


# ---------------------------------------------------------------- image and sequence operations

def _image_and_sequence_calls(rng):
    """One valid call per image/sequence operation: ``{op: (argument names, arguments)}``."""
    from framework.backend.geometry import ConvGeom, PoolGeom

    g = ConvGeom(N=2, H=4, W=3, C=2, kh=2, kw=2)
    pg = PoolGeom(N=2, H=4, W=4, C=2, ph=2, pw=2, sh=2, sw=2)
    o, n, t, hid = 3, 2, 3, 2
    img, pimg, small = (g.N, g.H, g.W, g.C), (pg.N, pg.H, pg.W, pg.C), (pg.N, pg.Ho, pg.Wo, pg.C)
    r = lambda *shape: rng.uniform(-1, 1, size=shape).astype(np.float32)  # noqa: E731
    f = lambda *shape: np.asfortranarray(r(*shape))  # noqa: E731
    return {
        "im2col": ("x g p", [f(*img), g, f(g.R, g.K)]),
        "col2im": ("p g x", [f(g.R, g.K), g, f(*img)]),
        "conv2d_forward": ("x w b y g", [f(*img), f(g.K, o), r(o), f(g.R, o), g]),
        "conv2d_backward": ("dy w dx g", [f(g.R, o), f(g.K, o), f(*img), g]),
        "conv2d_delta_weights": ("x dy dw db g", [f(*img), f(g.R, o), f(g.K, o), r(o), g]),
        "maxpool2d_forward": ("x y g", [f(*pimg), f(*small), pg]),
        "maxpool2d_backward": ("x dy dx g", [f(*pimg), f(*small), f(*pimg), pg]),
        "avgpool2d_forward": ("x y g", [f(*pimg), f(*small), pg]),
        "avgpool2d_backward": ("dy dx g", [f(*small), f(*pimg), pg]),
        "lstm_cell_forward": ("gates bias c_prev c tanh_c h",
                              [r(n, 4 * hid), r(4 * hid), r(n, hid), r(n, hid), r(n, hid), r(n, hid)]),
        "lstm_cell_backward": ("gates c_prev tanh_c dh dc dgates",
                               [r(n, 4 * hid), r(n, hid), r(n, hid), r(n, hid), r(n, hid), r(n, 4 * hid)]),
        "lstm_sequence_forward": ("gates w bias hs cs tanh_cs",
                                  [r(t * n, 4 * hid), f(hid, 4 * hid), r(4 * hid), r((t + 1) * n, hid),
                                   r((t + 1) * n, hid), r(t * n, hid)]),
        "lstm_sequence_backward": ("gates w cs tanh_cs dhs dc dgates",
                                   [r(t * n, 4 * hid), f(hid, 4 * hid), r((t + 1) * n, hid), r(t * n, hid),
                                    r(t * n, hid), r(n, hid), r(t * n, 4 * hid)]),
        "lstm_bias_grad": ("dgates dbias", [r(t * n, 4 * hid), r(4 * hid)]),
        # BatchNorm in training: mean and var are written (tests/test_c_batchnorm.py: evaluation)
        "batchnorm_forward": ("x scale shift mean var y eps training",
                              [f(5, 3), r(3), r(3), r(3), r(3), f(5, 3), 1e-5, True]),
        "batchnorm_backward": ("x dy scale mean var dx eps training",
                               [f(5, 3), f(5, 3), r(3), r(3), r(3), f(5, 3), 1e-5, True]),
        "batchnorm_delta_weights": ("x dy mean var dscale dshift eps training",
                                    [f(5, 3), f(5, 3), r(3), r(3), r(3), r(3), 1e-5, True]),
    }


IMAGE_SEQUENCE_SPOILS = ["None", "list", "scalar", "complex64", "int32", "bigger", "read-only"]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("how", IMAGE_SEQUENCE_SPOILS)
def test_image_and_sequence_ops_refuse_a_spoiled_argument(name, how):
    """Every array argument of every image/sequence op, spoiled, is refused with a named message."""
    from framework.backend.contract import OPERATIONS

    writes = {op.name: set(op.writes) for op in OPERATIONS}
    rng = np.random.default_rng(1)
    for op_name, (names, valid) in _image_and_sequence_calls(rng).items():
        for k, arg in enumerate(names.split()):
            if arg in ("g", "eps", "training") or (how == "read-only" and arg not in writes[op_name]):
                continue
            args = [a.copy(order="K") if isinstance(a, np.ndarray) else a for a in valid]
            _spoil(args, k, (k + 1) % len(args), how, rng)
            with _use(name):
                exc = _run(lambda: getattr(backend.get(np.float32), op_name)(*args))
            assert exc is not None, f"{name} {op_name}: {arg} spoiled as {how!r} was accepted"
            _refused(exc)
            # a bigger w sets the sizes the other arguments are then measured against
            named = arg in str(exc) or (how == "bigger" and "expected" in str(exc))
            assert named, f"{name} {op_name}: {arg} spoiled as {how!r}: {exc}"


def test_every_contract_operation_has_a_numpy_check():
    from framework.backend import numpy_checks
    from framework.backend.contract import NAMES

    assert sorted(numpy_checks.CHECKS) == sorted(NAMES)


def test_numpy_checks_take_the_contract_arguments():
    """A keyword call (ops.relu_backward(x=.., dy=.., dx=..)) reaches the checker with the same names."""
    import inspect

    from framework.backend import numpy_checks
    from framework.backend.contract import OPERATIONS

    for op in OPERATIONS:
        params = list(inspect.signature(numpy_checks.CHECKS[op.name]).parameters)
        assert params == [a.strip("[]") for a in op.args], op.name


def test_keyword_calls_are_checked_on_numpy():
    x = np.ones((2, 3), dtype=np.float32)
    with backend.use("numpy"):
        ops = backend.get(np.float32)
        ops.relu_backward(x=x, dy=x, dx=np.empty_like(x))
        with pytest.raises(ValueError, match=r"dx: expected shape \(2, 3\) \(that of x\), got \(3, 2\)"):
            ops.relu_backward(x=x, dy=x, dx=np.empty((3, 2), dtype=np.float32))
        with pytest.raises(TypeError, match=r"out: expected a numpy.ndarray of float32 or float64, got None"):
            ops.matmul(x, x.T.copy(order="F"), out=None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_valid_image_and_sequence_calls_pass_the_numpy_checks(dtype):
    """The checks refuse nothing a valid call passes, in float32 and float64 (gradient checker)."""
    rng = np.random.default_rng(2)
    for op_name, (_, valid) in _image_and_sequence_calls(rng).items():
        args = [np.asarray(a, dtype=dtype, order="K") if isinstance(a, np.ndarray) else a for a in valid]
        expected = [a.copy(order="K") if isinstance(a, np.ndarray) else a for a in args]
        with backend.use("numpy"):
            getattr(backend.get(dtype), op_name)(*args)
        getattr(backend.numpy_backend, op_name)(*expected)
        for a, e in zip(args, expected):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, e, err_msg=op_name)
