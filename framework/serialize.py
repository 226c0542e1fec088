"""Save and load a network's parameters: an atomic, pickle-free ``.npz``.

The file holds one array per parameter, named ``layer{i}.{name}`` (e.g.
``layer0.weights``), plus JSON metadata with the architecture's ``repr``
and every shape. Loading checks that the file fits the network it is
loaded into, names the first mismatch, and never executes code.
"""
from __future__ import annotations

import os
from typing import Any


from .io import load_arrays, save_arrays
from .network import Network


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
    """
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
        ValueError: the file is damaged, or does not match the network
            (missing/unexpected parameter, or a shape mismatch), naming it.
    """
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
    for k, p in named.items():
        if arrays[k].shape != p.shape.dims:
            raise ValueError(f"{path}: {k} has shape {arrays[k].shape} in the file, "
                             f"expected {p.shape.dims} (saved architecture: {saved})")
    for k, p in named.items():
        p.view()[...] = arrays[k]
    return meta.get("extra", {})
