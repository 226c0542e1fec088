"""Tests for Shape: size, ndim, the column-major offset and the validation of dims."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from framework.shape import Shape


def test_size_and_ndim():
    s = Shape([2, 3, 4])
    assert s.size == 24          # 2*3*4
    assert s.ndim == 3
    assert len(s) == 3
    assert list(s) == [2, 3, 4]
    assert s[0] == 2 and s[-1] == 4
    assert Shape([7]).size == 7 and Shape([7]).ndim == 1
    assert Shape(5).dims == (5,)  # a bare int is a 1-D shape


def test_copy_constructor_keeps_dims():
    s = Shape([2, 3])
    assert Shape(s).dims == (2, 3)
    assert Shape(s) == s


@pytest.mark.parametrize("index, expected", [
    # offset = i0 + d0*(i1 + d1*i2) with dims (2, 3, 4): d0 = 2, d1 = 3
    ((0, 0, 0), 0),                       # 0 + 2*(0 + 3*0)
    ((1, 0, 0), 1),                       # 1 + 2*(0 + 3*0)
    ((0, 1, 0), 2),                       # 0 + 2*(1 + 3*0)
    ((0, 0, 1), 6),                       # 0 + 2*(0 + 3*1)
    ((1, 2, 0), 5),                       # 1 + 2*(2 + 0)
    ((1, 1, 1), 9),                       # 1 + 2*(1 + 3)
    ((0, 2, 3), 22),                      # 0 + 2*(2 + 9)
    ((1, 2, 3), 23),                      # 1 + 2*(2 + 9) = last element
])
def test_offset_hand_computed(index, expected):
    assert Shape([2, 3, 4]).offset(index) == expected


def test_offset_matches_numpy_fortran_order_for_every_index():
    dims = (2, 3, 4)
    s = Shape(dims)
    seen = set()
    for idx in itertools.product(*(range(d) for d in dims)):
        off = s.offset(idx)
        assert off == np.ravel_multi_index(idx, dims, order="F")
        seen.add(off)
    assert seen == set(range(24))  # a bijection onto 0..size-1


def test_offset_2d_is_column_major():
    # [2, 3] matrix: element (i, j) at i + 2*j
    s = Shape([2, 3])
    assert s.offset((1, 0)) == 1
    assert s.offset((0, 1)) == 2
    assert s.offset((1, 2)) == 5


def test_negative_indices_count_from_the_end():
    s = Shape([2, 3, 4])
    assert s.offset((-1, -1, -1)) == 23        # == (1, 2, 3)
    assert s.offset((-2, 0, 0)) == 0           # == (0, 0, 0)
    assert s.offset((0, -1, 0)) == 4           # == (0, 2, 0): 0 + 2*2
    assert s.offset((1, 0, -4)) == 1           # == (1, 0, 0)


@pytest.mark.parametrize("index", [(2, 0, 0), (0, 3, 0), (0, 0, 4), (-3, 0, 0), (0, 0, -5)])
def test_out_of_range_raises_index_error(index):
    with pytest.raises(IndexError, match="out of range"):
        Shape([2, 3, 4]).offset(index)


def test_out_of_range_message_names_dim_and_size():
    with pytest.raises(IndexError) as e:
        Shape([2, 3, 4]).offset((0, 3, 0))
    msg = str(e.value)
    assert "index 3" in msg and "dim 1" in msg and "size 3" in msg


@pytest.mark.parametrize("index", [(0, 0), (0, 0, 0, 0), ()])
def test_wrong_arity_raises_index_error(index):
    with pytest.raises(IndexError, match=f"takes 3 indices, got {len(index)}"):
        Shape([2, 3, 4]).offset(index)


def test_equality_with_shape_tuple_list():
    s = Shape([2, 3])
    assert s == Shape((2, 3))
    assert s == (2, 3)
    assert s == [2, 3]
    assert s != (3, 2)
    assert s != [2, 3, 1]
    assert s != Shape([2])
    assert (s == "2, 3") is False  # unrelated type: not equal, no error


def test_hash_consistent_with_equality():
    assert hash(Shape([2, 3])) == hash(Shape((2, 3)))
    assert hash(Shape([2, 3])) == hash((2, 3))
    d = {Shape([2, 3]): "a"}
    assert d[Shape([2, 3])] == "a"
    assert len({Shape([2, 3]), Shape([2, 3]), Shape([3, 2])}) == 2


def test_repr():
    assert repr(Shape([2, 3])) == "Shape[2, 3]"
    assert repr(Shape([5])) == "Shape[5]"
    assert str(Shape([1, 28, 28, 1])) == "Shape[1, 28, 28, 1]"


def test_numpy_integer_dims_accepted():
    s = Shape([np.int64(2), np.int32(3)])
    assert s.dims == (2, 3)
    assert all(type(d) is int for d in s.dims)


@pytest.mark.parametrize("dims, axis, bad", [
    ([2, 0], 1, "0"),
    ([-1, 3], 0, "-1"),
    ([2, 3, 0], 2, "0"),
])
def test_non_positive_dim_raises_naming_dim(dims, axis, bad):
    with pytest.raises(ValueError) as e:
        Shape(dims)
    msg = str(e.value)
    assert f"dim {axis}" in msg
    assert f"got {bad}" in msg


@pytest.mark.parametrize("dims, axis, bad", [
    ([2, 2.5], 1, "2.5"),
    (["3"], 0, "'3'"),
    ([True, 2], 0, "True"),
    ([2, 3, None], 2, "None"),
])
def test_non_integer_dim_raises_naming_dim(dims, axis, bad):
    with pytest.raises(ValueError) as e:
        Shape(dims)
    msg = str(e.value)
    assert f"dim {axis}" in msg
    assert "positive integer" in msg
    assert bad in msg


def test_no_dims_raises():
    with pytest.raises(ValueError, match="at least one dim"):
        Shape([])


@pytest.mark.parametrize("dims, hint", [
    (None, "got None of type NoneType"),
    (2.5, "got 2.5 of type float; convert a float dim with int() first"),
    ("23", "got '23' of type str"),
    (np.array(3.0), "of type ndarray"),
])
def test_a_shape_that_is_not_a_sequence_names_what_was_given(dims, hint):
    # Before: "'NoneType' object is not iterable", and Shape("23") was Shape[2, 3]'s sibling error.
    with pytest.raises(TypeError, match="Shape: expected a sequence of positive integers") as e:
        Shape(dims)
    assert hint in str(e.value)


def test_tensor_of_none_says_the_first_argument_is_the_shape():
    from framework.tensor import Tensor
    with pytest.raises(TypeError, match=r"Tensor: the first argument is the shape; Shape: expected "
                                        r"a sequence of positive integers .* got None"):
        Tensor(None)
