"""Maintainer script: build ``framework/data/digits.npz`` from scikit-learn.

Run once (``python scripts/make_digits_npz.py``) with scikit-learn
installed. The package itself never imports scikit-learn; it only reads the
``.npz`` this script writes.

Data origin and licence: the "Optical Recognition of Handwritten Digits"
data set from the UCI Machine Learning Repository (E. Alpaydin, C. Kaynak,
1998; https://doi.org/10.24432/C50P49), licensed CC BY 4.0, as redistributed
by scikit-learn's ``sklearn.datasets.load_digits`` (the UCI test split:
1797 images of 8x8 pixels, values 0..16).

Written arrays (all ``uint8``, no object arrays, so ``allow_pickle=False``
loads them):

* ``images``: ``[1797, 8, 8]``, ``images[n, r, c]`` is row ``r``, column
  ``c`` of image ``n`` (row 0 at the top).
* ``labels``: ``[1797]``, digits 0..9.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "framework" / "data" / "digits.npz"


def build(out: Path) -> None:
    """Fetch the digits from scikit-learn, check them and write ``out``.

    Args:
        out: destination ``.npz`` path; overwritten.

    Raises:
        ValueError: if scikit-learn's copy is not what this script expects.
    """
    from sklearn.datasets import load_digits  # maintainer-only dependency

    bunch = load_digits()
    images = bunch.images
    labels = bunch.target
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise ValueError(
            f"expected images (1797, 8, 8) and labels (1797,), "
            f"got {images.shape} and {labels.shape}")
    # The cast to uint8 must be lossless, otherwise the shipped copy would
    # silently differ from the original.
    if not (np.all(images == np.round(images)) and images.min() >= 0 and images.max() <= 16):
        raise ValueError(f"expected integer pixels in 0..16, got range "
                         f"[{images.min()}, {images.max()}]")
    if set(np.unique(labels).tolist()) != set(range(10)):
        raise ValueError(f"expected labels 0..9, got {np.unique(labels)}")
    # sklearn's flat `data` must be the row-by-row reading of `images`; the
    # loader relies on that ordering.
    if not np.array_equal(bunch.data.reshape(-1, 8, 8), images):
        raise ValueError("expected bunch.data to be bunch.images read row by row")

    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, images=images.astype(np.uint8), labels=labels.astype(np.uint8))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .npz path")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
