"""The second oracle: every layer and loss of the framework against the same computation built from engine operations.

For each layer, on several shapes, in float64: the output, the input deltas
(``backward``) and every parameter delta (``calculate_delta_weights``) must
agree with the engine's reverse mode to 1e-10 relative (``max|a − b| /
max|b|`` per quantity). Where an engine primitive shares code with the
layer (conv2d and pooling use the framework's im2col), a second engine
construction from elementary operations only (padding, strided slices,
matrix products, max) is compared as well.

``python tests/test_autodiff_oracle.py`` prints the table: layer |
quantities compared | max relative difference.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

if __name__ == "__main__":  # run as a script from anywhere: this worktree's framework
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framework import (ELU, LSTM, MSE, AvgPool2D, Conv2D, CrossEntropy, Elliot, Flatten,
                       FullyConnected, LeakyReLU, Linear, Maxout, MaxPool2D, ReLU, Sigmoid, Softmax,
                       SoftmaxCrossEntropy, Softplus, Softsign, SymmetricElliot, Tanh, Tensor)
from framework import (BatchNorm, BinaryCrossEntropy, Dropout, HellingerDistance,
                       MaskedSequenceCrossEntropy, SigmoidBinaryCrossEntropy)
from framework import GRU, RNN
from framework import Embedding
from framework.autodiff import Value, ops

TOL = 1e-10
RESULTS: dict[str, dict] = {}   # layer -> {"quantities": [...], "max": float, "cases": int}


def rel(a, b):
    """Normwise relative difference ``max|a − b| / max|b|`` (0 when both are 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.max(np.abs(b)) if b.size else 0.0
    diff = np.max(np.abs(a - b)) if a.size else 0.0
    return 0.0 if diff == 0 else diff / max(scale, 1e-300)


def record(name, diffs):
    entry = RESULTS.setdefault(name, {"quantities": [], "max": 0.0, "cases": 0})
    for q in diffs:
        if q not in entry["quantities"]:
            entry["quantities"].append(q)
    entry["max"] = max(entry["max"], *diffs.values())
    entry["cases"] += 1
    bad = {q: d for q, d in diffs.items() if not d <= TOL}
    assert not bad, f"{name}: engine and layer disagree: {bad}"


def run_layer(layer, x, dy):
    """forward, backward, calculate_delta_weights (on zeroed deltas) of a float64 layer."""
    xt = Tensor.from_numpy(x, np.float64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=np.float64)
    layer.forward([xt], [yt])
    yt.delta_view()[...] = dy
    layer.backward([yt], [xt])
    for p in layer.params:
        p.zero_deltas()
    layer.calculate_delta_weights([yt], [xt])
    out = {"output": yt.view().copy(), "input deltas": xt.delta_view().copy()}
    out.update({f"δ{n}": p.delta_view().copy() for n, p in zip(layer.param_names(), layer.params)})
    return out


def run_engine(fn, x, params, dy):
    """The same from engine operations: ``fn(x, **params)``, reverse mode seeded with ``dy``."""
    xv = Value(x.copy(), requires_grad=True)
    pv = {n: Value(np.array(a, np.float64), requires_grad=True) for n, a in params.items()}
    out = fn(xv, **pv)
    out.backward(dy)
    res = {"output": out.data, "input deltas": xv.grad}
    res.update({f"δ{n}": v.grad for n, v in pv.items()})
    return res


def compare(name, layer, x, *engine_fns, seed=0):
    """Run ``layer`` and every engine construction on ``x`` with one random δY; record the differences."""
    rng = np.random.default_rng(seed)
    params = {n: p.view().copy() for n, p in zip(layer.param_names(), layer.params)}
    dy = rng.standard_normal(layer.output_shape(x.shape).dims)
    ref = run_layer(layer, x, dy)
    diffs = {}
    for fn in engine_fns:
        got = run_engine(fn, x, params, dy)
        assert set(got) == set(ref)
        for q in ref:
            diffs[q] = max(diffs.get(q, 0.0), rel(got[q], ref[q]))
    record(name, diffs)


RNG = np.random.default_rng(2024)


def normal(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------- fully connected, activations
@pytest.mark.parametrize("shape,out", [((1, 2), 3), ((5, 7), 4), ((3, 4, 6), 5)])
def test_fully_connected(shape, out):
    layer = FullyConnected(shape[-1], out, weights=normal(shape[-1], out), bias=normal(out),
                           dtype=np.float64)
    compare("FullyConnected", layer, normal(*shape), lambda x, weights, bias: x @ weights + bias)


def test_fully_connected_on_the_lecture_running_example():
    layer = FullyConnected(2, 3, weights=[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], bias=[0.0, 0.1, -0.1],
                           dtype=np.float64)
    compare("FullyConnected", layer, np.array([[0.5, -1.0]]),
            lambda x, weights, bias: x @ weights + bias)


ACTIVATIONS = {
    "Sigmoid": (Sigmoid, [ops.sigmoid, lambda x: 1 / (1 + ops.exp(-x))]),
    "ReLU": (ReLU, [ops.relu, lambda x: ops.maximum(x, 0.0)]),
    "Tanh": (Tanh, [ops.tanh, lambda x: (ops.exp(x) - ops.exp(-x)) / (ops.exp(x) + ops.exp(-x))]),
    "Softmax": (Softmax, [ops.softmax, lambda x: (lambda e: e / e.sum(-1, keepdims=True))(
        ops.exp(x - x.max(-1, keepdims=True)))]),
}


def _abs(x):
    return ops.where(x.data > 0, x, -x)


# issue 12's activations, NumPy inside the layer, against their formulas in engine operations
ACTIVATIONS.update({
    "Linear": (Linear, [lambda x: x * 1.0]),
    "LeakyReLU": (lambda: LeakyReLU(0.1), [lambda x: ops.where(x.data > 0, x, 0.1 * x)]),
    "ELU": (lambda: ELU(0.5), [lambda x: ops.where(x.data > 0, x, 0.5 * (ops.exp(x) - 1))]),
    "Softplus": (Softplus, [lambda x: ops.log(1 + ops.exp(x))]),
    "Softsign": (Softsign, [lambda x: x / (1 + _abs(x))]),
    "Elliot": (lambda: Elliot(2.0), [lambda x: 0.5 * 2.0 * x / (1 + _abs(2.0 * x)) + 0.5]),
    "SymmetricElliot": (lambda: SymmetricElliot(0.5), [lambda x: 0.5 * x / (1 + _abs(0.5 * x))]),
})


@pytest.mark.parametrize("shape,pieces", [((4, 6), 2), ((2, 3, 6), 3), ((3, 1), 1)])
def test_maxout(shape, pieces):
    compare("Maxout", Maxout(pieces), normal(*shape),
            lambda x: x.reshape(x.shape[:-1] + (x.shape[-1] // pieces, pieces)).max(-1))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 6), (1, 1)])
def test_activations(name, shape):
    cls, fns = ACTIVATIONS[name]
    # |x| up to ~6: deeper in saturation the layers' derivative from the output, 1 − y², loses
    # digits to cancellation (y rounds towards ±1), which an exact composite does not
    x = np.clip(normal(*shape) * 2, -6, 6)
    compare(name, cls(), x, *fns)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 2, 1), (4, 6)])
def test_flatten(shape):
    compare("Flatten", Flatten(), normal(*shape), lambda x: x.reshape((x.shape[0], -1), order="F"))


# ---------------------------------------------------------------- convolution and pooling
def conv_from_slices(stride, padding, dilation):
    """Conv2D from elementary operations only: zero padding, one strided slice and product per tap."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation

    def fn(x, weights, bias):
        n, h, w, c = x.shape
        kh, kw, _, c_out = weights.shape
        ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        xp = ops.pad(x, [(0, 0), (ph, ph), (pw, pw), (0, 0)])
        y = bias
        for i in range(kh):
            for j in range(kw):
                window = xp[:, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw, :]
                y = y + window @ weights[i, j]
        return y
    return fn


CONVS = [  # N, H, W, C_in, C_out, kernel, stride, padding, dilation
    (2, 5, 6, 3, 4, (3, 3), (1, 1), (0, 0), (1, 1)),
    (2, 7, 6, 2, 3, (3, 2), (2, 1), (1, 2), (1, 2)),
    (1, 8, 8, 1, 2, (2, 2), (2, 2), (1, 1), (2, 1)),
    (3, 5, 5, 2, 2, (1, 1), (1, 1), (0, 0), (1, 1)),
    (2, 6, 7, 3, 2, (3, 3), (3, 2), (2, 0), (2, 2)),
]


@pytest.mark.parametrize("n,h,w,c,co,k,s,p,d", CONVS)
def test_conv2d(n, h, w, c, co, k, s, p, d):
    layer = Conv2D(c, co, k, stride=s, padding=p, dilation=d, weights=normal(*k, c, co),
                   bias=normal(co), dtype=np.float64)
    compare("Conv2D", layer, normal(n, h, w, c),
            lambda x, weights, bias: ops.conv2d(x, weights, bias, s, p, d),
            conv_from_slices(s, p, d))


def windows(x, pool, stride):
    """Every window tap as a strided slice, stacked on a new last axis: ``[N, Ho, Wo, C, taps]``."""
    (ph, pw), (sh, sw) = pool, stride
    ho, wo = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    return ops.stack([x[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :]
                      for i in range(ph) for j in range(pw)], axis=-1)


POOLS = [((2, 4, 6, 3), (2, 2), (2, 2)), ((1, 5, 5, 2), (2, 3), (1, 1)),
         ((2, 7, 5, 1), (3, 3), (2, 2)), ((1, 3, 4, 2), (3, 1), (1, 3))]


@pytest.mark.parametrize("shape,pool,stride", POOLS)
def test_max_pool2d(shape, pool, stride):
    compare("MaxPool2D", MaxPool2D(pool, stride), normal(*shape),
            lambda x: ops.max_pool2d(x, pool, stride),
            lambda x: windows(x, pool, stride).max(axis=-1))


@pytest.mark.parametrize("shape,pool,stride", POOLS)
def test_avg_pool2d(shape, pool, stride):
    compare("AvgPool2D", AvgPool2D(pool, stride), normal(*shape),
            lambda x: ops.avg_pool2d(x, pool, stride),
            lambda x: windows(x, pool, stride).mean(axis=-1))


# ---------------------------------------------------------------- LSTM
def lstm_from_ops(return_sequences, h0=None, c0=None):
    def fn(x, U, W, bias):
        n, t, _ = x.shape
        hidden = W.shape[0]
        h = Value(np.zeros((n, hidden))) if h0 is None else h0
        c = Value(np.zeros((n, hidden))) if c0 is None else c0
        outputs = []
        for step in range(t):
            h, c = ops.lstm_step(x[:, step, :], h, c, U, W, bias)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if return_sequences else h
    return fn


@pytest.mark.parametrize("n,t,f,h,seq", [(2, 3, 4, 5, True), (3, 4, 2, 3, False), (1, 1, 3, 2, True),
                                         (2, 5, 3, 4, False), (4, 6, 2, 2, True)])
def test_lstm(n, t, f, h, seq):
    layer = LSTM(f, h, return_sequences=seq, dtype=np.float64,
                 weights=(normal(f, 4 * h), normal(h, 4 * h) * 0.5, normal(4 * h)))
    name = "LSTM (return_sequences)" if seq else "LSTM (last step)"
    compare(name, layer, normal(n, t, f), lstm_from_ops(seq))


def test_lstm_initial_state_deltas():
    n, t, f, h = 2, 3, 3, 4
    layer = LSTM(f, h, dtype=np.float64,
                 weights=(normal(f, 4 * h), normal(h, 4 * h) * 0.5, normal(4 * h)))
    h0, c0 = normal(n, h), normal(n, h)
    layer.set_initial_state(h0, c0)
    x, dy = normal(n, t, f), normal(n, t, h)
    run_layer(layer, x, dy)
    dh0, dc0 = layer.initial_state_deltas
    hv, cv = Value(h0, requires_grad=True), Value(c0, requires_grad=True)
    params = {k: Value(p.view().copy()) for k, p in zip(layer.param_names(), layer.params)}
    lstm_from_ops(True, hv, cv)(Value(x), **params).backward(dy)
    record("LSTM (return_sequences)", {"δh0": rel(hv.grad, dh0), "δc0": rel(cv.grad, dc0)})


# ---------------------------------------------------------------- RNN, GRU
def rnn_from_ops(return_sequences, activation="tanh", h0=None):
    act = ops.tanh if activation == "tanh" else ops.relu

    def fn(x, U, W, bias):
        n, t, _ = x.shape
        h = Value(np.zeros((n, W.shape[0]))) if h0 is None else h0
        outputs = []
        for step in range(t):
            h = act(x[:, step, :] @ U + h @ W + bias)
            outputs.append(h)
        return ops.stack(outputs, axis=1) if return_sequences else h
    return fn


def gru_from_ops(return_sequences, h0=None):
    """PyTorch's GRU, gate blocks r, z, n; c_n inside r ⊙ (…)."""
    def fn(x, U, W, bias, recurrent_bias):
        n, t, _ = x.shape
        k = W.shape[0]
        h = Value(np.zeros((n, k))) if h0 is None else h0
        outputs = []
        for step in range(t):
            a = x[:, step, :] @ U + bias
            rec = h @ W + recurrent_bias
            r = ops.sigmoid(a[:, :k] + rec[:, :k])
            z = ops.sigmoid(a[:, k:2 * k] + rec[:, k:2 * k])
            cand = ops.tanh(a[:, 2 * k:] + r * rec[:, 2 * k:])
            h = (1 - z) * cand + z * h
            outputs.append(h)
        return ops.stack(outputs, axis=1) if return_sequences else h
    return fn


RECURRENT_SHAPES = [(2, 3, 4, 5, True), (3, 4, 2, 3, False), (1, 1, 3, 2, True), (4, 6, 2, 2, False)]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n,t,f,h,seq", RECURRENT_SHAPES)
def test_rnn(n, t, f, h, seq, activation):
    layer = RNN(f, h, return_sequences=seq, activation=activation, dtype=np.float64,
                weights=(normal(f, h), normal(h, h) * 0.5, normal(h)))
    compare("RNN (return_sequences)" if seq else "RNN (last step)", layer, normal(n, t, f),
            rnn_from_ops(seq, activation))


@pytest.mark.parametrize("n,t,f,h,seq", RECURRENT_SHAPES)
def test_gru(n, t, f, h, seq):
    layer = GRU(f, h, return_sequences=seq, dtype=np.float64,
                weights=(normal(f, 3 * h), normal(h, 3 * h) * 0.5, normal(3 * h), normal(3 * h)))
    compare("GRU (return_sequences)" if seq else "GRU (last step)", layer, normal(n, t, f),
            gru_from_ops(seq))


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_rnn_and_gru_initial_state_deltas(kind):
    n, t, f, h = 2, 3, 3, 4
    g = 1 if kind == "RNN" else 3
    weights = (normal(f, g * h), normal(h, g * h) * 0.5, normal(g * h)) + \
        ((normal(g * h),) if kind == "GRU" else ())
    layer = (RNN if kind == "RNN" else GRU)(f, h, weights=weights, dtype=np.float64)
    h0 = normal(n, h)
    layer.set_initial_state(h0)
    x, dy = normal(n, t, f), normal(n, t, h)
    run_layer(layer, x, dy)
    hv = Value(h0, requires_grad=True)
    params = {k: Value(p.view().copy()) for k, p in zip(layer.param_names(), layer.params)}
    build = rnn_from_ops(True, h0=hv) if kind == "RNN" else gru_from_ops(True, h0=hv)
    build(Value(x), **params).backward(dy)
    record(f"{kind} (return_sequences)", {"δh0": rel(hv.grad, layer.initial_state_deltas)})


# ---------------------------------------------------------------- losses
def run_loss(loss, x, t):
    xt, tt = Tensor.from_numpy(x, np.float64), Tensor.from_numpy(t, np.float64)
    value = loss.forward([xt], tt)
    loss.backward([xt], tt)
    return {"loss": np.array(value), "input deltas": xt.delta_view().copy()}


def compare_loss(name, loss, x, t, *engine_fns):
    ref = run_loss(loss, x, t)
    diffs = {}
    for fn in engine_fns:
        xv = Value(x.copy(), requires_grad=True)
        out = fn(xv, Value(t))
        out.backward()
        got = {"loss": out.data, "input deltas": xv.grad}
        for q in ref:
            diffs[q] = max(diffs.get(q, 0.0), rel(got[q], ref[q]))
    record(name, diffs)


def rows(x):
    return x.data.size // x.shape[-1]


def targets(shape, kind):
    labels = RNG.integers(0, shape[-1], shape[:-1])
    t = np.eye(shape[-1])[labels]
    if kind == "soft":
        t = RNG.dirichlet(np.ones(shape[-1]), shape[:-1]) * 0.9      # rows sum to 0.9
    if kind == "masked":
        t.reshape(-1, shape[-1])[0] = 0                               # an all-zero row
    return t


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 2)])
@pytest.mark.parametrize("kind", ["one-hot", "soft", "masked"])
def test_softmax_cross_entropy(shape, kind):
    compare_loss("SoftmaxCrossEntropy", SoftmaxCrossEntropy(), normal(*shape) * 3,
                 targets(shape, kind), ops.softmax_cross_entropy,
                 lambda z, t: -(t * ops.log_softmax(z)).sum() / rows(z))


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 2)])
def test_cross_entropy(shape):
    p = RNG.dirichlet(np.ones(shape[-1]), shape[:-1])
    compare_loss("CrossEntropy", CrossEntropy(), p, targets(shape, "one-hot"), ops.cross_entropy,
                 lambda p, t: -(t * ops.log(p)).sum() / rows(p))


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 1)])
def test_mse(shape):
    compare_loss("MSE", MSE(), normal(*shape), normal(*shape), ops.mse,
                 lambda x, t: ((x - t) ** 2).sum() * 0.5 / rows(x))


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_dropout_with_a_fixed_mask(shape):
    keep = RNG.random(shape) >= 0.25
    layer = Dropout(0.25)
    layer.fix_mask(keep)
    compare("Dropout", layer, normal(*shape), lambda x: x * (keep / 0.75))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3, 2)])
