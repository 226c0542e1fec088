"""Geometry shared by the image layers and every backend: ``ConvGeom``, ``PoolGeom``, ``pair``.

A layer turns its arguments (``kernel_size=3``, ``stride=(2, 1)``, ...)
into one of these records per call; every backend takes the record as it
is. The C twin of :class:`ConvGeom` is ``conv_geom`` in
``framework/csrc/kernels.h`` (same fields, same order).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["ConvGeom", "PoolGeom", "pair"]


def pair(owner: str, name: str, value: Any, minimum: int) -> tuple[int, int]:
    """``value`` as an ``(h, w)`` pair of ints ``>= minimum``; an int means ``(value, value)``.

    Args:
        owner: who asks, for the message (a layer's name, e.g. ``"Conv2D"``).
        name: the argument's name, e.g. ``"kernel_size"``.
        value: an int or a pair ``(h, w)`` of ints.
        minimum: the smallest allowed value (1 for sizes, 0 for padding).

    Returns:
        ``(h, w)`` as Python ints.

    Raises:
        ValueError: naming the owner and the argument.
    """
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    pr = (value, value) if is_int else tuple(value) if isinstance(value, (tuple, list)) else None
    if pr is None or len(pr) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in pr):
        kind = "positive" if minimum >= 1 else "non-negative"
        raise ValueError(f"{owner}: {name} must be a {kind} int or a pair (h, w) of them, got {value!r}")
    return int(pr[0]), int(pr[1])


class ConvGeom(NamedTuple):
    """Geometry of one convolution: input dims, kernel, stride, padding, dilation.

    ``Ho = (H + 2·ph − dil_h·(kh−1) − 1)//sh + 1`` and likewise ``Wo``. The
    layer checks that both are at least 1 before a geometry reaches a kernel.
    """

    N: int
    H: int
    W: int
    C: int
    kh: int
    kw: int
    sh: int = 1
    sw: int = 1
    ph: int = 0
    pw: int = 0
    dil_h: int = 1
    dil_w: int = 1

    @property
    def Ho(self) -> int:
        """Output height."""
        return (self.H + 2 * self.ph - self.dil_h * (self.kh - 1) - 1) // self.sh + 1

    @property
    def Wo(self) -> int:
        """Output width."""
        return (self.W + 2 * self.pw - self.dil_w * (self.kw - 1) - 1) // self.sw + 1

    @property
    def R(self) -> int:
        """Rows of the patch matrix and of the output matrix: ``N·Ho·Wo``."""
        return self.N * self.Ho * self.Wo

    @property
    def K(self) -> int:
        """Columns of the patch matrix, rows of the kernel matrix: ``kh·kw·C``."""
        return self.kh * self.kw * self.C


class PoolGeom(NamedTuple):
    """Geometry of one pooling: input dims, window ``(ph, pw)``, stride ``(sh, sw)``.

    Windows that do not fit at the bottom/right border are dropped:
    ``Ho = (H − ph)//sh + 1``, ``Wo = (W − pw)//sw + 1`` (no padding).
    """

    N: int
    H: int
    W: int
    C: int
    ph: int
    pw: int
    sh: int
    sw: int

    @property
    def Ho(self) -> int:
        """Output height."""
        return (self.H - self.ph) // self.sh + 1

    @property
    def Wo(self) -> int:
        """Output width."""
        return (self.W - self.pw) // self.sw + 1
