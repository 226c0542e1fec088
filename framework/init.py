"""Weight initialisers: functions of (shape, rng) returning a float64 array.

Xavier/Glorot keeps the variance of activations roughly constant through
sigmoid/tanh layers; He does the same for ReLU (it doubles the variance to
make up for the half of the units that ReLU zeroes); LeCun (variance
``1/fan_in``) suits SELU-like and linear layers.

Fans: a weight of shape ``[..., fan_in_units, fan_out_units]`` (FC ``[F, O]``,
conv ``[kh, kw, C_in, C_out]``) has ``fan_in = kh·kw·C_in`` and
``fan_out = kh·kw·C_out`` (the receptive field multiplies both, as in Keras
and PyTorch). A 1-D shape has ``fan_in = fan_out = shape[0]``.

Names (``init=`` on any layer, looked up by :func:`get_initializer`):
``"zeros"``, ``"ones"``, ``"uniform"`` (U(-0.05, 0.05)), ``"normal"``
(N(0, 0.05²)), ``"lecun_uniform"``, ``"lecun_normal"``, ``"glorot_uniform"``,
``"glorot_normal"`` (aliases ``"xavier_uniform"``, ``"xavier_normal"``),
``"he_uniform"``, ``"he_normal"``, ``"orthogonal"``. The short names keep
their historic meaning: ``"xavier"`` and ``"glorot"`` are Glorot *uniform*,
``"he"`` is He *normal*. A constant needs its value: ``init=constant(0.1)``
(a factory returning an initialiser) or ``init=("constant", 0.1)``; the
factories :func:`uniform` and :func:`normal` take a scale the same way
(``("uniform", 0.1)``, ``normal(0.01)``).
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
    one (semi-)orthogonal matrix; a conv kernel ``[kh, kw, C_in, C_out]`` is
    orthogonal as the matrix ``[kh·kw·C_in, C_out]``.

    Args:
        shape: ``(rows, cols)`` or ``(..., rows_last, cols)``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    if len(shape) < 2:
        raise ValueError(f"orthogonal initializer needs a shape of at least 2 dims, got {tuple(shape)}")
    if len(shape) > 2:
        # conv [kh, kw, C_in, C_out]: the flattened [kh·kw·C_in, C_out] matrix is (semi-)orthogonal
        flat = _orthogonal_block(int(np.prod(shape[:-1])), shape[-1], rng)
        return flat.reshape(shape)
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


def xavier_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010), normal form: N(0, 2 / (fan_in + fan_out)).

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, fan_out = _fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015), uniform form: U(-a, a) with ``a = sqrt(6 / fan_in)`` (variance 2/fan_in).

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, _ = _fans(shape)
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=shape)


def lecun_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """LeCun et al. (1998): U(-a, a) with ``a = sqrt(3 / fan_in)`` (variance 1/fan_in).

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, _ = _fans(shape)
    a = np.sqrt(3.0 / fan_in)
    return rng.uniform(-a, a, size=shape)


def lecun_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """LeCun et al. (1998): N(0, 1 / fan_in).

    Args:
        shape: weight shape ``[..., fan_in, fan_out]``.
        rng: random generator.

    Returns:
        float64 array of ``shape``.
    """
    fan_in, _ = _fans(shape)
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=shape)


def constant(value: float) -> Initializer:
    """Factory: an initialiser filling every element with ``value``.

    Args:
        value: the constant (finite).

    Returns:
        ``init(shape, rng)`` returning float64 ``value`` everywhere.
    """
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"constant initializer: value must be finite, got {value}")

    def init(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, value)

    init.__name__ = f"constant({value})"
    return init


def uniform(scale: float = 0.05) -> Initializer:
    """Factory: U(-scale, scale), independent of the fans (variance ``scale²/3``).

    Args:
        scale: half-width of the interval (default 0.05, as Keras and NumpyDL).

    Returns:
        ``init(shape, rng)``.
    """
    scale = _positive(scale, "uniform")

    def init(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(-scale, scale, size=shape)

    init.__name__ = f"uniform({scale})"
    return init


def normal(std: float = 0.05) -> Initializer:
    """Factory: N(0, std²), independent of the fans.

    Args:
        std: standard deviation (default 0.05, as Keras; NumpyDL uses 0.01).

    Returns:
        ``init(shape, rng)``.
    """
    std = _positive(std, "normal")

    def init(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.normal(0.0, std, size=shape)

    init.__name__ = f"normal({std})"
    return init


def _positive(x: float, name: str) -> float:
    x = float(x)
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} initializer: scale must be a positive finite number, got {x}")
    return x


INITIALIZERS: dict[str, Initializer] = {
    # historic short names: seeded results depend on their meaning, keep it
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "he": he_normal,
    "zeros": zeros,
    "ones": ones,
    "uniform": uniform(),
    "normal": normal(),
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "glorot_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}

# names taking one argument, spelled ("name", argument)
FACTORIES: dict[str, Callable[[float], Initializer]] = {
    "constant": constant, "uniform": uniform, "normal": normal,
}


def get_initializer(init: str | tuple[str, float] | Initializer) -> Initializer:
    """Look up an initialiser by name, a ``(name, argument)`` pair, or pass a callable through.

    Args:
        init: a name of :data:`INITIALIZERS`, a pair such as ``("constant", 0.1)``
            (names of :data:`FACTORIES`), or a callable ``init(shape, rng)``.

    Returns:
        the initialiser.

    Raises:
        ValueError: for an unknown name or a malformed pair.
    """
    if callable(init):
        return init
    if isinstance(init, tuple):
        if len(init) != 2 or init[0] not in FACTORIES:
            raise ValueError(f"unknown initializer {init!r}: a pair must be (name, argument) "
                             f"with name one of {', '.join(sorted(FACTORIES))}")
        return FACTORIES[init[0]](init[1])
    if init == "constant":
        raise ValueError("initializer 'constant' needs a value: init=('constant', 0.1) "
                         "or init=framework.init.constant(0.1)")
    try:
        return INITIALIZERS[init]
    except (KeyError, TypeError):
        raise ValueError(f"unknown initializer {init!r}: expected one of "
                         f"{', '.join(sorted(INITIALIZERS))}, a pair ('constant', value) "
                         f"or a callable") from None
