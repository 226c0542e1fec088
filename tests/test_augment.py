"""shift_images: shifted copies with zero borders."""
import numpy as np
import pytest

from framework.data import shift_images


def test_shifts_by_hand():
    img = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)  # [[1,2,3],[4,5,6],[7,8,9]]
    out, labels = shift_images(img, np.array([7]), shifts=((0, 1), (1, 0), (-1, -1)))
    assert out.shape == (4, 3, 3) and labels.tolist() == [7, 7, 7, 7]
    assert out[0].tolist() == img[0].tolist()
    assert out[1].tolist() == [[0, 1, 2], [0, 4, 5], [0, 7, 8]]   # right by one
    assert out[2].tolist() == [[0, 0, 0], [1, 2, 3], [4, 5, 6]]   # down by one
    assert out[3].tolist() == [[5, 6, 0], [8, 9, 0], [0, 0, 0]]   # up and left by one


def test_too_large_shift():
    with pytest.raises(ValueError, match="larger than the image"):
        shift_images(np.zeros((1, 3, 3)), np.zeros(1), shifts=((3, 0),))
