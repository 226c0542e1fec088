"""The 8x8 handwritten digits shipped with the package (works offline).

Data: "Optical Recognition of Handwritten Digits" (E. Alpaydin, C. Kaynak,
UCI Machine Learning Repository, 1998, https://doi.org/10.24432/C50P49),
licensed CC BY 4.0, in the form scikit-learn redistributes it
(``sklearn.datasets.load_digits``: 1797 images, pixel values 0..16). The
``digits.npz`` next to this module was written once by
``scripts/make_digits_npz.py``; see ``framework/data/README.md``.

Pixel ordering: the flat ``[N, 64]`` form is each 8x8 image read row by row,
so pixel ``(r, c)`` (row ``r`` from the top, column ``c`` from the left) is at
index ``8*r + c``. The image form ``[N, 8, 8, 1]`` is batch, height, width,
channels.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

N_SAMPLES = 1797
HEIGHT = WIDTH = 8
MAX_PIXEL = 16  # 4x4 blocks of a 32x32 bitmap count at most 16 "on" pixels
N_CLASSES = 10


def _load_raw() -> tuple[np.ndarray, np.ndarray]:
    """Read ``digits.npz`` as stored.

    Returns:
        ``(images uint8 [N, 8, 8], labels uint8 [N])``.

    Raises:
        ValueError: if the shipped file does not hold what this module expects
            (a damaged install rather than a user error).
    """
    source = resources.files(__package__).joinpath("digits.npz")
    with resources.as_file(source) as path, np.load(path, allow_pickle=False) as npz:
        images = npz["images"]
        labels = npz["labels"]
    if images.shape != (N_SAMPLES, HEIGHT, WIDTH) or labels.shape != (N_SAMPLES,):
        raise ValueError(f"{source}: expected images {(N_SAMPLES, HEIGHT, WIDTH)} and labels "
                         f"{(N_SAMPLES,)}, got {images.shape} and {labels.shape}")
    return images, labels


def load_digits(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the digits as flat feature vectors for dense networks.

    Args:
        normalize: scale pixels from 0..16 to [0, 1]; with ``False`` the raw
            integer values 0..16 are returned (still as float32).

    Returns:
        ``(x, y)``: ``x`` float32 ``[1797, 64]`` with pixel ``(r, c)`` at
        column ``8*r + c``; ``y`` int64 ``[1797]`` with digits 0..9.
    """
    images, labels = _load_raw()
    x = images.reshape(N_SAMPLES, HEIGHT * WIDTH).astype(np.float32)
    if normalize:
        x /= MAX_PIXEL
    return x, labels.astype(np.int64)


def load_digits_images(normalize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the digits as single-channel images for convolutional networks.

    Args:
        normalize: scale pixels from 0..16 to [0, 1] (see :func:`load_digits`).

    Returns:
        ``(x, y)``: ``x`` float32 ``[1797, 8, 8, 1]`` (batch, height, width,
        channels; ``x[n, r, c, 0]`` is row ``r``, column ``c``); ``y`` int64
        ``[1797]``.
    """
    x, y = load_digits(normalize)
    return x.reshape(N_SAMPLES, HEIGHT, WIDTH, 1), y
