"""What the recurrent layers share (layers/_recurrent.py): shapes, gradient checks, the protocol,
PyTorch, save/load; for RNN and GRU, and for the LSTM where its interface is the same (ALL_KINDS).

The hand-derived values of each layer are in test_rnn.py, test_gru.py and test_lstm.py.
Runs on both backends (conftest.py): float32 work goes through the selected
backend, the float64 gradient checks through NumPy.
"""
import numpy as np
import pytest

from framework import (GRU, LSTM, RNN, FullyConnected, InputLayer, Network, SGDTrainer,
                       SoftmaxCrossEntropy, Tensor, check_layer, evaluate, load_network,
                       save_network)
from framework.compare import assert_close

from helpers import run

MAKERS = {
    "RNN": lambda f, h, **kw: RNN(f, h, **kw),
    "RNN-relu": lambda f, h, **kw: RNN(f, h, activation="relu", **kw),
    "GRU": lambda f, h, **kw: GRU(f, h, **kw),
    "LSTM": lambda f, h, **kw: LSTM(f, h, **kw),
}
KINDS = ["GRU", "RNN", "RNN-relu"]        # h0 only, zero biases, a PyTorch twin with the same names
ALL_KINDS = KINDS + ["LSTM"]


def _randomize_biases(layer, seed):
    """Nonzero biases (they start at zero), so that their gradients and place in the formulas are checked."""
    rng = np.random.default_rng(seed)
    for p in layer.params[2:]:
        p.view()[...] = 0.5 * rng.standard_normal(p.size)
    return layer


# ---------------------------------------------------------------- shapes, arguments

@pytest.mark.parametrize("kind", ALL_KINDS)
def test_output_shapes_and_errors(kind):
    make = MAKERS[kind]
    assert make(4, 6).output_shape((2, 5, 4)).dims == (2, 5, 6)
    assert make(4, 6, return_sequences=False).output_shape((2, 5, 4)).dims == (2, 6)
    with pytest.raises(ValueError, match="3 features, expected 4"):
        make(4, 6).output_shape((2, 5, 3))
    with pytest.raises(ValueError, match="sequence"):
        make(4, 6).output_shape((2, 4))
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        make(4, 0)
    with pytest.raises(ValueError, match="weights must be"):
        make(2, 3, weights=(np.zeros((2, 3)),))
    with pytest.raises(ValueError, match="weights dict lacks"):
        make(2, 3, weights={"U": np.zeros((2, 3))})
    given = [p.to_numpy() for p in make(2, 3).params]
    given[1] = np.zeros((3, 1))
    with pytest.raises(ValueError, match="W given with shape"):
        make(2, 3, weights=given)
    with pytest.raises(ValueError, match="h0 must be"):
        make(2, 3).set_initial_state(np.zeros((2, 4)))


@pytest.mark.parametrize("kind", KINDS)
def test_init_xavier_orthogonal_zero_biases_and_seeded(kind):
    f, h = 7, 5
    layer = MAKERS[kind](f, h, seed=0, dtype=np.float64)
    g = len(layer.GATES)
    u, w = layer.U.to_numpy(), layer.W.to_numpy()
    assert u.shape == (f, g * h) and w.shape == (h, g * h)
    limit = np.sqrt(6 / (f + g * h))                            # Xavier uniform bound
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.5 * limit
    for q in range(g):                                          # each gate's W block is orthogonal
        block = w[:, q * h:(q + 1) * h]
        assert_close(np.eye(h), block @ block.T, f"W block {q}", atol=1e-12)
    for p in layer.params[2:]:
        assert np.all(p.to_numpy() == 0)
    assert np.array_equal(MAKERS[kind](f, h, seed=0, dtype=np.float64).U.elements, layer.U.elements)
    assert MAKERS[kind](f, h, init="zeros").U.to_numpy().max() == 0


# ---------------------------------------------------------------- gradient checks

@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("n,t,f,h,seq", [(2, 3, 2, 1, True), (2, 4, 3, 3, False), (3, 3, 2, 4, True),
                                         (3, 4, 3, 2, False), (2, 1, 2, 3, True)])
def test_gradient_check(kind, n, t, f, h, seq):
    layer = _randomize_biases(MAKERS[kind](f, h, return_sequences=seq, seed=n + t + h), seed=t)
    report = check_layer(layer, (n, t, f), seed=t)
    names = [q.name for q in report.quantities]
    assert names == ["input deltas", "U", "W", "bias"] + (["recurrent_bias"] if kind == "GRU" else [])
    assert report.ok
    assert all(q.checked > 0 for q in report.quantities)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seq", [True, False])