def test_batch_norm_in_training_mode(shape):
    layer = BatchNorm(shape[-1], dtype=np.float64)
    layer.scale.elements[:] = RNG.uniform(0.5, 2.0, shape[-1])
    layer.shift.elements[:] = normal(shape[-1])
    axes = tuple(range(len(shape) - 1))
    def batch_norm(x, scale, shift):
        xc = x - x.mean(axis=axes, keepdims=True)
        return xc / ops.sqrt((xc * xc).mean(axis=axes, keepdims=True) + layer.eps) * scale + shift
    compare("BatchNorm", layer, normal(*shape) * 2 + 1, batch_norm)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 1)])
def test_binary_cross_entropy(shape):
    p, t = RNG.uniform(0.05, 0.95, shape), RNG.uniform(0, 1, shape)
    compare_loss("BinaryCrossEntropy", BinaryCrossEntropy(), p, t,
                 lambda p, t: -(t * ops.log(p) + (1 - t) * ops.log(1 - p)).sum() / rows(p))


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 1)])
def test_sigmoid_binary_cross_entropy(shape):
    def unfused(z, t):
        s = ops.sigmoid(z)
        return -(t * ops.log(s) + (1 - t) * ops.log(1 - s)).sum() / rows(z)
    compare_loss("SigmoidBinaryCrossEntropy", SigmoidBinaryCrossEntropy(), normal(*shape) * 3,
                 RNG.uniform(0, 1, shape), unfused)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_hellinger_distance(shape):
    p = RNG.dirichlet(np.ones(shape[-1]), shape[:-1])
    t = RNG.dirichlet(np.ones(shape[-1]), shape[:-1])
    def hellinger(p, t):
        d = ops.sqrt(p) - ops.sqrt(t)
        return ops.sqrt((d * d).sum(axis=-1) * 0.5).sum() / rows(p)
    compare_loss("HellingerDistance", HellingerDistance(), p, t, hellinger)


