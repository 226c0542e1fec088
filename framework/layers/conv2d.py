"""2-D convolution on images ``[N, H, W, C]`` (cross-correlation, as DL frameworks define it)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..backend.geometry import ConvGeom, pair
from ..init import Initializer
from ..shape import Shape
from ..tensor import Tensor
from .base import Layer


def image_dims(layer: Layer, shape: Shape) -> tuple[int, int, int, int]:
    """``(N, H, W, C)`` of an image-batch shape.

    Raises:
        ValueError: if the shape is not 4-D, naming the layer.
    """
    dims = Shape(shape).dims
    if len(dims) != 4:
        raise ValueError(f"{layer}: input must be 4-D images [N, H, W, C], got Shape{list(dims)}")
    return dims  # type: ignore[return-value]


class Conv2D(Layer):
    """2-D convolution: ``Y[n, ho, wo, o] = b[o] + Σ_{i,j,c} X[n, ho·sh − ph + i·dh, wo·sw − pw + j·dw, c]·W[i, j, c, o]``.

    Computed as one matrix product over the patch matrix ``P`` (im2col, see
    ``docs/conv.md``): ``P[r, k]`` with ``r = n + N·(ho + Ho·wo)`` and
    ``k = i + kh·(j + kw·c)`` holds the input value that kernel tap
    ``(i, j, c)`` sees at output position ``(n, ho, wo)`` (0 in the padding).
    The kernel ``[kh, kw, C_in, C_out]`` is, in column-major storage, the
    ``[K, C_out]`` matrix with the same ``k``, and the output
    ``[N, Ho, Wo, C_out]`` is the ``[R, C_out]`` matrix with the same ``r``:

    ===============  ==================================================
    forward          ``Y = P·W + b``
    backward         ``δX = col2im(δY·Wᵀ)``
    delta weights    ``∂L/∂W += Pᵀ·δY``, ``∂L/∂b += Σ_rows δY``
    ===============  ==================================================

    Backward is the lecture's "full convolution of δY with the kernel rotated
    by 180°": ``δP = δY·Wᵀ`` gives, for every output position and tap, the
    share ``δY[n, ho, wo, o]·W[i, j, c, o]`` that flows back to the input
    pixel the tap read, and col2im adds every share into that pixel:
    ``δX[n, h, w, c] = Σ_{i,j,o} δY[n, (h + ph − i·dh)/sh, (w + pw − j·dw)/sw, o]·W[i, j, c, o]``
    over the taps where the division is exact and in range. With stride 1
    and no dilation, substituting ``i' = kh − 1 − i`` turns this into a
    cross-correlation of δY (zero-padded by ``kh − 1 − ph``) with the
    flipped kernel ``W[kh−1−i', kw−1−j', c, o]``: exactly
    ``conv2(δY, rot180(W), 'full')`` (cropped by the padding). The scatter
    form is the same sum, computed without building the flipped kernel, and
    it also covers stride and dilation.

    ``calculate_delta_weights`` rebuilds ``P`` from the input (no state is
    kept between the passes); the C backend does it in cache-sized chunks.

    Args:
        in_channels: C_in, the input's last dim.
        out_channels: C_out, the number of kernels.
        kernel_size: ``kh`` or ``(kh, kw)``.
        stride: ``s`` or ``(sh, sw)``, at least 1.
        padding: zero padding ``p`` or ``(ph, pw)`` on both sides, at least 0.
        dilation: ``d`` or ``(dil_h, dil_w)``, the spacing of the kernel taps.
        weights: optional initial kernel, a ``[kh, kw, C_in, C_out]`` array-like
            (logical indexing).
        bias: optional initial bias of length C_out (default zeros).
        init: initialiser of the kernel, used when ``weights`` is not given:
            any name of ``framework.init``, ``("constant", v)``, or a callable
            ``init(shape, rng)`` (fan-in ``kh·kw·C_in``, fan-out
            ``kh·kw·C_out``). Default ``"he"`` (He normal). The bias starts at zero.
        seed: seed or Generator for the initialiser.
        dtype: float32 (default) or float64 (gradient checks).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, weights: Any = None, bias: Any = None,
                 init: str | Initializer = "he", seed: int | np.random.Generator | None = None,
                 dtype: Any = np.float32) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Conv2D: {name} must be a positive integer, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair("Conv2D", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2D", "stride", stride, 1)
        self.padding = pair("Conv2D", "padding", padding, 0)
        self.dilation = pair("Conv2D", "dilation", dilation, 1)
        kh, kw = self.kernel_size
        self.add_param("weights", (kh, kw, self.in_channels, self.out_channels), init=init,
                       value=weights, rng=seed, dtype=dtype)
        self.add_param("bias", (self.out_channels,), value=bias, dtype=dtype)

    def geometry(self, input_shape: Shape) -> ConvGeom:
        """The :class:`ConvGeom` of this layer on an input of ``input_shape``.

        Raises:
            ValueError: for a non-4-D input, a channel mismatch, or an input
                smaller than the (dilated) kernel, naming the sizes.
        """
        n, h, w, c = image_dims(self, input_shape)
        if c != self.in_channels:
            raise ValueError(f"{self}: input has {c} channels, expected {self.in_channels} "
                             f"(input shape {Shape(input_shape)})")
        g = ConvGeom(n, h, w, c, *self.kernel_size, *self.stride, *self.padding, *self.dilation)
        if g.Ho < 1 or g.Wo < 1:
            kh, kw = self.kernel_size
            ph, pw = self.padding
            dil_h, dil_w = self.dilation
            raise ValueError(
                f"{self}: input {h}x{w} (padded {h + 2 * ph}x{w + 2 * pw}) is smaller than the "
                f"kernel {kh}x{kw} (dilated extent {dil_h * (kh - 1) + 1}x{dil_w * (kw - 1) + 1})")
        return g

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[N, H, W, C_in]`` -> ``[N, Ho, Wo, C_out]``, ``Ho = (H + 2·ph − dh·(kh−1) − 1)//sh + 1``.

        Raises:
            ValueError: see :meth:`geometry`.
        """
        g = self.geometry(input_shape)
        return Shape((g.N, g.Ho, g.Wo, self.out_channels))

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """``Y = P·W + b`` (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).conv2d_forward(x.elements, self.weights.matrix(), self.bias.elements,
                                            y.matrix(), self.geometry(x.shape))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δX = col2im(δY·Wᵀ)``, the full convolution with the rotated kernel (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).conv2d_backward(y.delta_matrix(), self.weights.matrix(), x.deltas,
                                             self.geometry(x.shape))

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """``δW += Pᵀ·δY`` and ``δb += Σ_rows δY`` (accumulate)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).conv2d_delta_weights(x.elements, y.delta_matrix(),
                                                  self.weights.delta_matrix(), self.bias.deltas,
                                                  self.geometry(x.shape))

    def __repr__(self) -> str:
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph, pw = self.padding
        dh, dw = self.dilation
        s = (f"Conv2D({self.in_channels}->{self.out_channels}, {kh}x{kw}, "
             f"stride {sh if sh == sw else f'{sh}x{sw}'}, pad {ph if ph == pw else f'{ph}x{pw}'}")
        if (dh, dw) != (1, 1):
            s += f", dilation {dh if dh == dw else f'{dh}x{dw}'}"
        return s + ")"
