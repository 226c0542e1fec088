"""Exercises 2.1-2.4: Conv2D forward, backward, delta weights, then stride and padding (see README.md).

Images are ``[N, H, W, C]`` (batch first, channels last), kernels
``[kh, kw, C_in, C_out]``. ``t.view()`` is a tensor's logical array (writing
into it writes the tensor), ``t.delta_view()`` the same for its deltas.
Loop over output positions (or kernel taps), but compute each step for the
whole batch and every channel at once (``np.tensordot``): exercise 2.7
trains with this layer.
"""
from __future__ import annotations

import numpy as np

from framework import Layer, Shape


def _pair(value):
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays ``(2, 3)``."""
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


def pad_images(x, ph, pw):
    """``x`` ``[N, H, W, C]`` with ``ph`` zero rows above and below and ``pw`` zero columns left and right."""
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))


class Conv2D(Layer):
    """``Y[n, ho, wo, o] = b[o] + Σ_{i,j,c} Xp[n, ho·sh + i, wo·sw + j, c]·W[i, j, c, o]``.

    ``Xp`` is the input with ``ph``/``pw`` rows/columns of zeros around it.
    Exercises 2.1-2.3 are checked with stride 1 and no padding (``Xp = X``);
    exercise 2.4 adds stride and padding.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 weights=None, bias=None, seed=None, dtype=np.float32):
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        kh, kw = self.kernel_size
        self.add_param("weights", (kh, kw, in_channels, out_channels), init="he", value=weights,
                       rng=seed, dtype=dtype)
        self.add_param("bias", (out_channels,), value=bias, dtype=dtype)

    def output_shape(self, input_shape):
        n, h, w, c = Shape(input_shape).dims
        kh, kw = self.kernel_size
        if self.stride == (1, 1) and self.padding == (0, 0):
            return Shape((n, h - kh + 1, w - kw + 1, self.out_channels))
        raise NotImplementedError("Exercise 2.4: Conv2D.output_shape with stride and padding — "
                                  "Ho = (H + 2·ph − kh)//sh + 1, Wo = (W + 2·pw − kw)//sw + 1")

    def forward(self, in_tensors, out_tensors):
        """Reads X (``in_tensors[0].view()``), W, b; overwrites Y (``out_tensors[0].view()``)."""
        raise NotImplementedError("Exercise 2.1: Conv2D.forward — Y[n, ho, wo, o] = b[o] + "
                                  "Σ_{i,j,c} X[n, ho + i, wo + j, c]·W[i, j, c, o]")

    def backward(self, out_tensors, in_tensors):
        """Reads δY (``out_tensors[0].delta_view()``) and W; overwrites δX (``in_tensors[0].delta_view()``)."""
        raise NotImplementedError("Exercise 2.2: Conv2D.backward — δX = full convolution of δY "
                                  "with rot180(W): pad δY by kh−1, kw−1, slide W[kh−1−i, kw−1−j, c, o]")

    def calculate_delta_weights(self, out_tensors, in_tensors):
        """Reads X and δY; adds (+=) into ``self.weights.delta_view()`` and ``self.bias.deltas``."""
        raise NotImplementedError("Exercise 2.3: Conv2D.calculate_delta_weights — ∂L/∂W[i, j, c, o] "
                                  "+= Σ_{n,ho,wo} X[n, ho + i, wo + j, c]·δY[n, ho, wo, o], "
                                  "∂L/∂b[o] += Σ_{n,ho,wo} δY[n, ho, wo, o]")
