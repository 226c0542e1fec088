"""Average pooling on images ``[N, H, W, C]``."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .max_pool2d import Pool2D


class AvgPool2D(Pool2D):
    """Average pooling: ``Y[n, ho, wo, c] = (1/(ph·pw))·Σ_{i,j} X[n, ho·sh + i, wo·sw + j, c]``.

    Backward spreads each output delta evenly, ``δY/(ph·pw)``, over its
    window (summed where windows overlap). Windows that do not fit at the
    border are dropped, and the inputs they alone would cover get delta 0
    (see :class:`~framework.layers.max_pool2d.Pool2D`).

    Args:
        pool_size: ``p`` or ``(ph, pw)``.
        stride: ``s`` or ``(sh, sw)``; default the pool size.
    """

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Window means (overwrites Y)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).avgpool2d_forward(x.elements, y.elements, self.geometry(x.shape))

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """``δX = Σ δY/(ph·pw)`` over the windows covering each input (overwrites δX)."""
        x, y = self.check_io(in_tensors, out_tensors)
        self.ops(x.dtype).avgpool2d_backward(y.deltas, x.deltas, self.geometry(x.shape))
