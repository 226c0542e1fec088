"""Audit the bad-input cases of issue 10 on both backends: what message does a user get?

For every case of the issue's lists "Bad input that gets garbage or an
unclear message" and "garbage accepted" (plus the boolean-labels item) this
script makes the bad call on each available backend and prints the message,
then grades it on three questions:

* given:    does the message name what was given (the value, its type or shape)?
* expected: does it say what was expected?
* todo:     does it say what to do (or is the fix the expected value itself)?

A case is CLEAR when the call was refused with TypeError/ValueError (or, for
boolean labels, computed the right thing) and all three hold; else UNCLEAR.
Garbage accepted silently is UNCLEAR. The last line is the count of unclear
messages; the exit status is 1 when there is any.

Usage::

    python scripts/audit_bad_input.py            # summary table
    python scripts/audit_bad_input.py --verbose  # with the full messages
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from framework import (CrossEntropy, FullyConnected, InputLayer, Network,  # noqa: E402
                       SGDTrainer, Shape, Sigmoid, Softmax, Tensor, backend, check_layer,
                       evaluate, load_network, save_network)
from framework.io import load_arrays, save_arrays  # noqa: E402


class Case(NamedTuple):
    """One bad call of the issue's list.

    Attributes:
        name: the issue's wording, short.
        call: makes the call; returns a value when it is accepted.
        given: words of which one must appear in the message (what was given).
        expected: words of which one must appear (what was expected).
        todo: words of which one must appear (what to do); empty when the
            expected value itself is the fix (e.g. "batch_size must be a positive int").
        accepted_ok: for a call that may be accepted: a check of its result
            (boolean labels encoded as 0/1).
    """

    name: str
    call: Callable[[], Any]
    given: tuple[str, ...]
    expected: tuple[str, ...]
    todo: tuple[str, ...] = ()
    accepted_ok: Callable[[Any], bool] | None = None


def _net() -> Network:
    """The lecture's running example: 2 -> FC 3 -> sigmoid -> FC 2 -> softmax -> cross-entropy."""
    return Network(InputLayer(2, num_classes=2),
                   [FullyConnected(2, 3, seed=0), Sigmoid(), FullyConnected(3, 2, seed=1), Softmax()],
                   CrossEntropy())


X = np.random.default_rng(0).uniform(-1, 1, size=(8, 2)).astype(np.float32)
Y = np.array([0, 1] * 4)


def _train(labels: Any = Y, data: Any = X, network: Any = "net", **trainer: Any) -> Any:
    kwargs = {"learning_rate": 0.1, "batch_size": 4, "epochs": 1}
    kwargs.update(trainer)
    net = _net() if network == "net" else network
    return SGDTrainer(**kwargs).optimize(net, data, labels)


def _saved_file(change: Callable[[dict[str, np.ndarray]], None]) -> tuple[str, Network]:
    """A network file whose arrays ``change`` spoiled, and a fresh network to load it into."""
    path = os.path.join(tempfile.mkdtemp(prefix="audit_"), "net.npz")
    save_network(path, _net())
    arrays, meta = load_arrays(path)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    change(arrays)
    save_arrays(path, arrays, meta)
    return path, _net()


def _load_spoiled(value: Any, key: str = "layer2.bias") -> Any:
    def change(arrays: dict[str, np.ndarray]) -> None:
        a = arrays[key]
        arrays[key] = np.full(a.shape, value, dtype=np.result_type(a.dtype, np.asarray(value).dtype))
    path, net = _saved_file(change)
    return load_network(path, net)


def _load_keeps_earlier_params() -> Any:
    """A file whose *last* parameter is NaN: the earlier ones must not have been loaded."""
    def change(arrays: dict[str, np.ndarray]) -> None:
        for k in arrays:
            arrays[k] = arrays[k] + 1.0          # every parameter differs from the network's
        arrays["layer2.bias"][...] = np.nan
    path, net = _saved_file(change)
    before = [p.to_numpy().copy() for p in net.params]
    try:
        load_network(path, net)
    except ValueError as exc:
        changed = [not np.array_equal(b, p.to_numpy()) for b, p in zip(before, net.params)]
        if any(changed):
            raise AssertionError(f"partially loaded before failing: {exc}") from None
        raise
    return "loaded"


def _check_layer_nan() -> Any:
    inputs = np.full((3, 2), np.nan)
    return check_layer(FullyConnected(2, 3, seed=0), (3, 2), inputs=inputs)


