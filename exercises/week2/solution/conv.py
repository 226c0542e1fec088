"""Exercises 2.1-2.4 (solution): Conv2D forward, backward, delta weights, stride and padding.

Images are ``[N, H, W, C]`` (batch first, channels last), kernels
``[kh, kw, C_in, C_out]``. ``t.view()`` is a tensor's logical array (writing
into it writes the tensor), ``t.delta_view()`` the same for its deltas.
The loops run over output positions (or kernel taps); each step works on
the whole batch and every channel at once, so the loops stay short.
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
        sh, sw = self.stride
        ph, pw = self.padding
        return Shape((n, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1,
                      self.out_channels))

    def forward(self, in_tensors, out_tensors):
        x, y = in_tensors[0].view(), out_tensors[0].view()
        w, b = self.weights.view(), self.bias.elements
        kh, kw = self.kernel_size
        sh, sw = self.stride
        xp = pad_images(x, *self.padding)
        _, Ho, Wo, _ = y.shape
        for ho in range(Ho):
            for wo in range(Wo):
                window = xp[:, ho * sh:ho * sh + kh, wo * sw:wo * sw + kw, :]  # [N, kh, kw, C_in]
                # Σ over i, j, c of window[n, i, j, c]·w[i, j, c, o]  ->  [N, C_out]
                y[:, ho, wo, :] = np.tensordot(window, w, axes=3) + b

    def backward(self, out_tensors, in_tensors):
        x, y = in_tensors[0], out_tensors[0]
        dy, w = y.delta_view(), self.weights.view()
        N, H, W, C_in = x.shape.dims
        _, Ho, Wo, C_out = dy.shape
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph, pw = self.padding
        Hp, Wp = H + 2 * ph, W + 2 * pw

        # 1. stride: put δY on the stride-1 output grid; the positions the
        #    stride skipped get 0 (they did not reach the loss).
        dy1 = np.zeros((N, Hp - kh + 1, Wp - kw + 1, C_out))
        dy1[:, 0:Ho * sh:sh, 0:Wo * sw:sw, :] = dy

        # 2. the full convolution: pad δY by kernel size − 1 and slide the
        #    kernel rotated by 180° over it (input and output channels swap roles).
        dy1 = pad_images(dy1, kh - 1, kw - 1)
        rot = w[::-1, ::-1, :, :]  # rot180: rot[i, j] = W[kh−1−i, kw−1−j]
        dxp = np.zeros((N, Hp, Wp, C_in))
        for h in range(Hp):
            for v in range(Wp):
                window = dy1[:, h:h + kh, v:v + kw, :]  # [N, kh, kw, C_out]
                # Σ over i, j, o of window[n, i, j, o]·rot[i, j, c, o]  ->  [N, C_in]
                dxp[:, h, v, :] = np.tensordot(window, rot, axes=([1, 2, 3], [0, 1, 3]))

        # 3. padding: the zero border is not part of X; keep the inside.
        x.delta_view()[...] = dxp[:, ph:ph + H, pw:pw + W, :]

    def calculate_delta_weights(self, out_tensors, in_tensors):
        x, dy = in_tensors[0].view(), out_tensors[0].delta_view()
        kh, kw = self.kernel_size
        sh, sw = self.stride
        xp = pad_images(x, *self.padding)
        _, Ho, Wo, _ = dy.shape
        dW = np.zeros(self.weights.view().shape)
        db = np.zeros(self.out_channels)
        for ho in range(Ho):
            for wo in range(Wo):
                window = xp[:, ho * sh:ho * sh + kh, wo * sw:wo * sw + kw, :]  # [N, kh, kw, C_in]
                # every sample's window times its δY, summed over the batch  ->  [kh, kw, C_in, C_out]
                dW += np.tensordot(window, dy[:, ho, wo, :], axes=([0], [0]))
                db += dy[:, ho, wo, :].sum(axis=0)
        self.weights.delta_view()[...] += dW
        self.bias.deltas[...] += db
