"""Week 1 checks: the framework's data structures, FC, the activations, the losses, the running example.

Every check compares the student's code with the framework's own classes
(the reference) and fails at the first wrong quantity with a
:class:`~framework.grading.report.Failure`; see ``exercises/CONTRIBUTING.md``.
"""
from __future__ import annotations

import itertools

import numpy as np

import framework
from framework.data import load_digits, train_test_split
from framework.grading import (Exercise, LayerCase, LossCase, Submission, call,
                               check_layer_against, check_loss_against, compare_values, fail)

F64 = np.float64


# -- 1.1 Shape.offset ---------------------------------------------------------------------------
def _row_major(dims, index):
    flat = 0
    for d, i in zip(dims, index):
        flat = flat * d + i
    return flat


def check_offset(sub: Submission) -> None:
    """Every index of a few shapes maps to the framework's column-major offset."""
    Shape = sub.get("shape", "Shape")
    for dims in [(3, 4), (2, 3, 4), (4, 1, 3), (5,), (2, 3, 2, 2)]:
        shape = call("__init__", f"Shape({list(dims)})", Shape, list(dims))
        ref = framework.Shape(dims)
        indices = list(itertools.product(*(range(d) for d in dims)))
        got = [call("offset", f"offset in Shape({list(dims)})", shape.offset, idx) for idx in indices]
        expected = [ref.offset(idx) for idx in indices]
        for idx, g, e in zip(indices, got, expected):
            if g != e:
                row = _row_major(dims, idx)
                fail("offset", f"offset of index {idx} in Shape({list(dims)})",
                     f"got {g}, expected {e}", case=f"Shape({list(dims)})", index=idx,
                     got=float(g), expected=float(e),
                     alternative="row-major offset (last index fastest)"
                     if all(sub_g == _row_major(dims, i) for sub_g, i in zip(got, indices))
                     and g == row else None)


# -- 1.2 Tensor with lazy deltas -----------------------------------------------------------------
def check_tensor(sub: Submission) -> None:
    """Deltas are allocated on first access only, zeroed, of the elements' size, and kept."""
    Tensor = sub.get("tensor", "Tensor")
    t = call("__init__", "Tensor([2, 3])", Tensor, [2, 3])
    if call("has_deltas", "has_deltas", lambda: t.has_deltas):
        fail("__init__", "deltas", "the deltas are allocated when the tensor is made; the lecture "
             "makes them lazy (allocate on first access), so a tensor without a backward costs "
             "no extra memory", case="Tensor([2, 3])")
    d = call("deltas", "deltas", lambda: t.deltas, case="first access")
    compare_values("deltas", "deltas on first access", np.asarray(d).ravel(), np.zeros(6),
                   case="Tensor([2, 3]), first access")
    if not call("has_deltas", "has_deltas", lambda: t.has_deltas):
        fail("has_deltas", "has_deltas", "is still False after the deltas were accessed")
    d[1] = 5.0
    again = call("deltas", "deltas", lambda: t.deltas, case="second access")
    compare_values("deltas", "deltas after writing deltas[1] = 5", np.asarray(again).ravel(),
                   [0, 5, 0, 0, 0, 0], case="Tensor([2, 3]), second access",
                   message="a value written into the deltas is lost on the next access: "
                           "allocate once and keep the array")
    call("zero_deltas", "deltas", t.zero_deltas)
    compare_values("zero_deltas", "deltas after zero_deltas()", np.asarray(t.deltas).ravel(),
                   np.zeros(6), case="Tensor([2, 3])")
    u = call("__init__", "Tensor([2, 2], [0, 1, 2, 3])", Tensor, [2, 2], [0, 1, 2, 3])
    compare_values("__init__", "elements", np.asarray(u.elements).ravel(), [0, 1, 2, 3],
                   case="Tensor([2, 2], [0, 1, 2, 3])")


# -- 1.3 FullyConnected ------------------------------------------------------------------------
def _fc_case(batch: int, f: int, o: int, seed: int) -> LayerCase:
    rng = np.random.default_rng(seed)
    return LayerCase((batch, f), (f, o), {"weights": rng.standard_normal((f, o)),
                                          "bias": rng.standard_normal(o), "dtype": F64})


