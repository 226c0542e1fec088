"""Worksheets from a JSON file (or a dict): a lecturer enters the numbers of their own slides.

Four kinds, chosen by ``"kind"`` (default ``"network"``); the format is
documented in ``docs/worksheets.md``::

    {"kind": "network", "title": "...",
     "layers": [{"type": "FullyConnected", "weights": [[...]], "bias": [...]},
                {"type": "Sigmoid"}, ...],
     "loss": "CrossEntropy", "inputs": [0.5, -1.0], "targets": [[1, 0]],
     "learning_rate": 0.5}
    {"kind": "conv", "image": [[...]], "kernel": [[...]], "bias": 0.5, "stride": 1,
     "padding": 0, "delta_y": [[...]], "learning_rate": 0.5}
    {"kind": "pool", "image": [[...]], "delta_y": [[...]], "pool_size": 2, "stride": 2}
    {"kind": "lstm", "x": [[1], [2]], "U": [[...]], "W": [[...]], "bias": [...],
     "delta_h": [[...]], "learning_rate": 0.5}

Nothing in the file is executed; unknown keys are errors, so a typo does not
silently fall back to a default.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import layers as L
from .. import losses
from ..layers.base import Layer
from .blocks import conv_worksheet, pool_worksheet
from .chain import network_worksheet
from .lstm import lstm_worksheet
from .model import Worksheet

F64 = np.float64

# type -> (allowed keys, required keys)
LAYER_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "FullyConnected": ({"weights", "bias"}, {"weights"}),
    "Conv2D": ({"weights", "bias", "stride", "padding"}, {"weights"}),
    "MaxPool2D": ({"pool_size", "stride"}, {"pool_size"}),
    "AvgPool2D": ({"pool_size", "stride"}, {"pool_size"}),
    "LSTM": ({"U", "W", "bias", "return_sequences"}, {"U", "W"}),
    "Sigmoid": (set(), set()), "ReLU": (set(), set()), "Tanh": (set(), set()),
    "Softmax": (set(), set()), "Flatten": (set(), set()),
    "Linear": (set(), set()), "Softplus": (set(), set()), "Softsign": (set(), set()),
    "LeakyReLU": ({"alpha"}, set()), "ELU": ({"alpha"}, set()),
    "Elliot": ({"steepness"}, set()), "SymmetricElliot": ({"steepness"}, set()),
}
LOSSES = {"CrossEntropy": losses.CrossEntropy, "MSE": losses.MSE,
          "SoftmaxCrossEntropy": losses.SoftmaxCrossEntropy,
          "BinaryCrossEntropy": losses.BinaryCrossEntropy,
          "SigmoidBinaryCrossEntropy": losses.SigmoidBinaryCrossEntropy,
          "HellingerDistance": losses.HellingerDistance}
KIND_KEYS = {
    "network": ({"layers", "inputs", "targets", "loss", "learning_rate", "input_shape"},
                {"layers", "inputs", "targets"}),
    "conv": ({"image", "kernel", "bias", "stride", "padding", "delta_y", "learning_rate"},
             {"image", "kernel"}),
    "pool": ({"image", "delta_y", "pool_size", "stride"}, {"image"}),
    "lstm": ({"x", "U", "W", "bias", "delta_h", "learning_rate"}, {"x", "U", "W", "bias", "delta_h"}),
}


def _check_keys(where: str, spec: dict, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(required - set(spec))
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}")


def build_layer(spec: dict, index: int = 1) -> Layer:
    """One framework layer, in float64, from its JSON description.

    Args:
        spec: ``{"type": "FullyConnected", "weights": [[...]], "bias": [...]}``;
            sizes are read from the weights. A Conv2D kernel may be
            ``[kh, kw]`` (one channel in and out) or ``[kh, kw, C_in, C_out]``.
        index: the layer's position (from 1), for error messages.

    Returns:
        The layer.

    Raises:
        ValueError: unknown type or key, missing weights, wrong shapes.
    """
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"layer {index}: expected an object with a \"type\", got {spec!r}")
    kind, args = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    if kind not in LAYER_KEYS:
        raise ValueError(f"layer {index}: unknown type {kind!r}; known: {sorted(LAYER_KEYS)}")
    _check_keys(f"layer {index} ({kind})", args, *LAYER_KEYS[kind])
    if kind == "FullyConnected":
        w = np.asarray(args["weights"], dtype=F64)
        if w.ndim != 2:
            raise ValueError(f"layer {index} (FullyConnected): weights must be a matrix [in, out], "
                             f"got shape {list(w.shape)}")
        return L.FullyConnected(w.shape[0], w.shape[1], weights=w, bias=args.get("bias"), dtype=F64)
    if kind == "Conv2D":
        k = np.asarray(args["weights"], dtype=F64)
        if k.ndim == 2:
            k = k[:, :, np.newaxis, np.newaxis]
        if k.ndim != 4:
            raise ValueError(f"layer {index} (Conv2D): weights must be [kh, kw] or "
                             f"[kh, kw, C_in, C_out], got shape {list(k.shape)}")
        bias = args.get("bias")
        bias = None if bias is None else np.atleast_1d(np.asarray(bias, dtype=F64))
        return L.Conv2D(k.shape[2], k.shape[3], k.shape[:2], stride=args.get("stride", 1),
                        padding=args.get("padding", 0), weights=k, bias=bias, dtype=F64)
    if kind in ("MaxPool2D", "AvgPool2D"):
        return getattr(L, kind)(args["pool_size"], args.get("stride"))
    if kind == "LSTM":
        u, w = np.asarray(args["U"], dtype=F64), np.asarray(args["W"], dtype=F64)
        bias = args.get("bias", np.zeros(u.shape[1]))
        return L.LSTM(u.shape[0], w.shape[0], return_sequences=args.get("return_sequences", True),
                      weights=(u, w, bias), dtype=F64)
    return getattr(L, kind)(**args)  # the activations: their keyword arguments, checked above


def worksheet_from_config(config: dict) -> Worksheet:
    """The worksheet a configuration describes (see the module docstring for the format).

    Args:
        config: the parsed JSON object.

    Returns:
        The worksheet, computed by the framework's layers.

    Raises:
        ValueError: for an unknown kind, layer type, loss or key, naming it.
    """
    if not isinstance(config, dict):
        raise ValueError(f"a worksheet configuration is a JSON object, got {type(config).__name__}")
    cfg = dict(config)
    kind = cfg.pop("kind", "network")
    title = cfg.pop("title", None)
    cfg.pop("comment", None)
    if kind not in KIND_KEYS:
        raise ValueError(f"unknown kind {kind!r}; known: {sorted(KIND_KEYS)}")
    _check_keys(f"{kind} configuration", cfg, *KIND_KEYS[kind])
    named = {"title": title} if title else {}
    if kind == "conv":
        return conv_worksheet(**cfg, **named)
    if kind == "pool":
        return pool_worksheet(**cfg, **named)
    if kind == "lstm":
        return lstm_worksheet(**cfg, **named)
    loss_name = cfg.get("loss", "CrossEntropy")
    if loss_name not in LOSSES:
        raise ValueError(f"unknown loss {loss_name!r}; known: {sorted(LOSSES)}")
    if not isinstance(cfg["layers"], list) or not cfg["layers"]:
        raise ValueError("\"layers\" must be a non-empty list of layer objects")
    layers = [build_layer(spec, i) for i, spec in enumerate(cfg["layers"], 1)]
    return network_worksheet(layers, cfg["inputs"], cfg["targets"], LOSSES[loss_name](),
                             learning_rate=cfg.get("learning_rate", 0.5),
                             input_shape=cfg.get("input_shape"), **named)


def load_config(path: str | Path) -> Worksheet:
    """Read a JSON configuration file and compute its worksheet.

    Args:
        path: the ``.json`` file.

    Returns:
        The worksheet.

    Raises:
        ValueError: for invalid JSON (with line and column) or an invalid configuration.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    try:
        return worksheet_from_config(config)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
