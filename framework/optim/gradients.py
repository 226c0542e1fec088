"""Gradient transforms the SGDTrainer applies between backward and the flavor's update.

All work in place on the parameters' ``deltas``, which the trainer zeroes
before every step, so a change never leaks into the next step. Order in
:class:`~framework.trainer.SGDTrainer`: L2 weight decay first (it is the
gradient of the penalty ``λ/2·‖θ‖²`` added to the loss), then clipping, so
the clip bounds the whole gradient the flavor sees.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def add_weight_decay(params: list[Tensor], weight_decay: float) -> None:
    """L2 weight decay: ``g ← g + λ·θ`` for every parameter (biases included).

    Args:
        params: parameters whose deltas hold this step's gradient.
        weight_decay: λ >= 0; 0 leaves the gradients untouched.
    """
    if weight_decay == 0:
        return
    for p in params:
        p.deltas += weight_decay * p.elements


def clip_by_value(params: list[Tensor], limit: float) -> None:
    """Clip every gradient element into ``[−limit, limit]``.

    Args:
        params: parameters whose deltas hold this step's gradient.
        limit: the bound, > 0.
    """
    for p in params:
        d = p.deltas
        np.clip(d, -limit, limit, out=d)


def global_norm(params: list[Tensor]) -> float:
    """``sqrt(Σ g²)`` over the gradients of all parameters together.

    Args:
        params: parameters whose deltas hold this step's gradient.

    Returns:
        The Euclidean norm as a Python float (accumulated in float64).
    """
    return math.sqrt(sum(float(np.dot(p.deltas.ravel().astype(np.float64),
                                      p.deltas.ravel().astype(np.float64))) for p in params))


def clip_by_global_norm(params: list[Tensor], max_norm: float) -> float:
    """Scale all gradients by ``max_norm / ‖g‖`` when their global norm exceeds ``max_norm``.

    The direction of the whole gradient is kept; only its length is bounded.

    Args:
        params: parameters whose deltas hold this step's gradient.
        max_norm: the largest allowed global norm, > 0.

    Returns:
        The global norm before clipping.
    """
    norm = global_norm(params)
    if norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.deltas *= scale
    return norm