FC_ALTERNATIVES = {
    "forward": {"X·W without the bias": lambda x, y, dy, p: x @ p["weights"]},
    "backward": {"δY·W (W instead of Wᵀ)": lambda x, y, dy, p: dy @ p["weights"]},
    "bias": {"mean of δY over the batch (averaged instead of summed)":
             lambda x, y, dy, p: dy.mean(axis=0)},
}


def check_fully_connected(sub: Submission) -> None:
    """FC against framework.FullyConnected: a square case first (so W and Wᵀ both fit), batches 4, 3, 1."""
    cls = sub.get("layers", "FullyConnected")
    cases = [_fc_case(4, 3, 3, 1), _fc_case(3, 4, 2, 2), _fc_case(1, 2, 5, 3)]
    check_layer_against(cls, framework.FullyConnected, cases, alternatives=FC_ALTERNATIVES)


# -- 1.4-1.6 activations -----------------------------------------------------------------------
def _act_cases(shapes) -> list[LayerCase]:
    return [LayerCase(s) for s in shapes]


def check_sigmoid(sub: Submission) -> None:
    """Sigmoid against framework.Sigmoid."""
    alts = {"backward": {"δY·x·(1 − x) (σ′ taken of x instead of σ(x))":
                         lambda x, y, dy, p: dy * x * (1 - x),
                         "δY·σ(y)·(1 − σ(y)) (σ applied twice)":
                         lambda x, y, dy, p: dy * _sig(y) * (1 - _sig(y)),
                         "δY·y (missing the 1 − y)": lambda x, y, dy, p: dy * y}}
    check_layer_against(sub.get("layers", "Sigmoid"), framework.Sigmoid,
                        _act_cases([(4, 3), (3, 5), (2, 2, 3)]), alternatives=alts)


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


class LeakyReLUReference(framework.Layer):
    """The reference of exercise 1.5's LeakyReLU (slope ``a``; ``framework.LeakyReLU`` names it ``alpha``): ``y = x`` or ``a·x``."""

    def __init__(self, a: float = 0.01) -> None:
        self.a = a

    def output_shape(self, input_shape):
        return framework.Shape(input_shape)

    def forward(self, in_tensors, out_tensors):
        x = in_tensors[0].elements
        out_tensors[0].elements[...] = np.where(x > 0, x, self.a * x)

    def backward(self, out_tensors, in_tensors):
        x, dy = in_tensors[0].elements, out_tensors[0].deltas
        in_tensors[0].deltas[...] = np.where(x > 0, dy, self.a * dy)


def check_relu(sub: Submission) -> None:
    """ReLU against framework.ReLU, then LeakyReLU (slope 0.1 and 0.3) against LeakyReLUReference."""
    alts = {"backward": {"δY everywhere (the mask x > 0 is missing)": lambda x, y, dy, p: dy,
                         "the mask x > 0 alone, without δY": lambda x, y, dy, p: (x > 0) * 1.0}}
    check_layer_against(sub.get("layers", "ReLU"), framework.ReLU,
                        _act_cases([(4, 3), (3, 5), (2, 2, 3)]), alternatives=alts)
    leaky = {"backward": {"δY where x > 0, else 0 (the slope a forgotten)":
                          lambda x, y, dy, p: dy * (x > 0),
                          "δY everywhere": lambda x, y, dy, p: dy}}
    cases = [LayerCase((4, 3), kwargs={"a": 0.1}), LayerCase((3, 2, 2), kwargs={"a": 0.3})]
    check_layer_against(sub.get("layers", "LeakyReLU"), LeakyReLUReference, cases,
                        alternatives=leaky)


def _softmax_alts():
    def diag(x, y, dy, p):
        return dy * y * (1 - y)

    def misindexed(x, y, dy, p):
        # J[i, j] = y_i·(δ_ij − y_i): the second factor indexed by the row, not the column
        m = y.reshape(-1, y.shape[-1])
        d = dy.reshape(-1, y.shape[-1])
        out = d * m - (d * m * m).sum(axis=1, keepdims=True)
        return out.reshape(y.shape)

    return {"backward": {"δY ⊙ y(1 − y) (the Jacobian's diagonal only)": diag,
                         "J[i, j] = y_i·(δ_ij − y_i) (Jacobian transposed / mis-indexed)":
                         misindexed}}


def check_softmax(sub: Submission) -> None:
    """Softmax against framework.Softmax (its backward applies the full Jacobian)."""
    check_layer_against(sub.get("layers", "Softmax"), framework.Softmax,
                        _act_cases([(4, 3), (3, 5), (2, 2, 4)]), alternatives=_softmax_alts())


