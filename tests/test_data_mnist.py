"""Tests for the IDX reader/writer and the MNIST folder loader."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from framework.data import load_mnist, read_idx, write_idx


def _dims(*sizes: int) -> bytes:
    return b"".join(s.to_bytes(4, "big") for s in sizes)


LABELS_BYTES = b"\x00\x00\x08\x01" + _dims(3) + bytes([7, 2, 1])
IMAGES_BYTES = b"\x00\x00\x08\x03" + _dims(2, 2, 3) + bytes(range(12))


# --- reading hand-built files (independent of write_idx) -------------------

def test_read_hand_built_ubyte_labels(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(LABELS_BYTES)
    labels = read_idx(path)
    assert labels.dtype == np.uint8 and labels.shape == (3,)
    assert labels.tolist() == [7, 2, 1]


def test_read_hand_built_3d_images_in_c_order(tmp_path):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(IMAGES_BYTES)
    images = read_idx(path)
    assert images.shape == (2, 2, 3) and images.dtype == np.uint8
    # Last index varies fastest: image 1, row 0, column 2 is byte 6 + 2.
    assert images[1, 0, 2] == 8
    assert images[0].tolist() == [[0, 1, 2], [3, 4, 5]]
    images[0, 0, 0] = 99  # the result must be a writable copy


def test_read_hand_built_big_endian_float_and_short(tmp_path):
    floats = tmp_path / "f.idx"
    floats.write_bytes(b"\x00\x00\x0d\x01" + _dims(2) + struct.pack(">ff", 1.5, -2.25))
    got = read_idx(floats)
    assert got.dtype == np.float32 and got.dtype.isnative
    assert got.tolist() == [1.5, -2.25]

    shorts = tmp_path / "s.idx"
    shorts.write_bytes(b"\x00\x00\x0b\x02" + _dims(1, 2) + struct.pack(">hh", -2, 300))
    got = read_idx(shorts)
    assert got.dtype == np.int16 and got.tolist() == [[-2, 300]]


def test_gzip_detected_by_magic_not_by_name(tmp_path):
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(IMAGES_BYTES))
    assert read_idx(path).reshape(-1).tolist() == list(range(12))
    named = tmp_path / "images.gz"
    named.write_bytes(gzip.compress(LABELS_BYTES))
    assert read_idx(named).tolist() == [7, 2, 1]


# --- writer round trips -----------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_write_read_round_trip(tmp_path, suffix, dtype):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((4, 5, 3)) * 50).astype(dtype)
    path = tmp_path / f"x.idx{suffix}"
    write_idx(path, array)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.shape == array.shape
    assert np.array_equal(got, array)


def test_writer_produces_the_documented_bytes(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == LABELS_BYTES
    write_idx(path, np.array([1.5, -2.25], dtype=np.float32))
    assert path.read_bytes() == b"\x00\x00\x0d\x01" + _dims(2) + struct.pack(">ff", 1.5, -2.25)


def test_writer_rejects_types_without_idx_code(tmp_path):
    with pytest.raises(ValueError, match="expected dtype uint8.*got int64"):
        write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    assert not (tmp_path / "x").exists()


# --- malformed files ----------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x01" + _dims(1) + b"\x05",
     r"expected IDX magic starting with bytes 00 00, got 01 00 08 01"),
    (b"\x00\x00\x0a\x01" + _dims(1) + b"\x05", r"expected an IDX type code in \(0x08.*got 0x0A"),
    (b"\x00\x00", r"expected an IDX header of 4 bytes, got a file of 2 bytes"),
    (b"\x00\x00\x08\x03" + _dims(2), r"expected 3 dimension sizes \(16 header bytes\), got only 8"),
    (b"\x00\x00\x08\x01" + _dims(3) + b"\x07\x02",
     r"truncated: shape \(3,\) of uint8 needs 3 data bytes, got 2"),
    (b"\x00\x00\x0c\x01" + _dims(2) + b"\x00" * 7,
     r"truncated: shape \(2,\) of int32 needs 8 data bytes, got 7"),
    (LABELS_BYTES + b"\x00", r"trailing data: .*needs 3 data bytes, got 4 \(1 extra\)"),
])
def test_malformed_files_raise_with_path_expected_and_found(tmp_path, data, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises_value_error(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(IMAGES_BYTES)[:-6])
    with pytest.raises(ValueError, match="expected a valid gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# --- load_mnist ---------------------------------------------------------------

def _mnist_folder(folder, n=5, prefix="train", sep="-", gz=False, n_labels=None):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n_labels or n, dtype=np.uint8)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{ext}", labels)
    return images, labels


@pytest.mark.parametrize("kind, prefix", [("train", "train"), ("test", "t10k")])
@pytest.mark.parametrize("sep, gz", [("-", False), ("-", True), (".", False)])
def test_load_mnist_finds_standard_names(tmp_path, kind, prefix, sep, gz):
    images, labels = _mnist_folder(tmp_path, prefix=prefix, sep=sep, gz=gz)
    x, y = load_mnist(tmp_path, kind=kind)
    assert x.shape == (5, 28, 28) and x.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_allclose(x, images / 255.0, rtol=1e-6)
    assert y.tolist() == labels.tolist()


def test_load_mnist_raw_and_flat(tmp_path):
    images, _ = _mnist_folder(tmp_path)
    x, _ = load_mnist(tmp_path, normalize=False, flatten=True)
    assert x.shape == (5, 784)
    assert np.array_equal(x, images.reshape(5, 784).astype(np.float32))
    assert x[2, 28 * 3 + 4] == images[2, 3, 4]


def test_load_mnist_count_mismatch(tmp_path):
    _mnist_folder(tmp_path, n=5, n_labels=4)
    with pytest.raises(ValueError,
                       match="expected as many labels as images, got 5 images.*4 labels"):
        load_mnist(tmp_path)


def test_load_mnist_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="not a directory") as info:
        load_mnist(missing)
    assert str(missing) in str(info.value)


def test_load_mnist_missing_files_lists_names(tmp_path):
    _mnist_folder(tmp_path, prefix="train")
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, kind="test")
    message = str(info.value)
    for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz",
                 "t10k-images.idx3-ubyte", "t10k-labels-idx1-ubyte.gz"):
        assert name in message


def test_load_mnist_rejects_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="expected kind 'train' or 'test', got 'validation'"):
        load_mnist(tmp_path, kind="validation")
