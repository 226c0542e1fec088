"""Data sets and loaders: the shipped 8x8 digits, MNIST IDX files, splitting.

See ``framework/data/README.md`` for the origin and licence of the shipped
data.
"""
from .augment import shift_images
from .digits import load_digits, load_digits_images
from .mnist import load_mnist, read_idx, write_idx
from .split import train_test_split

__all__ = ["load_digits", "load_digits_images", "load_mnist", "read_idx", "write_idx",
           "train_test_split", "shift_images"]