def test_initial_state_deltas_against_finite_differences(kind, seq):
    rng = np.random.default_rng(5)
    n, t, f, h = 2, 3, 2, 3
    h0 = rng.standard_normal((n, h))
    layer = _randomize_biases(MAKERS[kind](f, h, return_sequences=seq, seed=1, dtype=np.float64), 2)
    layer.set_initial_state(h0)
    check_layer(layer, (n, t, f))                               # also U, W, biases with h0 ≠ 0
    x = rng.standard_normal((n, t, f))
    r = rng.standard_normal(layer.output_shape((n, t, f)).dims)

    def loss(h0_):
        layer.set_initial_state(h0_)
        return float(np.sum(run(layer, x, dtype=np.float64)[0] * r))

    layer.set_initial_state(h0)
    run(layer, x, dy=r, dtype=np.float64)
    analytic = layer.initial_state_deltas
    eps, numeric = 1e-6, np.zeros_like(h0)
    for idx in np.ndindex(h0.shape):
        plus, minus = h0.copy(), h0.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (loss(plus) - loss(minus)) / (2 * eps)
    assert_close(numeric, analytic, "∂L/∂h0", atol=1e-8)
    assert np.abs(analytic).max() > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_changes_the_output_and_batch_must_match(kind):
    layer = MAKERS[kind](2, 3, seed=0, dtype=np.float64)
    x = np.ones((2, 3, 2))
    y0, _ = run(layer, x, dtype=np.float64)
    layer.set_initial_state(np.full((2, 3), 0.5))
    assert np.abs(run(layer, x, dtype=np.float64)[0] - y0).max() > 1e-3
    layer.set_initial_state(None)
    assert_close(y0, run(layer, x, dtype=np.float64)[0], "back to the zero state", atol=0)
    assert_close(y0, layer.states(), "states() is every h_t", atol=0)
    layer.set_initial_state(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="batch size 4"):
        run(layer, x, dtype=np.float64)


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
@pytest.mark.parametrize("seq", [True, False])
def test_network_gradient_check_with_fc_and_softmax_cross_entropy(kind, seq):
    n, t, f, h, classes = 3, 4, 2, 3, 4
    net = Network(InputLayer((t, f), num_classes=classes, dtype=np.float64),
                  [MAKERS[kind](f, h, return_sequences=seq, seed=3, dtype=np.float64),
                   FullyConnected(h, classes, seed=4, dtype=np.float64)], SoftmaxCrossEntropy())
    check_layer(net, (n, t, f), seed=1)    # the first layer's backward is skipped in a network


# ---------------------------------------------------------------- float32 on the backend

@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("n,t,f,h,seq", [(1, 1, 1, 1, True), (1, 3, 2, 1, False), (3, 5, 7, 9, True),
                                         (5, 4, 3, 17, False), (32, 6, 16, 33, True)])
def test_float32_backend_matches_float64_reference(kind, n, t, f, h, seq):
    rng = np.random.default_rng(n * t + 4)   # a 1-unit ReLU is not dead on these
    x = rng.standard_normal((n, t, f))
    l32 = _randomize_biases(MAKERS[kind](f, h, return_sequences=seq, seed=3), 1)
    l64 = _randomize_biases(MAKERS[kind](f, h, return_sequences=seq, seed=3, dtype=np.float64), 1)
    dy = rng.standard_normal(l32.output_shape((n, t, f)).dims)
    for layer in (l32, l64):
        layer.zero_deltas()
    y32, dx32 = run(l32, x, dy)
    y64, dx64 = run(l64, x, dy, dtype=np.float64)
    assert_close(y64, y32, "Y", atol=2e-5)
    assert_close(dx64, dx32, "δX", atol=2e-5)
    for p32, p64, name in zip(l32.params, l64.params, l32.param_names()):
        assert_close(p64.delta_view(), p32.delta_view(), f"∂{name}", atol=1e-4, rtol=1e-4)
    assert np.abs(dx64).max() > 1e-3


# ---------------------------------------------------------------- the protocol

