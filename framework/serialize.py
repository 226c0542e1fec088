"""Save and load a network's parameters: an atomic, pickle-free ``.npz``.

The file holds one array per parameter, named ``layer{i}.{name}`` (e.g.
``layer0.weights``), plus JSON metadata with the architecture's ``repr``
and every shape. Loading checks that the file fits the network it is
loaded into, names the first mismatch, and never executes code.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from .io import load_arrays, save_arrays
from .network import Network
from .tensor import Tensor


def _check_network(caller: str, network: Any) -> None:
    if not isinstance(network, Network):
        raise TypeError(f"{caller}: expected a Network (build it as it was built for training, "
                        f"then load into it), got {type(network).__name__}")


def _named_params(network: Network) -> dict[str, Any]:
    named = {}
    for i, layer in enumerate(network.layers):
        for name, p in zip(layer.param_names(), layer.params):
            named[f"layer{i}.{name.replace(' ', '_')}"] = p
    return named


def save_network(path: str | os.PathLike, network: Network, extra: dict[str, Any] | None = None) -> None:
    """Write every parameter of ``network`` to ``path`` atomically.

    An interrupted save leaves any earlier file at ``path`` intact.

    Args:
        path: destination file (``.npz`` by convention).
        network: the network whose parameters are saved.
        extra: optional JSON-serialisable metadata (epoch, accuracy, ...).

    Raises:
        TypeError: if ``network`` is not a Network or ``extra`` not a dict.
    """
    _check_network("save_network", network)
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"save_network: expected extra to be a dict of JSON values (epoch, "
                        f"accuracy, ...) or None, got {type(extra).__name__}")
    named = _named_params(network)
    arrays = {k: p.to_numpy() for k, p in named.items()}
    meta = {"format": "framework-network-v1", "architecture": repr(network),
            "shapes": {k: list(p.shape.dims) for k, p in named.items()}, "extra": extra or {}}
    save_arrays(path, arrays, meta)


def load_network(path: str | os.PathLike, network: Network, strict: bool = True) -> dict[str, Any]:
    """Load parameters saved by :func:`save_network` into ``network`` (same architecture).

    Args:
        path: a file written by :func:`save_network`.
        network: a network built the same way; its parameters are overwritten.
        strict: also require the same architecture (layer types, activations,
            loss), not only parameters of the same shapes.

    Returns:
        The ``extra`` metadata that was saved.

    Raises:
        TypeError: if ``network`` is not a Network.
        ValueError: the file is damaged, does not match the network
            (missing/unexpected parameter, or a shape mismatch), or holds
            values that are not finite real numbers (NaN, inf, complex, or
            too large for the network's dtype), naming the first one. The
            network is then unchanged: everything is checked before anything
            is assigned.
    """
    _check_network("load_network", network)
    arrays, meta = load_arrays(path)
    if meta.get("format") != "framework-network-v1":
        raise ValueError(f"{path}: not a network file written by save_network")
    saved = meta.get("architecture")
    if strict and saved != repr(network):
        raise ValueError(f"{path}: saved for another architecture:\n  saved: {saved}\n  "
                         f"this:  {network!r}\n(pass strict=False to load parameters of matching "
                         f"shapes anyway)")
    named = _named_params(network)
    missing = sorted(set(named) - set(arrays))
    unexpected = sorted(set(arrays) - set(named))
    if missing or unexpected:
        raise ValueError(f"{path}: parameters do not match the network: missing {missing}, "
                         f"unexpected {unexpected} (saved architecture: {meta.get('architecture')})")
    # Validate and convert everything before assigning anything: a load that
    # fails half-way would leave a network with parameters from two files.
    converted = {k: _checked_param(path, k, arrays[k], p, saved) for k, p in named.items()}
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError(f"{path}: expected the metadata 'extra' to be a JSON object, "
                         f"got {type(extra).__name__}")
    for k, p in named.items():
        p.view()[...] = converted[k]
    return extra


def _checked_param(path: str | os.PathLike, key: str, array: np.ndarray, param: Tensor,
                   saved: Any) -> np.ndarray:
    """The file's ``array`` for ``param``, converted to its dtype, or a ValueError naming ``key``."""
    if array.shape != param.shape.dims:
        raise ValueError(f"{path}: {key} has shape {array.shape} in the file, "
                         f"expected {param.shape.dims} (saved architecture: {saved})")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{path}: {key} has dtype {array.dtype} in the file, expected real "
                         f"numbers (float32); the file was not written by save_network or was "
                         f"altered; nothing was loaded (save it again with save_network)")
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf: caught below
        values = array.astype(param.dtype)
    if not np.all(np.isfinite(values)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"{path}: {key} holds {array[bad]} at index {bad} in the file, expected "
                         f"finite values that fit {param.dtype} (a network saved after its "
                         f"training diverged holds NaN or inf); nothing was loaded (load a file "
                         f"saved before the divergence)")
    return values