def _forward(x: Any, y: Any) -> Any:
    return FullyConnected(2, 3, seed=0).forward(x, y)


def _bool_labels_batch_equals_classes() -> Any:
    net = _net()
    result = net.backprop(X[:2], np.array([True, False]))
    return result


def _bool_labels_match_ints(result: Any) -> bool:
    expected = _net().backprop(X[:2], np.array([1, 0]))
    return bool(np.isclose(result.loss, expected.loss))


def _bool_labels_other_batch() -> Any:
    return _net().backprop(X[:3], np.array([True, False, True]))


def _bool_labels_match_ints_3(result: Any) -> bool:
    expected = _net().backprop(X[:3], np.array([1, 0, 1]))
    return bool(np.isclose(result.loss, expected.loss))


def _deltas_other_shape() -> Any:
    t = Tensor([2, 3])
    t.deltas = np.arange(6.0).reshape(3, 2)
    return t.delta_view()


def _complex_weights() -> Any:
    return FullyConnected(1, 1, weights=np.array([[1 + 2j]]))


def _complex_weight_item() -> Any:
    fc = FullyConnected(1, 1, seed=0)
    fc.params[0][0, 0] = 1 + 2j
    return fc


GIVEN_NONE = ("None",)
EXPECT = ("expected", "must", "needs", "only")
LABELS = ("one label per sample",)

CASES: list[Case] = [
    # -- unclear messages
    Case("labels None (optimize)", lambda: _train(labels=None), GIVEN_NONE, LABELS, ("pass",)),
    Case("labels None (evaluate)", lambda: evaluate(_net(), X, None), GIVEN_NONE, LABELS, ("pass",)),
    Case("string labels", lambda: _train(labels=np.array(["a", "b"] * 4)),
         ("str", "'a'", "<U", "string"), EXPECT, ("map them", "convert")),
    Case("scalar labels", lambda: _train(labels=1), ("single value 1", "shape ()"), LABELS,
         ("pass", "e.g.")),
    Case("evaluate on 0 samples", lambda: evaluate(_net(), np.zeros((0, 2)), np.zeros(0, int)),
         ("0 samples", "empty", "(0,", "no samples"), EXPECT + ("at least",), ("pass at least",)),
    Case("validation_split leaves no training data",
         lambda: _train(labels=Y[:2], data=X[:2], validation_split=0.9),
         ("0.9",), EXPECT + ("leaves no training data",), ("smaller validation_split",)),
    Case("batch_size 0", lambda: _train(batch_size=0), ("0",), EXPECT),
    Case("batch_size -1", lambda: _train(batch_size=-1), ("-1",), EXPECT),
    Case("batch_size 2.5", lambda: _train(batch_size=2.5), ("2.5",), EXPECT),
    Case("learning_rate string", lambda: _train(learning_rate="0.1"), ("'0.1'", "str"), EXPECT),
    Case("learning_rate None", lambda: _train(learning_rate=None), GIVEN_NONE, EXPECT),
    Case("epochs nan", lambda: _train(epochs=float("nan")), ("nan",), EXPECT),
    Case("None for a shape (Shape)", lambda: Shape(None), GIVEN_NONE, EXPECT + ("positive",)),
    Case("None for a shape (Tensor)", lambda: Tensor(None), GIVEN_NONE, EXPECT + ("positive",)),
    Case("None for a shape (check_layer)", lambda: check_layer(FullyConnected(2, 3), None),
         GIVEN_NONE, EXPECT + ("positive",)),
    Case("None for a network (optimize)", lambda: _train(network=None), GIVEN_NONE + ("NoneType",),
         EXPECT, ("Network(",)),
    Case("None for a network (evaluate)", lambda: evaluate(None, X, Y), GIVEN_NONE + ("NoneType",),
         EXPECT, ("Network(",)),
    Case("None for a network (save_network)",
         lambda: save_network(os.path.join(tempfile.mkdtemp(), "n.npz"), None),
         GIVEN_NONE + ("NoneType",), EXPECT, ("build", "Network(")),
    Case("None for a layer (Network)",
         lambda: Network(InputLayer(2, num_classes=2), [None], CrossEntropy()), GIVEN_NONE, EXPECT,
         ("remove", "put a layer")),
    Case("None for a layer (check_layer)", lambda: check_layer(None, (3, 2)), GIVEN_NONE + ("NoneType",),
         EXPECT, ("check_loss", "Network")),
    Case("check_layer on NaN input", _check_layer_nan, ("nan", "NaN"), EXPECT + ("finite",),
         ("pass a finite",)),
    Case("NumPy arrays to layer.forward",
         lambda: _forward([X[:4]], [np.zeros((4, 3), np.float32)]), ("NumPy array",), EXPECT,
         ("Tensor.from_numpy",)),
    Case("bare Tensor to layer.forward", lambda: _forward(Tensor([4, 2]), Tensor([4, 3])),
         ("bare Tensor",), EXPECT, ("wrap it in a list",)),
    Case("t.deltas of another logical shape", _deltas_other_shape, ("(3, 2)",), EXPECT,
         ("reshape",)),
    # -- garbage accepted
    Case("complex data (optimize)", lambda: _train(data=X + 1j), ("complex",), EXPECT,
         ("pass z.real",)),
    Case("complex data (forward)", lambda: _net().forward(X + 1j), ("complex",), EXPECT,
         ("pass z.real",)),
    Case("complex weights (constructor)", _complex_weights, ("complex",), EXPECT, ("pass z.real",)),
    Case("complex weight (element)", _complex_weight_item, ("complex",), EXPECT, ("pass z.real",)),
    Case("Tensor.from_numpy(None)", lambda: Tensor.from_numpy(None), GIVEN_NONE, EXPECT,
         ("pass an array",)),
    Case("weights [[None]]", lambda: FullyConnected(1, 1, weights=[[None]]), ("None", "object"), EXPECT,
         ("pass an array of numbers",)),
    Case("datetime64 data", lambda: _net().forward(np.array([["2020-01-01", "2020-01-02"]],
                                                            dtype="datetime64[D]")),
         ("datetime", "dates"), EXPECT, ("convert them first",)),
    Case("load_network with NaN", lambda: _load_spoiled(np.nan), ("nan",), EXPECT + ("finite",),
         ("saved before the divergence",)),
    Case("load_network with inf", lambda: _load_spoiled(np.inf), ("inf",), EXPECT + ("finite",),
         ("saved before the divergence",)),
    Case("load_network with complex", lambda: _load_spoiled(1 + 1j), ("complex",), EXPECT,
         ("save it again",)),
    Case("load_network partial overwrite", _load_keeps_earlier_params, ("nan",), EXPECT,
         ("saved before the divergence",)),
    # -- boolean labels: encode as 0/1 (same loss as int labels) or refuse clearly
    Case("bool labels, batch == classes", _bool_labels_batch_equals_classes, ("bool",), EXPECT,
         ("int",), accepted_ok=_bool_labels_match_ints),
    Case("bool labels, other batch", _bool_labels_other_batch, ("bool",), EXPECT, ("int",),
         accepted_ok=_bool_labels_match_ints_3),
]


