"""Tests for the shipped 8x8 digits and the train/test split."""
from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from framework.data import load_digits, load_digits_images, train_test_split


def _raw_npz() -> tuple[np.ndarray, np.ndarray]:
    """The stored arrays, read independently of the loader under test."""
    path = resources.files("framework.data").joinpath("digits.npz")
    with resources.as_file(path) as p, np.load(p, allow_pickle=False) as npz:
        return npz["images"], npz["labels"]


def test_raw_file_is_small_uint8_without_pickle():
    images, labels = _raw_npz()
    assert images.dtype == np.uint8 and images.shape == (1797, 8, 8)
    assert labels.dtype == np.uint8 and labels.shape == (1797,)
    with resources.as_file(resources.files("framework.data").joinpath("digits.npz")) as p:
        assert p.stat().st_size < 100_000


def test_flat_shapes_dtypes_and_ranges():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(np.unique(y), np.arange(10))
    # Every class is well represented (sklearn's copy has 174..183 per class).
    assert np.bincount(y).min() >= 170


def test_raw_values_are_integers_0_to_16():
    x, _ = load_digits(normalize=False)
    assert x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 16.0
    assert np.array_equal(x, np.round(x))
    x_norm, _ = load_digits(normalize=True)
    np.testing.assert_allclose(x_norm, x / 16.0, rtol=0, atol=1e-7)


def test_flat_pixel_order_is_row_by_row():
    """Flat index ``8*r + c`` holds pixel (row r, column c) of the stored image."""
    raw_images, raw_labels = _raw_npz()
    x, y = load_digits(normalize=False)
    for n in (0, 1, 500, 1796):
        for r in range(8):
            for c in range(8):
                assert x[n, 8 * r + c] == raw_images[n, r, c]
    assert np.array_equal(y, raw_labels)
    # Rows and columns must not be swapped: the images are not symmetric.
    assert not np.array_equal(raw_images, raw_images.transpose(0, 2, 1))


def test_first_image_is_a_zero():
    """Spot check against the well-known first sample of sklearn's digits."""
    x, y = load_digits(normalize=False)
    assert y[0] == 0
    assert x[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_image_form_matches_flat_form():
    x, y = load_digits()
    images, labels = load_digits_images()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.float32
    assert np.array_equal(labels, y)
    raw_images, _ = _raw_npz()
    assert np.array_equal(images[..., 0], raw_images / np.float32(16))
    assert np.array_equal(images.reshape(1797, 64), x)
    assert images[7, 2, 5, 0] == x[7, 8 * 2 + 5]


def test_split_is_deterministic_disjoint_and_complete():
    x, y = load_digits()
    ids = np.arange(len(y))
    a = train_test_split(ids, y, test_fraction=0.25, seed=3)
    b = train_test_split(ids, y, test_fraction=0.25, seed=3)
    for left, right in zip(a, b):
        assert np.array_equal(left, right)
    train_ids, y_train, test_ids, y_test = a
    assert np.intersect1d(train_ids, test_ids).size == 0
    assert np.array_equal(np.sort(np.concatenate([train_ids, test_ids])), ids)
    # Labels travel with their samples.
    assert np.array_equal(y_train, y[train_ids]) and np.array_equal(y_test, y[test_ids])
    other = train_test_split(ids, y, test_fraction=0.25, seed=4)
    assert not np.array_equal(other[2], test_ids)


def test_split_is_stratified_and_keeps_rows_aligned():
    x, y = load_digits()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    assert x_train.shape == (len(y_train), 64) and x_test.shape == (len(y_test), 64)
    expected = np.round(0.2 * np.bincount(y)).astype(int)
    assert np.array_equal(np.bincount(y_test, minlength=10), expected)
    # Rows of x_test are the rows of x the labels came from.
    first = np.flatnonzero((x == x_test[0]).all(axis=1))
    assert y_test[0] in y[first]


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match=r"test_fraction in \(0, 1\), got"):
        train_test_split(np.zeros((10, 2)), np.zeros(10, dtype=int), fraction, 0)


def test_split_rejects_length_mismatch():
    with pytest.raises(ValueError, match="expected x with 10 samples.*got shape \\(9, 2\\)"):
        train_test_split(np.zeros((9, 2)), np.zeros(10, dtype=int), 0.5, 0)
