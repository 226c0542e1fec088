"""Checking the numbers a user passes (batch sizes, epochs, rates): one message style everywhere.

Each function returns the value converted, or raises an error that names the
caller, the argument, what was given and what is expected.
"""
from __future__ import annotations

import math
import numbers
from typing import Any


def count(who: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (a whole float such as ``32.0`` counts).

    Args:
        who: the caller, for the message (``"SGDTrainer"``).
        name: the argument's name (``"batch_size"``).
        value: what the user passed.
        minimum: the smallest allowed value.

    Returns:
        ``int(value)``.

    Raises:
        TypeError: not a real number (or a bool).
        ValueError: not whole, or below ``minimum``.
    """
    ok = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be an integer >= {minimum}, got {value!r} "
                        f"({type(value).__name__})")
    if not ok or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive(who: str, name: str, value: Any) -> float:
    """``value`` as a finite float > 0.

    Args:
        who: the caller, for the message (``"SGDTrainer"``).
        name: the argument's name (``"learning_rate"``).
        value: what the user passed.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: not a real number (or a bool).
        ValueError: not finite, or not above 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a positive number such as 0.01, got {value!r} "
                        f"({type(value).__name__})")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{who}: {name} must be a finite number > 0, got {value!r}")
    return float(value)