@pytest.mark.parametrize("kind", ALL_KINDS)
def test_forward_and_backward_overwrite_delta_weights_accumulate(kind):
    rng = np.random.default_rng(4)
    layer = MAKERS[kind](3, 4, seed=0)
    x = Tensor.from_numpy(rng.standard_normal((2, 5, 3)), dtype=np.float32)
    y = Tensor(layer.output_shape(x.shape))
    y.elements[...] = 123.0
    layer.forward([x], [y])
    first = y.elements.copy()
    y.elements[...] = -7.0
    layer.forward([x], [y])
    assert np.array_equal(first, y.elements)
    y.deltas[...] = rng.standard_normal(y.size)
    x.deltas[...] = 55.0
    layer.backward([y], [x])
    assert 1e-3 < np.abs(x.deltas).max() < 10
    layer.zero_deltas()
    layer.calculate_delta_weights([y], [x])
    once = [p.deltas.copy() for p in layer.params]
    layer.calculate_delta_weights([y], [x])
    for p, g in zip(layer.params, once):
        np.testing.assert_allclose(p.deltas, 2 * g, rtol=1e-6)
        assert np.abs(g).max() > 1e-4


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_delta_weights_without_backward_run_the_bptt(kind):
    rng = np.random.default_rng(6)
    x, dy = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 5))
    with_bw, without = MAKERS[kind](2, 5, seed=1), MAKERS[kind](2, 5, seed=1)
    for layer in (with_bw, without):
        _randomize_biases(layer, 3).zero_deltas()
    run(with_bw, x, dy)                        # forward, backward, delta weights
    xt = Tensor.from_numpy(x, dtype=np.float32)
    yt = Tensor(without.output_shape(xt.shape))
    without.forward([xt], [yt])
    yt.delta_view()[...] = dy
    without.calculate_delta_weights([yt], [xt])
    for a, b in zip(with_bw.params, without.params):
        assert_close(a.delta_view(), b.delta_view(), "delta weights", atol=1e-6)
        assert np.abs(b.deltas).max() > 1e-3
    assert_close(np.asarray(with_bw.initial_state_deltas), np.asarray(without.initial_state_deltas),
                 "initial state deltas", atol=1e-6)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_backward_without_matching_forward_raises(kind):
    rng = np.random.default_rng(7)
    layer = MAKERS[kind](2, 3, seed=0)
    x = Tensor.from_numpy(rng.standard_normal((2, 4, 2)), dtype=np.float32)
    y = Tensor(layer.output_shape(x.shape))
    with pytest.raises(RuntimeError, match="no forward"):
        layer.backward([y], [x])
    with pytest.raises(RuntimeError, match="no forward"):
        layer.calculate_delta_weights([y], [x])
    with pytest.raises(RuntimeError, match="no forward"):
        layer.states()
    assert layer.initial_state_deltas is None
    layer.forward([x], [y])
    other_x = Tensor.from_numpy(rng.standard_normal((2, 4, 2)), dtype=np.float32)
    with pytest.raises(RuntimeError, match="not the ones of the last forward"):
        layer.backward([y], [other_x])
    with pytest.raises(RuntimeError, match="not the ones of the last forward"):
        layer.calculate_delta_weights([Tensor(layer.output_shape(x.shape))], [x])
    layer.backward([y], [x])                   # the matching one works
    x2 = Tensor.from_numpy(rng.standard_normal((3, 4, 2)), dtype=np.float32)
    layer.forward([x2], [Tensor(layer.output_shape(x2.shape))])   # a new batch replaces the cached one
    with pytest.raises(RuntimeError, match="not the ones of the last forward"):
        layer.backward([y], [x])


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_return_sequences_false_is_the_last_step(kind):
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    seq, _ = run(MAKERS[kind](2, 5, seed=1), x)
    last, _ = run(MAKERS[kind](2, 5, return_sequences=False, seed=1), x)
    assert_close(seq[:, -1, :], last, "last step", atol=0)


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seq", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_outputs_and_gradients(kind, seq, dtype):
    """Weights copied as torch stores them: weight_ih = Uᵀ, weight_hh = Wᵀ, gate order (r, z, n)."""
    torch = pytest.importorskip("torch")
    n, t, f, h = 4, 6, 3, 5
    rng = np.random.default_rng(9)
    layer = _randomize_biases(MAKERS[kind](f, h, return_sequences=seq, seed=2, dtype=dtype), 4)
    if kind == "GRU":
        module = torch.nn.GRU(f, h, batch_first=True)
    else:
        module = torch.nn.RNN(f, h, batch_first=True, nonlinearity=layer.activation)
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    module = module.to(tdt)
    second = layer.recurrent_bias.view() if kind == "GRU" else np.zeros(h)   # torch's bias_hh
    with torch.no_grad():
        for name, value in (("weight_ih_l0", layer.U.view().T), ("weight_hh_l0", layer.W.view().T),
                            ("bias_ih_l0", layer.bias.view()), ("bias_hh_l0", second)):
            getattr(module, name).copy_(torch.tensor(np.array(value, np.float64)))
    x, h0 = rng.standard_normal((n, t, f)), rng.standard_normal((n, h))
    dy = rng.standard_normal(layer.output_shape((n, t, f)).dims)
    layer.set_initial_state(h0)
    layer.zero_deltas()
    y, dx = run(layer, x, dy, dtype=dtype)
    xt = torch.tensor(x, dtype=tdt, requires_grad=True)
    h0t = torch.tensor(h0[None], dtype=tdt, requires_grad=True)
    out, _ = module(xt, h0t)
    out = out if seq else out[:, -1]
    (out * torch.tensor(dy, dtype=tdt)).sum().backward()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_close(out.detach().numpy(), y, "output", atol=tol, rtol=tol)
    assert_close(xt.grad.numpy(), dx, "δX", atol=tol, rtol=tol)
    assert_close(h0t.grad.numpy()[0], layer.initial_state_deltas, "∂L/∂h0", atol=tol, rtol=tol)
    assert_close(module.weight_ih_l0.grad.numpy().T, layer.U.delta_view(), "∂U", atol=tol, rtol=tol)
    assert_close(module.weight_hh_l0.grad.numpy().T, layer.W.delta_view(), "∂W", atol=tol, rtol=tol)
    assert_close(module.bias_ih_l0.grad.numpy(), layer.bias.delta_view(), "∂b", atol=tol, rtol=tol)
    if kind == "GRU":
        assert_close(module.bias_hh_l0.grad.numpy(), layer.recurrent_bias.delta_view(), "∂c",
                     atol=tol, rtol=tol)


