"""Values NumPy would convert silently: too large for float32, timedelta dims, and compare's inputs."""
from __future__ import annotations

import numpy as np
import pytest

from framework import InputLayer, assert_close, compare
from framework.shape import Shape
from framework.tensor import Tensor


def test_a_finite_value_too_large_for_float32_is_refused_not_made_inf():
    # Before: 1e39 became inf with only NumPy's RuntimeWarning.
    with pytest.raises(ValueError, match=r"Tensor.from_numpy: 1e\+39 does not fit float32 \(largest "
                                         r"3.403e\+38\); scale the values, or use dtype=np.float64"):
        Tensor.from_numpy([1.0, 1e39])
    with pytest.raises(ValueError, match=r"elements: -1e\+39 does not fit float32"):
        Tensor([2], [1.0, -1e39])
    with pytest.raises(ValueError, match=r"InputLayer\(2\): data must be numbers .*1e\+39 does not fit"):
        InputLayer(2).as_array([[1.0, 1e39]])
    t = Tensor([1])
    with pytest.raises(ValueError, match="does not fit float32"):
        t[0] = 1e39
    with pytest.raises(ValueError, match="deltas: 1e\\+39 does not fit float32"):
        t.deltas = [1e39]
    assert Tensor.from_numpy([1e39], dtype=np.float64)[0] == 1e39
    assert np.isinf(Tensor.from_numpy([np.inf])[0])  # an inf that was given stays what it is


def test_timedelta_is_not_a_dim():
    # np.timedelta64 is an integer type to NumPy: it passed the check, then failed in int().
    with pytest.raises(ValueError, match=r"Shape dim 0 must be a positive integer, got np.timedelta64"):
        Shape([np.timedelta64(3, "s")])
    with pytest.raises(ValueError, match=r"Shape dim 0 must be a positive integer"):
        Shape(np.timedelta64(3, "s"))


@pytest.mark.parametrize("value, hint", [
    (None, "got None"), (np.array([1 + 1j]), "imaginary part"), ("a", "strings are not numbers"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "dates are not numbers"),
])
def test_compare_refuses_values_that_are_not_real_numbers(value, hint):
    # Before: None became NaN, complex lost its imaginary part, dates became day counts.
    with pytest.raises(TypeError, match=rf"compare δW: expected: expected real numbers.*{hint}"):
        compare(value, [1.0], "δW")
    with pytest.raises(TypeError, match=rf"compare δW: actual: .*{hint}"):
        assert_close([1.0], value, "δW")


@pytest.mark.parametrize("atol", [-1.0, float("nan"), float("inf"), "1e-3", None, True])
def test_compare_refuses_tolerances_that_are_not_finite_non_negative_numbers(atol):
    with pytest.raises(ValueError, match=r"compare v: atol must be a finite number >= 0, got"):
        compare([1.0], [1.0], "v", atol=atol)


def test_compare_with_zero_tolerance_reports_no_nan():
    # Before: 0/0 gave "max rel diff nan" and a RuntimeWarning for equal zeros.
    with np.errstate(all="raise"):
        c = compare([0.0, 1.0], [0.0, 1.0], "v", atol=0.0)
    assert c.exact and c.close and c.max_rel_diff == 0.0
    d = compare([0.0], [1e-9], "v", atol=0.0, rtol=0.0)
    assert not d.close and d.max_rel_diff == np.inf
