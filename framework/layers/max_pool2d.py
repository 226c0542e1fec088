"""Max pooling on images ``[N, H, W, C]``, and the base class shared with average pooling."""
from __future__ import annotations

from typing import Any, Sequence

from ..backend.geometry import PoolGeom, pair
from ..shape import Shape
from ..tensor import Tensor
from .base import Layer
from .conv2d import image_dims


class Pool2D(Layer):
    """Pooling over ``pool_size`` windows moved by ``stride`` over every channel separately.

    Border rule (both poolings): there is no padding, and windows that do
    not fit completely at the bottom or right border are dropped,
    ``Ho = (H − ph)//sh + 1`` (floor, as in PyTorch with ``ceil_mode=False``).
    Input rows/columns that no window covers get a delta of 0.

    Args:
        pool_size: ``p`` or ``(ph, pw)``, at least 1.
        stride: ``s`` or ``(sh, sw)``, at least 1; default: the pool size
            (windows side by side, no overlap).
    """

    kind = "pool"

    def __init__(self, pool_size: Any, stride: Any = None) -> None:
        name = type(self).__name__
        self.pool_size = pair(name, "pool_size", pool_size, 1)
        self.stride = self.pool_size if stride is None else pair(name, "stride", stride, 1)

    def geometry(self, input_shape: Shape) -> PoolGeom:
        """The :class:`PoolGeom` on an input of ``input_shape``.

        Raises:
            ValueError: for a non-4-D input or one smaller than the window.
        """
        n, h, w, c = image_dims(self, input_shape)
        ph, pw = self.pool_size
        if h < ph or w < pw:
            raise ValueError(f"{self}: input {h}x{w} is smaller than the pooling window {ph}x{pw} "
                             f"(input shape {Shape(input_shape)})")
        return PoolGeom(n, h, w, c, ph, pw, *self.stride)

    def output_shape(self, input_shape: Shape) -> Shape:
        """``[N, H, W, C]`` -> ``[N, (H − ph)//sh + 1, (W − pw)//sw + 1, C]``."""
        g = self.geometry(input_shape)
        return Shape((g.N, g.Ho, g.Wo, g.C))

    def __repr__(self) -> str:
        ph, pw = self.pool_size
        sh, sw = self.stride
        return f"{type(self).__name__}({ph}x{pw}, stride {sh if sh == sw else f'{sh}x{sw}'})"


class MaxPool2D(Pool2D):
    """Max pooling: ``Y[n, ho, wo, c] = max_{i,j} X[n, ho·sh + i, wo·sw + j, c]``.

    Backward routes each output delta to the input that won its window, and
    0 to every other input (summed where overlapping windows share a
    winner). Ties go to the FIRST maximum in the window's scan order, which
    is reading order: window row ``i`` outer, column ``j`` inner (the order
    PyTorch uses too). The winner is recomputed from the input in backward,
    so the layer keeps no state between the passes.

    Args:
        pool_size: ``p`` or ``(ph, pw)``.
        stride: ``s`` or ``(sh, sw)``; default the pool size.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Window maxima (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).maxpool2d_forward(x.elements, y.elements, self.geometry(x.shape))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δX[winner] = δY`` per window, 0 elsewhere (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).maxpool2d_backward(x.elements, y.deltas, x.deltas,
                                                self.geometry(x.shape))