# ---------------------------------------------------------------- in a network

def test_save_and_load_round_trip(tmp_path):
    def build(seed):
        return Network(InputLayer((5, 3), num_classes=2),
                       [RNN(3, 4, activation="relu", seed=seed), GRU(4, 6, return_sequences=False,
                                                                       seed=seed + 1),
                        FullyConnected(6, 2, seed=seed + 2)], SoftmaxCrossEntropy())
    a, b = build(0), build(10)
    for layer in a.layers[:2]:
        _randomize_biases(layer, 5)
    x = np.random.default_rng(1).standard_normal((4, 5, 3))
    a.layers[1].set_initial_state(np.full((4, 6), 0.5))        # saved as the GRU's state array h0
    save_network(tmp_path / "net.npz", a)
    assert np.abs(a.forward(x) - b.forward(x)).max() > 1e-3
    load_network(tmp_path / "net.npz", b)
    assert_close(a.forward(x), b.forward(x), "outputs after load", atol=0)
    assert_close(a.layers[1].recurrent_bias.view(), b.layers[1].recurrent_bias.view(), "c", atol=0)
    assert sorted(b.layers[1].state_arrays()) == ["h0"] and b.layers[0].state_arrays() == {}
    with pytest.raises(ValueError, match="the state array is h0"):
        b.layers[1].load_state_arrays({"c0": np.zeros((4, 6))})
    b.layers[1].load_state_arrays({})
    assert b.layers[1].state_arrays() == {}


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_learns_to_remember_the_first_step(kind, backend_name):
    """Label = x[step 0, feature 0] > 0, among 12 steps of ±1 and noise: only a state carried through time can tell."""
    if backend_name == "c":
        pytest.skip("one backend is enough for a training run")
    rng = np.random.default_rng(0)
    t = 12
    x = np.stack([rng.choice([-1.0, 1.0], (512, t)), 0.5 * rng.standard_normal((512, t))], axis=2)
    labels = (x[:, 0, 0] > 0).astype(int)
    net = Network(InputLayer((t, 2), num_classes=2),
                  [MAKERS[kind](2, 16, return_sequences=False, seed=0), FullyConnected(16, 2, seed=1)],
                  SoftmaxCrossEntropy())
    before, _ = evaluate(net, x, labels)
    history = SGDTrainer(learning_rate=0.02, batch_size=32, epochs=4, flavor="adam",
                         seed=0).optimize(net, x, labels)
    after, accuracy = evaluate(net, x, labels)
    assert after < 0.25 * before and accuracy > 0.95, (before, after, accuracy, history.train_loss)
