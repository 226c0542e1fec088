"""Exercises 2.5-2.6 (solution): MaxPool2D and AvgPool2D, forward and backward.

Windows of ``ph×pw`` moved by ``sh, sw`` over every channel separately, no
padding; windows that do not fit at the bottom or right border are dropped.
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
        x, y = in_tensors[0].view(), out_tensors[0].view()
        (ph, pw), (sh, sw) = self.pool_size, self.stride
        _, Ho, Wo, _ = y.shape
        for ho in range(Ho):
            for wo in range(Wo):
                window = x[:, ho * sh:ho * sh + ph, wo * sw:wo * sw + pw, :]  # [N, ph, pw, C]
                y[:, ho, wo, :] = window.max(axis=(1, 2))

    def backward(self, out_tensors, in_tensors):
        x, dy = in_tensors[0].view(), out_tensors[0].delta_view()
        dx = in_tensors[0].delta_view()
        (ph, pw), (sh, sw) = self.pool_size, self.stride
        N, _, _, C = x.shape
        _, Ho, Wo, _ = dy.shape
        n, c = np.arange(N)[:, None], np.arange(C)[None, :]  # index every (sample, channel) pair
        dx[...] = 0.0  # the windows below add into δX (overlapping windows share inputs)
        for ho in range(Ho):
            for wo in range(Wo):
                h0, w0 = ho * sh, wo * sw
                # the window in reading order (row i, then column j): k = i·pw + j
                window = x[:, h0:h0 + ph, w0:w0 + pw, :].reshape(N, ph * pw, C)
                k = window.argmax(axis=1)  # [N, C]: the first maximum wins
                i, j = k // pw, k % pw
                dx[n, h0 + i, w0 + j, c] += dy[:, ho, wo, :]


class AvgPool2D(Pool2D):
    """``Y[n, ho, wo, c] = (1/(ph·pw))·Σ_{i,j} X[n, ho·sh + i, wo·sw + j, c]``."""

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0].view(), out_tensors[0].view()
        (ph, pw), (sh, sw) = self.pool_size, self.stride
        _, Ho, Wo, _ = y.shape
        for ho in range(Ho):
            for wo in range(Wo):
                window = x[:, ho * sh:ho * sh + ph, wo * sw:wo * sw + pw, :]
                y[:, ho, wo, :] = window.mean(axis=(1, 2))

    def backward(self, out_tensors, in_tensors):
        dy, dx = out_tensors[0].delta_view(), in_tensors[0].delta_view()
        (ph, pw), (sh, sw) = self.pool_size, self.stride
        _, Ho, Wo, _ = dy.shape
        dx[...] = 0.0
        for ho in range(Ho):
            for wo in range(Wo):
                h0, w0 = ho * sh, wo * sw
                # every input of the window gets an equal share of δY
                dx[:, h0:h0 + ph, w0:w0 + pw, :] += dy[:, ho:ho + 1, wo:wo + 1, :] / (ph * pw)
