"""The C LSTM kernels (framework/csrc/lstm.c via framework.backend.c_lstm) against the NumPy reference.

Skipped when the kernel is not built, except under ``CI=true``, where a
missing kernel is a failure.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from framework.backend import c_checks, c_lstm
from framework.backend import numpy_lstm as ref

if not c_checks.is_built():
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but the C LSTM kernel is not built (pip install -e . / python build_ext.py)",
                    pytrace=False)
    pytest.skip("C LSTM kernel not built (python build_ext.py)", allow_module_level=True)

# float32 kernels against the float64 reference: the inline exp/tanh are within
# a few ulp, so elementwise results agree to ~1e-6; sequences add the sgemm's
# rounding. An indexing bug gives errors of order 0.1..1.
ATOL_CELL, ATOL_SEQ = 2e-6, 5e-5

# (N, H): batch 1, hidden 1, odd sizes, one that is split over threads
SIZES = [(1, 1), (1, 5), (3, 1), (7, 13), (5, 33), (32, 64)]


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


def _f32(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def _close(expected: np.ndarray, actual: np.ndarray, atol: float, name: str) -> None:
    err = np.abs(np.asarray(actual, np.float64) - expected)
    assert err.max(initial=0.0) <= atol, f"{name}: max error {err.max():.3g} > {atol}"


@pytest.mark.parametrize("n,h", SIZES)
@pytest.mark.parametrize("fn", ["lstm_cell_forward", "lstm_cell_forward_ref"])
def test_cell_forward_matches_numpy(n, h, fn):
    rng = _rng(n, h)
    gates, bias, c_prev = _f32(rng, n, 4 * h, scale=3), _f32(rng, 4 * h), _f32(rng, n, h)
    g64 = gates.astype(np.float64)
    c64, tc64, h64 = (np.empty((n, h)) for _ in range(3))
    ref.lstm_cell_forward(g64, bias.astype(np.float64), c_prev.astype(np.float64), c64, tc64, h64)
    c, tc, hh = (np.full((n, h), np.nan, np.float32) for _ in range(3))  # must be overwritten
    getattr(c_lstm, fn)(gates, bias, c_prev, c, tc, hh)
    for name, e, a in (("activations", g64, gates), ("c", c64, c), ("tanh_c", tc64, tc), ("h", h64, hh)):
        _close(e, a, ATOL_CELL, name)


@pytest.mark.parametrize("n,h", SIZES)
@pytest.mark.parametrize("fn", ["lstm_cell_backward", "lstm_cell_backward_ref"])
def test_cell_backward_matches_numpy(n, h, fn):
    rng = _rng(n, h, 1)
    pre, bias = _f32(rng, n, 4 * h, scale=2), np.zeros(4 * h, np.float32)
    c_prev = _f32(rng, n, h)
    gates = pre.copy()
    c, tc, hh = (np.empty((n, h), np.float32) for _ in range(3))
    c_lstm.lstm_cell_forward(gates, bias, c_prev, c, tc, hh)   # realistic activations
    dh, dc_in = _f32(rng, n, h), _f32(rng, n, h)
    dg64, dc64 = np.empty((n, 4 * h)), dc_in.astype(np.float64)
    ref.lstm_cell_backward(gates.astype(np.float64), c_prev.astype(np.float64),
                           tc.astype(np.float64), dh.astype(np.float64), dc64, dg64)
    dgates, dc = np.full((n, 4 * h), np.nan, np.float32), dc_in.copy()
    getattr(c_lstm, fn)(gates, c_prev, tc, dh, dc, dgates)
    _close(dg64, dgates, ATOL_CELL, "dgates")
    _close(dc64, dc, ATOL_CELL, "dc")


def test_cell_forward_saturates_without_overflow():
    gates = np.array([[100.0, -100.0, 90.0, -95.0], [-1e4, 1e4, 0.0, 1e4]], np.float32)
    c, tc, h = (np.empty((2, 1), np.float32) for _ in range(3))
    c_lstm.lstm_cell_forward(gates, np.zeros(4, np.float32), np.ones((2, 1), np.float32), c, tc, h)
    assert np.all(np.isfinite(gates)) and np.all(np.isfinite(h))
    np.testing.assert_allclose(gates, [[1, 0, 1, -1], [0, 1, 0.5, 1]], atol=1e-7)
    np.testing.assert_allclose(c[:, 0], [-1.0, 1.0], atol=1e-7)


def _sequence_case(n, t, h, key):
    rng = _rng(n, t, h, key)
    gates = _f32(rng, t * n, 4 * h)
    w = np.asfortranarray(_f32(rng, h, 4 * h, scale=1 / np.sqrt(h)))
    bias = _f32(rng, 4 * h, scale=0.5)
    hs, cs = np.zeros(((t + 1) * n, h), np.float32), np.zeros(((t + 1) * n, h), np.float32)
    hs[:n], cs[:n] = _f32(rng, n, h), _f32(rng, n, h)          # a non-zero initial state
    return rng, gates, w, bias, hs, cs


@pytest.mark.parametrize("n,t,h", [(1, 1, 1), (1, 4, 3), (3, 1, 5), (5, 3, 7), (2, 6, 1),
                                   (9, 5, 33), (32, 4, 64)])
@pytest.mark.parametrize("last_only", [False, True])
def test_sequence_forward_and_backward_match_numpy(n, t, h, last_only):
    rng, gates, w, bias, hs, cs = _sequence_case(n, t, h, int(last_only))
    d = {k: v.astype(np.float64) for k, v in dict(gates=gates, w=w, bias=bias, hs=hs, cs=cs).items()}
    tanh64 = np.empty((t * n, h))
    y_rows = n if last_only else t * n
    y64 = np.empty((y_rows, h))
    ref.lstm_sequence_forward(d["gates"], d["w"], d["bias"], d["hs"], d["cs"], tanh64, y64)
    tanh32 = np.full((t * n, h), np.nan, np.float32)
    y32 = np.full((y_rows, h), np.nan, np.float32, order="F")
    c_lstm.lstm_sequence_forward(gates, w, bias, hs, cs, tanh32, y32)
    for name, e, a in (("gates", d["gates"], gates), ("hs", d["hs"], hs), ("cs", d["cs"], cs),
                       ("tanh_cs", tanh64, tanh32), ("y", y64, y32)):
        _close(e, a, ATOL_SEQ, f"forward {name}")

    dy = np.asfortranarray(_f32(rng, y_rows, h))
    dc_in = _f32(rng, n, h)
    dhs64, dc64, dg64, dh064 = np.empty((t * n, h)), dc_in.astype(np.float64), np.empty((t * n, 4 * h)), np.empty((n, h))
    ref.lstm_sequence_backward(d["gates"], d["w"], d["cs"], tanh64, dhs64, dc64, dg64, dh064,
                               dy=dy.astype(np.float64))
    dhs, dc = np.full((t * n, h), np.nan, np.float32), dc_in.copy()
    dgates, dh0 = np.full((t * n, 4 * h), np.nan, np.float32), np.full((n, h), np.nan, np.float32)
    c_lstm.lstm_sequence_backward(gates, w, cs, tanh32, dhs, dc, dgates, dh0, dy=dy)
    for name, e, a in (("dhs", dhs64, dhs), ("dc", dc64, dc), ("dgates", dg64, dgates), ("dh0", dh064, dh0)):
        _close(e, a, ATOL_SEQ, f"backward {name}")
    assert np.abs(dg64).max() > 1e-2

    # without dy, dhs is read as the output deltas; without dh0 that is skipped
    dhs2, dc2, dgates2 = np.zeros((t * n, h), np.float32), dc_in.copy(), np.empty((t * n, 4 * h), np.float32)
    if last_only:
        dhs2[(t - 1) * n:] = dy
    else:
        dhs2[...] = dy
    c_lstm.lstm_sequence_backward(gates, w, cs, tanh32, dhs2, dc2, dgates2)
    _close(dg64, dgates2, ATOL_SEQ, "dgates from dhs")


@pytest.mark.parametrize("rows,k", [(1, 1), (7, 5), (64, 260), (1000, 12)])
def test_bias_grad_accumulates(rows, k):
    rng = _rng(rows, k)
    dg = _f32(rng, rows, k)
    db = _f32(rng, k)
    expected = db.astype(np.float64) + dg.astype(np.float64).sum(axis=0)
    c_lstm.lstm_bias_grad(dg, db)
    _close(expected, db, 1e-4, "dbias")


# ---------------------------------------------------------------- validation

def _cell_args(n=2, h=3):
    return [np.zeros((n, 4 * h), np.float32), np.zeros(4 * h, np.float32), np.zeros((n, h), np.float32),
            np.zeros((n, h), np.float32), np.zeros((n, h), np.float32), np.zeros((n, h), np.float32)]


def test_wrong_dtype_raises_type_error():
    args = _cell_args()
    args[2] = args[2].astype(np.float64)
    with pytest.raises(TypeError, match="c_prev: expected dtype float32"):
        c_lstm.lstm_cell_forward(*args)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        c_lstm.lstm_bias_grad([[1.0]], np.zeros(1, np.float32))
    rng, gates, w, bias, hs, cs = _sequence_case(2, 3, 4, 0)
    with pytest.raises(TypeError, match="w: expected dtype float32"):
        c_lstm.lstm_sequence_forward(gates, w.astype(np.float64), bias, hs, cs,
                                     np.zeros((6, 4), np.float32))


def test_wrong_sizes_and_layouts_raise_value_error():
    args = _cell_args()
    bad = list(args)
    bad[3] = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"c: expected shape \(2, 3\)"):
        c_lstm.lstm_cell_forward(*bad)
    bad = list(args)
    bad[0] = np.zeros((2, 13), np.float32)
    with pytest.raises(ValueError, match="4H"):
        c_lstm.lstm_cell_forward(*bad)
    bad = list(args)
    bad[4] = np.asfortranarray(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="row-major"):
        c_lstm.lstm_cell_forward(*bad)
    bad = list(args)
    bad[5] = bad[3]                                     # h and c the same buffer
    with pytest.raises(ValueError, match="overlap"):
        c_lstm.lstm_cell_forward(*bad)
    bad = list(args)
    bad[3] = bad[3].copy()
    bad[3].flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        c_lstm.lstm_cell_forward(*bad)

    rng, gates, w, bias, hs, cs = _sequence_case(2, 3, 4, 0)
    tanh = np.zeros((6, 4), np.float32)
    with pytest.raises(ValueError, match="column-major"):
        c_lstm.lstm_sequence_forward(gates, np.ascontiguousarray(w), bias, hs, cs, tanh)
    with pytest.raises(ValueError, match="T\\*N"):
        c_lstm.lstm_sequence_forward(gates, w, bias, hs[:5], cs, tanh)
    with pytest.raises(ValueError, match="y: expected shape"):
        c_lstm.lstm_sequence_forward(gates, w, bias, hs, cs, tanh,
                                     np.zeros((4, 4), np.float32, order="F"))
    with pytest.raises(ValueError, match="bias: expected shape"):
        c_lstm.lstm_sequence_forward(gates, w, bias[:-1], hs, cs, tanh)
    with pytest.raises(ValueError, match="dh0: expected shape"):
        c_lstm.lstm_sequence_backward(gates, w, cs, tanh, np.zeros((6, 4), np.float32),
                                      np.zeros((2, 4), np.float32), np.zeros((6, 16), np.float32),
                                      np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="dbias: expected shape"):
        c_lstm.lstm_bias_grad(gates, np.zeros(15, np.float32))
