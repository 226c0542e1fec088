"""Weight initialisers: functions of (shape, rng) returning a float64 array.

Xavier/Glorot keeps the variance of activations roughly constant through
sigmoid/tanh layers; He does the same for ReLU (it doubles the variance to
make up for the half of the units that ReLU zeroes).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Initializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    # Weight shapes are [..., fan_in, fan_out]: FC [in, out], conv [kh, kw, C_in, C_out].
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in = shape[-2] * receptive if len(shape) >= 2 else shape[0]
    fan_out = shape[-1] * receptive
    return fan_in, fan_out


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010): U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``.

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, fan_out = _fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015): N(0, 2 / fan_in), for ReLU networks.

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def zeros(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """All zeros (biases).

    Args:
        shape: the shape.
        rng: unused, for a uniform signature.

    Returns:
        float64 zeros of ``shape``.
    """
    return np.zeros(shape)


def orthogonal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Orthogonal initialiser (Saxe et al. 2014), one square block per gate when the columns are a multiple of the rows.

    For a recurrent weight ``[H, 4H]`` each ``[H, H]`` gate block is a random
    orthogonal matrix (QR of a Gaussian matrix, signs fixed so the
    distribution is uniform), so repeated multiplication by ``W`` through time
    neither grows nor shrinks a vector at initialisation. Other shapes get
    one (semi-)orthogonal matrix.

    Args:
        shape: ``(rows, cols)``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    rows, cols = shape
    if cols > rows and cols % rows == 0:
        return np.concatenate([_orthogonal_block(rows, rows, rng) for _ in range(cols // rows)],
                              axis=1)
    return _orthogonal_block(rows, cols, rng)


def _orthogonal_block(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # make the decomposition unique: uniform (Haar) distribution
    return q if rows >= cols else q.T


def ones(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """All ones (scales).

    Args:
        shape: the shape.
        rng: unused, for a uniform signature.

    Returns:
        float64 ones of ``shape``.
    """
    return np.ones(shape)


INITIALIZERS: dict[str, Initializer] = {
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "he": he_normal,
    "zeros": zeros,
    "ones": ones,
    "orthogonal": orthogonal,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """Look up an initialiser by name, or pass a callable through.

    Raises:
        ValueError: for an unknown name.
    """
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except KeyError:
        raise ValueError(f"unknown initializer {init!r}: expected one of "
                         f"{', '.join(sorted(INITIALIZERS))} or a callable") from None
