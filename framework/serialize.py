"""Save and load a network's parameters and state: an atomic, pickle-free ``.npz``.

The file holds one array per parameter, named ``layer{i}.{name}`` (e.g.
``layer0.weights``), one per state array of a layer (``Layer.state_arrays``:
BatchNorm's running averages), named ``layer{i}.state.{name}``, plus JSON
metadata with the architecture's ``repr`` and every shape. Loading checks
that the file fits the network it is loaded into, names the first
mismatch, and never executes code. Files of format v1 (parameters only,
before state arrays) still load; the layers' state is then left as it is.
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


def network_state(network: Network) -> dict[str, np.ndarray]:
    """Copies of every parameter (``layer{i}.{name}``) and state array (``layer{i}.state.{name}``).

    Args:
        network: the network.

    Returns:
        name -> array, what :func:`load_network_state` takes back.
    """
    arrays = {k: p.to_numpy() for k, p in _named_params(network).items()}
    for i, layer in enumerate(network.layers):
        for name, a in layer.state_arrays().items():
            arrays[f"layer{i}.state.{name}"] = a
    return arrays


def load_network_state(source: Any, network: Network, arrays: dict[str, np.ndarray],
                       saved: Any = None, with_state: bool = True) -> None:
    """Put parameters and state arrays (as :func:`network_state` names them) into ``network``.

    Everything is checked before anything is assigned, so a failure leaves
    the network unchanged.

    Args:
        source: what the arrays come from (a path), for messages.
        network: the network to change.
        arrays: name -> array, nothing else.
        saved: the architecture the arrays were saved from, for messages.
        with_state: False for files without state arrays (format v1).

    Raises:
        ValueError: missing or unexpected names, shapes that differ, or values
            that are not finite reals, naming the first one.
    """
    named = _named_params(network)
    given = {k: v for k, v in arrays.items() if ".state." not in k}
    missing, unexpected = sorted(set(named) - set(given)), sorted(set(given) - set(named))
    if missing or unexpected:
        raise ValueError(f"{source}: parameters do not match the network: missing {missing}, "
                         f"unexpected {unexpected} (saved architecture: {saved})")
    # Validate and convert everything before assigning anything: a load that
    # fails half-way would leave a network with parameters from two files.
    converted = {k: _checked_param(source, k, given[k], p, saved) for k, p in named.items()}
    states = _states_by_layer(source, network, arrays) if with_state else None
    backup = [layer.state_arrays() for layer in network.layers]
    try:
        for i, layer in enumerate(network.layers):
            if states is not None:
                layer.load_state_arrays(states.get(i, {}))
    except ValueError as e:
        for layer, old in zip(network.layers, backup):
            layer.load_state_arrays(old)
        raise ValueError(f"{source}: state does not fit the network: {e}") from None
    for k, p in named.items():
        p.view()[...] = converted[k]


def _states_by_layer(source: Any, network: Network,
                     arrays: dict[str, np.ndarray]) -> dict[int, dict[str, np.ndarray]]:
    """``{layer index: {name: array}}`` from ``layer{i}.state.{name}`` entries."""
    states: dict[int, dict[str, np.ndarray]] = {}
    for key, a in arrays.items():
        head, sep, name = key.partition(".state.")
        if not sep:
            continue
        index = head[len("layer"):]
        if not head.startswith("layer") or not index.isdigit() or int(index) >= len(network.layers):
            raise ValueError(f"{source}: state array {key} belongs to no layer of the network "
                             f"({len(network.layers)} layers)")
        states.setdefault(int(index), {})[name] = a
    return states


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
    arrays = network_state(network)
    meta = {"format": "framework-network-v2", "architecture": repr(network),
            "shapes": {k: list(a.shape) for k, a in arrays.items()}, "extra": extra or {}}
    save_arrays(path, arrays, meta)


def load_network(path: str | os.PathLike, network: Network, strict: bool = True) -> dict[str, Any]:
    """Load parameters (and layer state) saved by :func:`save_network` into ``network``.

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
    if meta.get("format") not in ("framework-network-v1", "framework-network-v2"):
        raise ValueError(f"{path}: not a network file written by save_network")
    saved = meta.get("architecture")
    if strict and saved != repr(network):
        raise ValueError(f"{path}: saved for another architecture:\n  saved: {saved}\n  "
                         f"this:  {network!r}\n(pass strict=False to load parameters of matching "
                         f"shapes anyway)")
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError(f"{path}: expected the metadata 'extra' to be a JSON object, "
                         f"got {type(extra).__name__}")
    load_network_state(path, network, arrays, saved,
                       with_state=meta["format"] != "framework-network-v1")
    return extra


def _checked_param(path: Any, key: str, array: np.ndarray, param: Tensor,
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
