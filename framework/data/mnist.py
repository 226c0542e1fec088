"""Read and write the IDX files MNIST (and Fashion-MNIST, KMNIST) ship in.

IDX layout (http://yann.lecun.com/exdb/mnist/): two zero bytes, one type code
byte, one byte with the number of dimensions ``ndim``, then ``ndim``
big-endian uint32 sizes, then the values in C order, big-endian. Files may be
gzip-compressed; compression is detected from the gzip magic bytes
``1f 8b``, not from the file name, because downloads often lose or gain the
``.gz`` suffix.

MNIST is not shipped (about 11 MB compressed); :func:`load_mnist` reads the
files from a folder you downloaded them to.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes

# IDX type code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_HEADER_SIZE = 4
_MNIST_PREFIX = {"train": "train", "test": "t10k"}


def _type_code_for(dtype: np.dtype) -> int | None:
    """The IDX type code storing ``dtype`` exactly, or None if there is none."""
    for code, idx_dtype in IDX_DTYPES.items():
        if idx_dtype.kind == dtype.kind and idx_dtype.itemsize == dtype.itemsize:
            return code
    return None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, plain or gzip-compressed.

    Args:
        path: file to read.

    Returns:
        A new, writable array in native byte order with the file's shape and
        element type (``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or
        ``float64``).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the file is not a valid IDX file: broken gzip stream,
            bad magic, unknown type code, or fewer or more data bytes than the
            header announces. The message names the file, what was expected
            and what was found.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: expected a valid gzip stream (file starts with "
                             f"1f 8b), got a corrupt or truncated one: {exc}") from exc

    if len(raw) < _HEADER_SIZE:
        raise ValueError(f"{path}: expected an IDX header of {_HEADER_SIZE} bytes, "
                         f"got a file of {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: expected IDX magic starting with bytes 00 00, "
                         f"got {raw[:4].hex(' ')}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: expected an IDX type code in ({known}), got 0x{code:02X}")

    data_start = _HEADER_SIZE + 4 * ndim
    if len(raw) < data_start:
        raise ValueError(f"{path}: expected {ndim} dimension sizes ({data_start} header "
                         f"bytes), got only {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim,
                                                offset=_HEADER_SIZE))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - data_start
    if found < expected:
        raise ValueError(f"{path}: truncated: shape {shape} of {dtype.newbyteorder('=')} "
                         f"needs {expected} data bytes, got {found}")
    if found > expected:
        raise ValueError(f"{path}: trailing data: shape {shape} of "
                         f"{dtype.newbyteorder('=')} needs {expected} data bytes, "
                         f"got {found} ({found - expected} extra)")
    data = np.frombuffer(raw, dtype=dtype, offset=data_start).reshape(shape)
    # astype copies, which both swaps to native order and detaches the result
    # from the read-only bytes buffer.
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, atomically.

    The file is gzip-compressed when ``path`` ends in ``.gz`` (with a zero
    timestamp, so equal arrays give equal files).

    Args:
        path: destination; replaced if it exists.
        array: values of dtype ``uint8``, ``int8``, ``int16``, ``int32``,
            ``float32`` or ``float64`` (any byte order), at most 255
            dimensions, each smaller than 2**32.

    Raises:
        ValueError: if the dtype has no IDX type code (cast first: an implicit
            cast could lose values) or the shape does not fit the header.
    """
    array = np.asarray(array)
    code = _type_code_for(array.dtype)
    if code is None:
        raise ValueError(f"write_idx {path}: expected dtype uint8, int8, int16, int32, "
                         f"float32 or float64, got {array.dtype}")
    if array.ndim > 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx {path}: expected at most 255 dimensions each below "
                         f"2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    data = header + body
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)


def _find(folder: Path, prefix: str, part: str, idx: str) -> tuple[Path | None, list[str]]:
    """First existing file among the usual spellings of one MNIST file.

    Returns:
        ``(path or None, names tried)``.
    """
    names = []
    for stem in (f"{prefix}-{part}-{idx}-ubyte", f"{prefix}-{part}.{idx}-ubyte"):
        names += [stem, stem + ".gz"]
    for name in names:
        if (folder / name).is_file():
            return folder / name, names
    return None, names


def load_mnist(folder: str | os.PathLike, kind: str = "train", normalize: bool = True,
               flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST training or test set from a folder of IDX files.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte``
    (``kind="train"``) or ``t10k-images-idx3-ubyte`` /
    ``t10k-labels-idx1-ubyte`` (``kind="test"``), each optionally with
    ``.gz`` and also in the dotted spelling ``train-images.idx3-ubyte``.
    Fashion-MNIST uses the same names and loads the same way.

    Args:
        folder: directory holding the files.
        kind: ``"train"`` or ``"test"``.
        normalize: scale pixels from 0..255 to [0, 1]; with ``False`` the raw
            values are returned (still as float32).
        flatten: return images as ``[N, H*W]`` (row by row) instead of
            ``[N, H, W]``.

    Returns:
        ``(images, labels)``: ``images`` float32 ``[N, 28, 28]`` (or
        ``[N, 784]``); ``labels`` int64 ``[N]``.

    Raises:
        ValueError: for an unknown ``kind``, malformed files, images that are
            not 3-D ubyte, labels that are not 1-D integers, or differing
            image and label counts.
        FileNotFoundError: if the folder or a file is missing; the message
            lists every name looked for.
    """
    if kind not in _MNIST_PREFIX:
        raise ValueError(f"load_mnist: expected kind 'train' or 'test', got {kind!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist: expected a folder with the MNIST IDX files, "
                                f"got {str(folder)!r}, which is not a directory")
    prefix = _MNIST_PREFIX[kind]
    image_path, image_names = _find(folder, prefix, "images", "idx3")
    label_path, label_names = _find(folder, prefix, "labels", "idx1")
    if image_path is None or label_path is None:
        missing = [(part, names) for part, path, names in
                   (("images", image_path, image_names), ("labels", label_path, label_names))
                   if path is None]
        looked = "; ".join(f"{part}: {', '.join(names)}" for part, names in missing)
        raise FileNotFoundError(f"load_mnist: expected the MNIST {kind} files in "
                                f"{str(folder)!r}, got none of the names looked for ({looked})")

    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{image_path}: expected 3-D uint8 images [N, H, W], "
                         f"got {images.ndim}-D {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"{label_path}: expected 1-D integer labels [N], "
                         f"got {labels.ndim}-D {labels.dtype} of shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"load_mnist: expected as many labels as images, got "
                         f"{images.shape[0]} images in {image_path.name} and "
                         f"{labels.shape[0]} labels in {label_path.name}")

    x = images.astype(np.float32)
    if normalize:
        x /= 255.0
    if flatten:
        x = x.reshape(x.shape[0], -1)
    return x, labels.astype(np.int64)