def test_masked_sequence_cross_entropy():
    mask = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    compare_loss("MaskedSequenceCrossEntropy", MaskedSequenceCrossEntropy(mask=mask),
                 normal(2, 3, 4) * 3, targets((2, 3, 4), "one-hot"),
                 lambda z, t: -(t * ops.log_softmax(z) * mask[..., None]).sum() / mask.sum())


@pytest.mark.parametrize("shape", [(5,), (3, 4), (1, 1)])
def test_embedding(shape):
    ids = RNG.integers(0, 4, shape).astype(np.float64)
    ids.flat[0] = ids.flat[-1]                     # at least one repeated id (when there are 2)
    layer = Embedding(6, 3, weights=normal(6, 3), dtype=np.float64)
    # ids are indices: the engine reads them as constants, so their gradient is 0 (x·0 term)
    compare("Embedding", layer, ids,
            lambda x, weights: weights[x.data.astype(int)] + x.reshape(x.shape + (1,)) * 0.0)


def test_every_layer_and_loss_is_covered():
    import framework.layers as layers
    import framework.losses as losses
    covered = {"FullyConnected", "Sigmoid", "ReLU", "Tanh", "Softmax", "Flatten", "Conv2D",
               "MaxPool2D", "AvgPool2D", "LSTM", "CrossEntropy", "MSE", "SoftmaxCrossEntropy",
               "Maxout", *ACTIVATIONS}
    covered |= {"BinaryCrossEntropy", "SigmoidBinaryCrossEntropy", "HellingerDistance",
                "MaskedSequenceCrossEntropy", "Dropout", "BatchNorm"}
    covered |= {"RNN", "GRU"}
    covered |= {"Embedding"}
    public = {n for n in layers.__all__ + losses.__all__
              if n not in ("Layer", "ElementwiseLayer", "InputLayer", "Loss")}
    assert public <= covered, f"layers without an engine oracle: {sorted(public - covered)}"