# -- 1.7-1.8 losses --------------------------------------------------------------------------------
def _probabilities(rng, shape):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(axis=-1, keepdims=True)


def _loss_cases(probabilities: bool) -> list[LossCase]:
    rng = np.random.default_rng(7)
    cases = []
    for shape in [(4, 3), (3, 5), (1, 4)]:
        x = _probabilities(rng, shape) if probabilities else rng.standard_normal(shape)
        t = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        if not probabilities:
            t = rng.standard_normal(shape)
        cases.append(LossCase(x, t))
    return cases


def check_cross_entropy(sub: Submission) -> None:
    """CrossEntropy against framework.CrossEntropy on probabilities and one-hot targets."""
    alts = {"backward": {"−t/x without dividing by the rows R": lambda x, t: -t / x,
                         "t/x (the minus is missing)": lambda x, t: t / x / x.shape[0]}}
    check_loss_against(sub.get("losses", "CrossEntropy"), framework.CrossEntropy,
                       _loss_cases(True), alternatives=alts)


def check_mse(sub: Submission) -> None:
    """MSE against framework.MSE (L = (1/R) Σ ½(x − t)²)."""
    alts = {"backward": {"2(x − t)/R (the ½ of L ignored)": lambda x, t: 2 * (x - t) / x.shape[0],
                         "t − x (subtracted the wrong way round)": lambda x, t: (t - x) / x.shape[0]}}
    check_loss_against(sub.get("losses", "MSE"), framework.MSE, _loss_cases(False),
                       alternatives=alts)


# -- 1.9 the running example ------------------------------------------------------------------------
RUNNING_ORDER = ["b", "c", "d", "e", "L", "delta_e", "delta_d", "delta_c", "delta_b", "delta_a",
                 "dW2", "dbias2", "dW1", "dbias1"]


def running_reference(a, W1, bias1, W2, bias2, t) -> dict:
    """The running example computed with the framework's layers (the reference of exercise 1.9)."""
    a = np.asarray(a, dtype=F64)
    n = a.shape[0]
    layers = [framework.FullyConnected(2, 3, weights=W1, bias=bias1, dtype=F64), framework.Sigmoid(),
              framework.FullyConnected(3, 2, weights=W2, bias=bias2, dtype=F64), framework.Softmax()]
    ts = [framework.Tensor.from_numpy(a, dtype=F64)] + [
        framework.Tensor(s, dtype=F64) for s in [(n, 3), (n, 3), (n, 2), (n, 2)]]
    target = framework.Tensor.from_numpy(np.asarray(t, dtype=F64), dtype=F64)
    loss = framework.CrossEntropy()
    for i, layer in enumerate(layers):
        layer.forward([ts[i]], [ts[i + 1]])
    L = loss.forward([ts[-1]], target)
    loss.backward([ts[-1]], target)
    for i in reversed(range(4)):
        layers[i].backward([ts[i + 1]], [ts[i]])
        layers[i].calculate_delta_weights([ts[i + 1]], [ts[i]])
    return {"b": ts[1].to_numpy(), "c": ts[2].to_numpy(), "d": ts[3].to_numpy(),
            "e": ts[4].to_numpy(), "L": L, "delta_e": ts[4].delta_view().copy(),
            "delta_d": ts[3].delta_view().copy(), "delta_c": ts[2].delta_view().copy(),
            "delta_b": ts[1].delta_view().copy(), "delta_a": ts[0].delta_view().copy(),
            "dW1": layers[0].weights.delta_view().copy(), "dbias1": layers[0].bias.deltas.copy(),
            "dW2": layers[2].weights.delta_view().copy(), "dbias2": layers[2].bias.deltas.copy()}


RUNNING_INPUTS = {
    "a": [[1.0, 2.0]],
    "W1": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "bias1": [0.1, 0.1, 0.1],
    "W2": [[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]], "bias2": [0.2, 0.2],
    "t": [[0.0, 1.0]],
}


