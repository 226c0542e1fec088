"""Exercises 2.5-2.6: MaxPool2D and AvgPool2D, forward and backward (see README.md).

Windows of ``ph×pw`` moved by ``sh, sw`` over every channel separately, no
padding; windows that do not fit at the bottom or right border are dropped
(the output shape is given). Loop over the windows, but compute each one for
the whole batch and every channel at once.
"""
from __future__ import annotations

import numpy as np

from framework import Layer, Shape


def _pair(value):
    """``2`` -> ``(2, 2)``; ``(2, 3)`` stays ``(2, 3)``."""
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


class Pool2D(Layer):
    """What both poolings share: window, stride, output shape (given)."""

    def __init__(self, pool_size, stride=None):
        self.pool_size = _pair(pool_size)
        self.stride = self.pool_size if stride is None else _pair(stride)

    def output_shape(self, input_shape):
        n, h, w, c = Shape(input_shape).dims
        (ph, pw), (sh, sw) = self.pool_size, self.stride
        return Shape((n, (h - ph) // sh + 1, (w - pw) // sw + 1, c))


class MaxPool2D(Pool2D):
    """``Y[n, ho, wo, c] = max_{i,j} X[n, ho·sh + i, wo·sw + j, c]``."""

    def forward(self, in_tensors, out_tensors):
        """Reads X; overwrites Y with the window maxima."""
        raise NotImplementedError("Exercise 2.5: MaxPool2D.forward — Y[n, ho, wo, c] = "
                                  "max_{i,j} X[n, ho·sh + i, wo·sw + j, c]")

    def backward(self, out_tensors, in_tensors):
        """Reads X and δY; overwrites δX: δY to each window's (first) maximum, 0 elsewhere."""
        raise NotImplementedError("Exercise 2.5: MaxPool2D.backward — δX = 0, then for every "
                                  "window: δX[winner] += δY[n, ho, wo, c]")


class AvgPool2D(Pool2D):
    """``Y[n, ho, wo, c] = (1/(ph·pw))·Σ_{i,j} X[n, ho·sh + i, wo·sw + j, c]``."""

    def forward(self, in_tensors, out_tensors):
        """Reads X; overwrites Y with the window means."""
        raise NotImplementedError("Exercise 2.6: AvgPool2D.forward — Y[n, ho, wo, c] = "
                                  "(1/(ph·pw))·Σ_{i,j} X[n, ho·sh + i, wo·sw + j, c]")

    def backward(self, out_tensors, in_tensors):
        """Reads δY; overwrites δX: every input of a window gets δY/(ph·pw) (summed over windows)."""
        raise NotImplementedError("Exercise 2.6: AvgPool2D.backward — δX = 0, then for every "
                                  "window: δX[window] += δY[n, ho, wo, c]/(ph·pw)")
