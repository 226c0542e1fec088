"""Tests for Tensor: column-major storage, lazy deltas, zero-copy views and NumPy interop."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from framework.shape import Shape
from framework.tensor import Tensor


# -- construction and layout -------------------------------------------------------

def test_lecture_matrix_is_column_major():
    # Tensor([2, 2], [0, 1, 2, 3]) is [[0, 2], [1, 3]]: the first index varies fastest.
    t = Tensor([2, 2], [0, 1, 2, 3])
    assert t[0, 0] == 0 and t[1, 0] == 1 and t[0, 1] == 2 and t[1, 1] == 3
    np.testing.assert_array_equal(t.view(), [[0, 2], [1, 3]])
    np.testing.assert_array_equal(t.to_numpy(), [[0, 2], [1, 3]])


def test_lecture_3d_example():
    # 2x2x3 image with elements 0..11: offset = i + 2*j + 2*2*k
    t = Tensor([2, 2, 3], list(range(12)))
    for i, j, k in itertools.product(range(2), range(2), range(3)):
        assert t[i, j, k] == i + 2 * j + 4 * k
    assert t[1, 1, 2] == 11      # 1 + 2 + 8
    assert t[0, 1, 1] == 6       # 0 + 2 + 4


def test_default_elements_are_zero_float32():
    t = Tensor([3, 2])
    assert t.dtype == np.float32
    assert t.size == 6 and t.shape == Shape([3, 2])
    np.testing.assert_array_equal(t.elements, np.zeros(6))
    assert t.elements.ndim == 1 and t.elements.flags.c_contiguous


def test_size_mismatch_raises_with_both_sizes():
    with pytest.raises(ValueError) as e:
        Tensor([2, 3], [1, 2, 3, 4, 5])
    msg = str(e.value)
    assert "6" in msg and "5" in msg
    assert "needs 6 elements, got 5" in msg


def test_multidim_elements_point_to_from_numpy():
    with pytest.raises(ValueError, match="from_numpy"):
        Tensor([2, 2], np.array([[0, 1], [2, 3]]))


def test_float64_allowed():
    t = Tensor([2], [1.5, 2.5], dtype=np.float64)
    assert t.dtype == np.float64
    assert t.deltas.dtype == np.float64
    # a value not representable in float32 survives in float64
    t[0] = 0.1
    assert t[0] == 0.1


@pytest.mark.parametrize("dtype", [np.int32, np.int64, int, np.float16, np.complex64])
def test_other_dtypes_rejected(dtype):
    with pytest.raises(TypeError, match="float32 or float64"):
        Tensor([2], dtype=dtype)
    with pytest.raises(TypeError):
        Tensor.from_numpy(np.zeros(2), dtype=dtype)


# -- lazy deltas -----------------------------------------------------------------

def test_deltas_lazy_then_zeros_of_same_size_and_dtype():
    for dtype in (np.float32, np.float64):
        t = Tensor([3, 4], dtype=dtype)
        assert t.has_deltas is False
        assert t._deltas is None
        d = t.deltas
        assert t.has_deltas is True
        assert d.shape == (12,) and d.dtype == dtype
        np.testing.assert_array_equal(d, np.zeros(12))
        assert t.deltas is d  # allocated once


def test_repr_reports_delta_allocation():
    t = Tensor([2, 3])
    assert repr(t) == "Tensor(Shape[2, 3], dtype=float32, deltas not allocated)"
    t.deltas
    assert repr(t) == "Tensor(Shape[2, 3], dtype=float32, deltas allocated)"


def test_deltas_setter_uses_logical_layout_and_zero_deltas():
    t = Tensor([2, 2])
    t.deltas = np.array([[1.0, 2.0], [3.0, 4.0]])  # logical [[1, 2], [3, 4]]
    # column-major flat: (0,0)=1, (1,0)=3, (0,1)=2, (1,1)=4
    np.testing.assert_array_equal(t.deltas, [1, 3, 2, 4])
    np.testing.assert_array_equal(t.delta_view(), [[1, 2], [3, 4]])
    t.zero_deltas()
    np.testing.assert_array_equal(t.deltas, [0, 0, 0, 0])


# -- views --------------------------------------------------------------------------

def test_view_is_zero_copy_and_fortran_ordered():
    t = Tensor([2, 3], list(range(6)))
    v = t.view()
    assert v.shape == (2, 3)
    assert v.flags.f_contiguous
    assert np.shares_memory(v, t.elements)
    v[1, 2] = 42.0                  # offset 1 + 2*2 = 5
    assert t.elements[5] == 42.0
    assert t[1, 2] == 42.0
    v[0, 1] = -7.0                  # offset 0 + 2*1 = 2
    assert t.elements[2] == -7.0


def test_delta_view_is_zero_copy_and_allocates():
    t = Tensor([2, 3])
    assert not t.has_deltas
    dv = t.delta_view()
    assert t.has_deltas
    assert dv.shape == (2, 3) and dv.flags.f_contiguous
    assert np.shares_memory(dv, t.deltas)
    dv[1, 1] = 3.0                  # offset 1 + 2*1 = 3
    assert t.deltas[3] == 3.0


def test_matrix_merges_leading_dims():
    N, T, F = 2, 3, 4
    a = np.arange(N * T * F, dtype=np.float32).reshape(N, T, F) * 1.5 - 7
    t = Tensor.from_numpy(a)
    m = t.matrix()
    assert m.shape == (N * T, F)
    assert np.shares_memory(m, t.elements)
    for n, tt, f in itertools.product(range(N), range(T), range(F)):
        assert m[n + N * tt, f] == t[n, tt, f] == a[n, tt, f]
    # writing through matrix() writes the tensor: row n + N*t = 1 + 2*2 = 5 is (n=1, t=2)
    m[5, 3] = 99.0
    assert t[1, 2, 3] == 99.0


def test_delta_matrix_zero_copy():
    t = Tensor([2, 3, 4])
    dm = t.delta_matrix()
    assert dm.shape == (6, 4)
    dm[3, 2] = 5.0                 # row 3 = n + 2*t -> n=1, t=1
    assert t.delta_view()[1, 1, 2] == 5.0


# -- reshaped ------------------------------------------------------------------------

def test_reshaped_shares_elements():
    t = Tensor([2, 3], list(range(6)))
    r = t.reshaped([3, 2])
    assert r.shape == Shape([3, 2])
    assert r.elements is t.elements
    r[2, 1] = 50.0                  # offset 2 + 3*1 = 5 == t[1, 2]
    assert t[1, 2] == 50.0
    # same flat order, different logical indexing: t[0, 1] (offset 2) == r[2, 0]
    assert r[2, 0] == t[0, 1] == 2.0


def test_reshaped_deltas_lazy_then_shared_touching_reshaped_first():
    t = Tensor([2, 3])
    r = t.reshaped([6])
    assert not t.has_deltas and not r.has_deltas
    assert t._deltas is None and r._deltas is None
    r.deltas[4] = 1.25
    assert t.has_deltas and r.has_deltas
    assert r.deltas is t.deltas
    assert t.deltas[4] == 1.25
    assert t.delta_view()[0, 2] == 1.25  # offset 0 + 2*2 = 4


def test_reshaped_deltas_lazy_then_shared_touching_original_first():
    t = Tensor([2, 3])
    r = t.reshaped([3, 2])
    t.deltas[1] = -2.0
    assert r.has_deltas
    assert r.deltas is t.deltas
    assert r.delta_view()[1, 0] == -2.0


def test_reshaped_of_reshaped_shares_with_root():
    t = Tensor([2, 3])
    r2 = t.reshaped([6]).reshaped([3, 2])
    r2.deltas[0] = 8.0
    assert t.deltas[0] == 8.0 and r2.deltas is t.deltas


def test_reshaped_size_mismatch():
    with pytest.raises(ValueError, match="6 elements"):
        Tensor([2, 3]).reshaped([4, 2])


# -- element access --------------------------------------------------------------------

def test_setitem_getitem():
    t = Tensor([2, 3])
    t[1, 2] = 4.5
    t[0, 1] = -1.0
    assert t[1, 2] == 4.5 and t[-1, -1] == 4.5
    assert t.elements[5] == 4.5 and t.elements[2] == -1.0
    assert isinstance(t[1, 2], float)
    v = Tensor([3], [7, 8, 9])
    assert v[1] == 8.0 and v[-1] == 9.0   # non-tuple index on a 1-D tensor
    v[0] = 1.0
    assert v.elements[0] == 1.0
    with pytest.raises(IndexError):
        t[2, 0]
    with pytest.raises(IndexError):
        t[0]


# -- NumPy interop -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 2, 3)])
def test_from_numpy_to_numpy_roundtrip_logical(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(np.float32)
    t = Tensor.from_numpy(a)
    assert t.shape == shape
    for idx in itertools.product(*(range(d) for d in shape)):
        assert t[idx] == a[idx]
    np.testing.assert_array_equal(t.elements, a.reshape(-1, order="F"))
    back = t.to_numpy()
    np.testing.assert_array_equal(back, a)
    assert not np.shares_memory(back, t.elements)  # to_numpy copies


def test_from_numpy_c_ordered_and_non_contiguous_inputs():
    c = np.arange(24, dtype=np.float32).reshape(2, 3, 4)          # C-ordered
    assert c.flags.c_contiguous
    t = Tensor.from_numpy(c)
    assert t[1, 2, 3] == c[1, 2, 3] == 23
    assert t[1, 0, 0] == 12          # C-order value of (1, 0, 0)
    assert t.elements[1] == 12       # ...stored at column-major offset 1
    np.testing.assert_array_equal(t.to_numpy(), c)

    nc = np.arange(48, dtype=np.float64).reshape(4, 12)[::2, ::3]  # strided, non-contiguous
    assert not nc.flags.c_contiguous and not nc.flags.f_contiguous
    t2 = Tensor.from_numpy(nc)
    assert t2.shape == (2, 4) and t2.dtype == np.float32  # float32 unless asked
    for i, j in itertools.product(range(2), range(4)):
        assert t2[i, j] == nc[i, j] == 24 * i + 3 * j
    np.testing.assert_array_equal(t2.to_numpy(), nc)

    tr = np.arange(6, dtype=np.float32).reshape(2, 3).T            # F-ordered view
    t3 = Tensor.from_numpy(tr)
    np.testing.assert_array_equal(t3.to_numpy(), tr)
    assert t3[2, 1] == 5.0


def test_from_numpy_copies_and_dtypes():
    a = np.ones((2, 2), dtype=np.float32)
    t = Tensor.from_numpy(a)
    a[0, 0] = 5
    assert t[0, 0] == 1.0                       # a copy
    assert Tensor.from_numpy(np.zeros(3)).dtype == np.float32        # float32 by default
    assert Tensor.from_numpy([[0.5, 1.5]]).dtype == np.float32       # lists too
    assert Tensor.from_numpy(np.arange(3)).dtype == np.float32       # ints -> float32
    assert Tensor.from_numpy([[1, 2]], dtype=np.float64).dtype == np.float64
    assert Tensor.from_numpy(3.0).shape == (1,)  # a scalar becomes a 1-element tensor


def test_astype_converts_elements_and_deltas():
    t = Tensor([2], [1, 2])
    t.deltas[0] = 3.0
    t.astype_(np.float64)
    assert t.dtype == np.float64 and t.deltas.dtype == np.float64
    assert t.deltas[0] == 3.0 and t[1] == 2.0
    with pytest.raises(TypeError):
        t.astype_(np.int32)


# -- data that is not real numbers is refused, not converted --------------------------

NOT_REAL = {
    "complex": (np.array([1 + 2j, 3 + 0j]), "complex128; complex values would lose their imaginary part"),
    "datetime": (np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"), "dates are not numbers"),
    "timedelta": (np.array([5, 6], dtype="timedelta64[s]"), "durations are not numbers"),
    "string": (np.array(["1.5", "2"]), "strings are not numbers"),
    "object": (np.array([1.5, None], dtype=object), "dtype object; Python objects"),
}


@pytest.mark.parametrize("kind", sorted(NOT_REAL))
def test_from_numpy_refuses_data_that_is_not_real_numbers(kind):
    # Before: complex lost its imaginary part with a warning, dates became day counts,
    # None became NaN and "1.5" became 1.5.
    data, hint = NOT_REAL[kind]
    with pytest.raises(TypeError, match="Tensor.from_numpy: expected real numbers") as e:
        Tensor.from_numpy(data)
    assert hint in str(e.value)
    assert isinstance(e.value, ValueError)  # NotRealError is both: old `except ValueError` still works


@pytest.mark.parametrize("kind", sorted(NOT_REAL))
def test_tensor_elements_refuse_data_that_is_not_real_numbers(kind):
    data, hint = NOT_REAL[kind]
    with pytest.raises(TypeError, match=r"Tensor of Shape\[2\]: elements: expected real numbers") as e:
        Tensor([2], data)
    assert hint in str(e.value)


def test_from_numpy_of_none_is_refused_not_nan():
    with pytest.raises(TypeError, match="Tensor.from_numpy: expected real numbers, got None"):
        Tensor.from_numpy(None)
    with pytest.raises(TypeError, match="dtype object"):
        Tensor([1], [None])


def test_from_numpy_of_an_empty_array_says_so():
    with pytest.raises(ValueError, match=r"empty array of shape \(0, 3\); a Tensor holds at least one"):
        Tensor.from_numpy(np.zeros((0, 3)))


def test_real_numbers_of_every_kind_are_still_taken():
    t = Tensor.from_numpy(np.array([[True, False]]))
    assert t.to_numpy().tolist() == [[1.0, 0.0]]
    assert Tensor([3], np.array([1, 2, 3], dtype=np.uint8)).elements.tolist() == [1.0, 2.0, 3.0]
    assert Tensor.from_numpy([[1, 2], [3, 4]])[1, 0] == 3.0


@pytest.mark.parametrize("value, match", [
    (1 + 2j, "imaginary part"), ("3", "strings are not numbers"), (None, "got None"),
])
def test_setting_an_element_to_something_not_real_is_refused(value, match):
    t = Tensor([2, 2])
    with pytest.raises(TypeError, match=rf"Tensor of Shape\[2, 2\]: element \(1, 0\): .*{match}"):
        t[1, 0] = value
    assert t.elements.tolist() == [0, 0, 0, 0]
    t[1, 0] = np.float64(2.5)
    assert t.elements.tolist() == [0, 2.5, 0, 0]
    with pytest.raises(ValueError, match=r"expected one number, got an array of shape \(2,\)"):
        t[0, 0] = [1.0, 2.0]


# -- deltas: the logical shape, a flat column-major array, or a scalar ----------------

def test_deltas_of_another_shape_with_the_same_size_are_refused():
    # Before: a [3, 2] array for a [2, 3] tensor was flattened and silently scrambled.
    t = Tensor([2, 3])
    with pytest.raises(ValueError, match=r"Tensor of Shape\[2, 3\]: deltas given with shape \(3, 2\), "
                                         r"expected the logical shape \(2, 3\) or a flat \(6,\) array"):
        t.deltas = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match=r"shape \(1, 6\)"):
        t.deltas = np.arange(6.0).reshape(1, 6)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        t.deltas = np.arange(5.0)
    assert t.deltas.tolist() == [0.0] * 6


def test_deltas_accept_logical_shape_flat_column_major_and_scalar():
    t = Tensor([2, 3])
    logical = np.arange(6.0).reshape(2, 3)
    t.deltas = logical
    np.testing.assert_array_equal(t.delta_view(), logical)
    t.deltas = [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]  # flat: the storage order, column-major
    np.testing.assert_array_equal(t.delta_view(), logical)
    t.deltas = 0.5
    assert t.deltas.tolist() == [0.5] * 6


def test_complex_deltas_are_refused():
    t = Tensor([2])
    with pytest.raises(TypeError, match="deltas: expected real numbers .* imaginary part"):
        t.deltas = np.array([1j, 2.0])