def check_running_example(sub: Submission) -> None:
    """Every value and delta of the running example, one sample (the lecture's) and a batch of 3."""
    fn = sub.get("running_example", "running_example")
    rng = np.random.default_rng(3)
    batch = dict(RUNNING_INPUTS, a=rng.standard_normal((3, 2)),
                 t=np.eye(2)[[0, 1, 1]])
    for inputs, label in [(RUNNING_INPUTS, "the lecture's single sample"), (batch, "a batch of 3")]:
        got = call("running_example", "the returned dict", fn, **inputs, case=label)
        expected = running_reference(**inputs)
        for key in RUNNING_ORDER:
            if not isinstance(got, dict) or key not in got:
                fail("running_example", key, f"the returned dict has no key {key!r}", case=label)
            compare_values("running_example", key, got[key], expected[key], case=label,
                           batch=np.shape(inputs["a"])[0])


# -- 1.10 training ------------------------------------------------------------------------------------
def _small_network(seed: int) -> framework.Network:
    return framework.Network(
        framework.InputLayer(4, num_classes=2, dtype=F64),
        [framework.FullyConnected(4, 3, seed=seed, dtype=F64), framework.Sigmoid(),
         framework.FullyConnected(3, 2, seed=seed + 1, dtype=F64), framework.Softmax()],
        framework.CrossEntropy())


def _reference_steps(net, batches, lr, zero=True):
    params = []
    for x, y in batches:
        if zero:
            net.zero_deltas()
        net.backprop(x, y)
        for p in net.params:
            p.elements -= lr * p.deltas
        params.append([p.view().copy() for p in net.params])
    return params


def check_training(sub: Submission) -> None:
    """``sgd_step`` against the reference on two consecutive steps, then your network on the digits."""
    step = sub.get("train_digits", "sgd_step")
    rng = np.random.default_rng(5)
    batches = [(rng.standard_normal((6, 4)), rng.integers(0, 2, 6)) for _ in range(3)]
    net, ref = _small_network(0), _small_network(0)
    expected = _reference_steps(ref, batches, 0.1)
    stale = _reference_steps(_small_network(0), batches, 0.1, zero=False)
    names = [f"{n} of layer {i}" for i, layer in enumerate(net.layers) for n in layer.param_names()]
    for k, (x, y) in enumerate(batches):
        call("sgd_step", "one training step", step, net, x, y, 0.1, case=f"step {k + 1}")
        for j, p in enumerate(net.params):
            compare_values("sgd_step", f"{names[j]} after step {k + 1}", p.view(), expected[k][j],
                           case=f"FC 4->3, sigmoid, FC 3->2, softmax, cross-entropy; batch 6, "
                                f"η = 0.1, step {k + 1}",
                           alternatives={"the update with deltas summed over all steps so far "
                                         "(not zeroed)": stale[k][j]})
    build, train = sub.get("train_digits", "build_network"), sub.get("train_digits", "train")
    x, y = load_digits()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    network = call("build_network", "your network", build, case="seed 0")
    call("train", "the trained network", train, network, x_train, y_train, case="digits")
    acc = float(np.mean(network.predict(x_test).argmax(axis=1) == y_test))
    if not acc >= 0.85:
        fail("train", "test accuracy", f"{acc:.3f} on the held-out digits, expected at least 0.85",
             case="train_test_split(test_fraction=0.2, seed=0)", got=acc, expected=0.85)


EXERCISES = [
    Exercise("1.1", "Shape.offset (column-major)", 1, ("shape.py",), check_offset),
    Exercise("1.2", "Tensor with lazy deltas", 1, ("tensor.py",), check_tensor),
    Exercise("1.3", "FullyConnected", 3, ("layers.py",), check_fully_connected),
    Exercise("1.4", "Sigmoid", 1, ("layers.py",), check_sigmoid),
    Exercise("1.5", "ReLU and LeakyReLU", 1, ("layers.py",), check_relu),
    Exercise("1.6", "Softmax (full Jacobian)", 2, ("layers.py",), check_softmax),
    Exercise("1.7", "CrossEntropy", 1, ("losses.py",), check_cross_entropy),
    Exercise("1.8", "MSE", 1, ("losses.py",), check_mse),
    Exercise("1.9", "The running example end to end", 2,
             ("running_example.py", "layers.py", "losses.py"), check_running_example,
             requires=("1.3", "1.4", "1.6", "1.7")),
    Exercise("1.10", "Training your network on the digits", 2,
             ("train_digits.py", "layers.py", "losses.py"), check_training, timeout=120,
             requires=("1.3", "1.4", "1.6", "1.7")),
]
