"""Validation of an activation's scalar argument (slope, steepness), shared by the activation files."""
from __future__ import annotations

import math
from typing import Any


def scalar_arg(layer: str, name: str, value: Any, *, positive: bool = False) -> float:
    """Return ``value`` as a finite float, or raise naming the layer and the argument.

    Args:
        layer: the layer's class name, for the message.
        name: the argument's name, e.g. ``"alpha"``.
        value: what the user passed.
        positive: require ``value > 0``.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: for a non-number (a bool included).
        ValueError: for NaN/inf, or a value ≤ 0 when ``positive``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{layer}: {name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or (positive and v <= 0):
        need = "a positive finite number" if positive else "a finite number"
        raise ValueError(f"{layer}: {name} must be {need}, got {value!r}")
    return v