def test_the_oracle_catches_a_wrong_backward_rule(monkeypatch):
    from framework.autodiff.rules import RULES
    forward, _ = RULES["sigmoid"]
    monkeypatch.setitem(RULES, "sigmoid", (forward, lambda ctx, g: (g * ctx.out,)))  # forgot (1 − σ)
    with pytest.raises(AssertionError, match="input deltas"):
        compare("mutant", Sigmoid(), normal(3, 4), ops.sigmoid)
    RESULTS.pop("mutant")


def table() -> str:
    """The oracle table in Markdown, from the results of this run."""
    lines = ["| layer | quantities compared | shapes | max relative difference |",
             "|---|---|---|---|"]
    for name, e in RESULTS.items():
        lines.append(f"| {name} | {', '.join(e['quantities'])} | {e['cases']} | {e['max']:.1e} |")
    return "\n".join(lines)


class _PrintTable:
    """pytest plugin: after the run, print the table of the module pytest imported (not ``__main__``)."""

    def pytest_sessionfinish(self, session):
        import sys
        module = next(m for n, m in list(sys.modules.items())
                      if n != "__main__" and getattr(m, "__file__", None) == __file__)
        print("\n" + module.table())


if __name__ == "__main__":
    import sys
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"], plugins=[_PrintTable()]))