def _has(message: str, words: tuple[str, ...]) -> bool:
    low = message.lower()
    return not words or any(w.lower() in low for w in words)


def run_case(case: Case) -> tuple[str, str, str]:
    """Run one case; returns (verdict, grade marks, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = case.call()
        except (TypeError, ValueError) as exc:
            msg = f"{type(exc).__name__}: {exc}"
            marks = [_has(msg, case.given), _has(msg, case.expected), _has(msg, case.todo)]
            grade = "".join("GET"[i] if ok else "-" for i, ok in enumerate(marks))
            return ("CLEAR" if all(marks) else "UNCLEAR"), grade, msg
        except Exception as exc:  # noqa: BLE001 - any other exception is the finding
            return "UNCLEAR", "---", f"{type(exc).__name__}: {exc}"
    if case.accepted_ok is not None and case.accepted_ok(result):
        return "CLEAR", "ok", "accepted and computed as its 0/1 meaning"
    return "UNCLEAR", "---", f"accepted: {str(result)[:80]!r}"


def main(argv: list[str] | None = None) -> int:
    """Run every case on every available backend and print the table; 1 if any is unclear."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print the full messages")
    args = parser.parse_args(argv)
    unclear = {}
    for name in backend.available():
        print(f"== backend {name}  (marks: G names what was given, E what was expected, T what to do)")
        unclear[name] = 0
        with backend.use(name):
            for case in CASES:
                verdict, grade, msg = run_case(case)
                unclear[name] += verdict == "UNCLEAR"
                short = msg if args.verbose else (msg[:110] + "…" if len(msg) > 110 else msg)
                print(f"{verdict:8} {grade:4} {case.name:42} {short}")
    for name, n in unclear.items():
        print(f"backend {name}: {n} unclear of {len(CASES)} cases")
    return 1 if any(unclear.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
