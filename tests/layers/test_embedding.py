"""Embedding: the gather, the scatter-add of repeated ids, the id checks, and a network with it."""
import numpy as np
import pytest

from framework import (LSTM, Embedding, Flatten, FullyConnected, InputLayer, Network,
                       SoftmaxCrossEntropy, Tensor, load_network, save_network)
from tests.layers.helpers import run

TABLE = [[0.0, 1.0], [10.0, 11.0], [20.0, 21.0], [30.0, 31.0]]   # W[k] = [10k, 10k + 1]


def test_forward_gathers_rows_for_ids_n():
    layer = Embedding(4, 2, weights=TABLE)
    y, _ = run(layer, [3, 0, 3])
    assert np.array_equal(y, [[30, 31], [0, 1], [30, 31]])


def test_forward_gathers_rows_for_sequences_n_t():
    layer = Embedding(4, 2, weights=TABLE)
    ids = np.array([[1, 2, 3], [0, 0, 2]])                     # [N=2, T=3]
    y, _ = run(layer, ids)
    assert y.shape == (2, 3, 2)
    assert np.array_equal(y[1, 2], [20, 21]) and np.array_equal(y[0, 0], [10, 11])
    assert np.array_equal(y, np.asarray(TABLE)[ids])


def test_delta_weights_scatter_add_repeated_ids_by_hand():
    layer = Embedding(4, 2, weights=TABLE)
    dy = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    _, dx = run(layer, [3, 0, 3], dy)
    # row 3 is used twice: [1, 2] + [5, 6]; row 0 once; rows 1, 2 never
    assert np.array_equal(layer.weights.delta_view(), [[3, 4], [0, 0], [0, 0], [6, 8]])
    assert np.array_equal(dx, [0, 0, 0])


def test_delta_weights_accumulate_and_backward_overwrites():
    layer = Embedding(4, 2, weights=TABLE)
    x = Tensor.from_numpy(np.array([[1.0, 1.0], [2.0, 1.0]]))
    y = Tensor(layer.output_shape(x.shape))
    layer.forward([x], [y])
    y.deltas[...] = np.arange(y.size, dtype=np.float32)
    layer.calculate_delta_weights([y], [x])
    once = layer.weights.deltas.copy()
    layer.calculate_delta_weights([y], [x])
    assert np.any(once != 0)
    np.testing.assert_array_equal(layer.weights.deltas, 2 * once)
    x.deltas[...] = 123.0
    layer.backward([y], [x])
    assert np.array_equal(x.deltas, np.zeros(x.size))


def test_delta_weights_match_finite_differences_in_float64():
    rng = np.random.default_rng(0)
    v, d = 5, 3
    layer = Embedding(v, d, seed=1, dtype=np.float64)
    ids = np.array([[0, 4, 4, 2], [2, 2, 1, 4]], dtype=np.float64)   # 3 unused, repeats
    x = Tensor.from_numpy(ids, np.float64)
    y = Tensor(layer.output_shape(x.shape), dtype=np.float64)
    r = rng.standard_normal(y.size)

    def loss():
        layer.forward([x], [y])
        return float(y.elements @ r)                    # L = Σ y·r, so δY = r

    loss()
    y.deltas[...] = r
    layer.zero_deltas()
    layer.calculate_delta_weights([y], [x])
    w = layer.weights.elements
    numeric = np.empty_like(w)
    for k in range(w.size):
        old = w[k]
        w[k] = old + 1e-6
        plus = loss()
        w[k] = old - 1e-6
        minus = loss()
        w[k] = old
        numeric[k] = (plus - minus) / 2e-6
    np.testing.assert_allclose(layer.weights.deltas, numeric, atol=1e-8)
    assert np.all(layer.weights.delta_view()[3] == 0)


def test_out_of_range_id_is_named_with_its_sample():
    layer = Embedding(1000, 16)
    with pytest.raises(ValueError) as e:
        run(layer, [1, 2, 999, 1000, 5])
    assert str(e.value) == "Embedding(1000->16): id 1000 at sample 3 is out of range [0, 1000)"
    with pytest.raises(ValueError, match=r"id -1 at sample 0, step 1 is out of range"):
        run(layer, [[0, -1], [2, 3]])


def test_non_integer_id_is_refused():
    with pytest.raises(ValueError, match=r"Embedding\(4->2\): id 2.5 at sample 1 is not a whole number"):
        run(Embedding(4, 2), [1, 2.5])


def test_bad_sizes_and_shapes():
    with pytest.raises(ValueError, match="num_embeddings must be a positive integer"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="2\\*\\*24"):
        Embedding(2 ** 24 + 1, 1)
    with pytest.raises(ValueError, match=r"ids \[N\] or \[N, T\]"):
        Embedding(4, 2).output_shape((2, 3, 4))


def test_default_init_is_standard_normal_like_torch():
    w = Embedding(400, 50, seed=0).weights.view()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02


def test_save_load_round_trip(tmp_path):
    make = lambda seed: Network(InputLayer(3, num_classes=2),
                                [Embedding(6, 4, seed=seed), Flatten(), FullyConnected(12, 2, seed=seed)],
                                SoftmaxCrossEntropy())
    a, b = make(0), make(1)
    ids = [[0, 5, 5], [1, 2, 3]]
    assert not np.allclose(a.forward(ids), b.forward(ids))
    save_network(tmp_path / "emb.npz", a)
    load_network(tmp_path / "emb.npz", b)
    np.testing.assert_array_equal(a.layers[0].weights.view(), b.layers[0].weights.view())
    np.testing.assert_array_equal(a.forward(ids), b.forward(ids))


def test_input_layer_passes_integer_ids_n_to_an_embedding_network():
    net = Network(InputLayer((), num_classes=3),
                  [Embedding(5, 4, seed=0), FullyConnected(4, 3, seed=0)], SoftmaxCrossEntropy())
    assert net.shapes(7)[0].dims == (7,)
    assert InputLayer([]).as_array(4).shape == (1,)          # one id is a batch of one
    with pytest.raises(ValueError, match=r"data has shape \(2, 1\), expected \(N, \)"):
        InputLayer(()).as_array([[1], [2]])
    ids = np.array([0, 4, 4, 1], dtype=np.int64)
    out = net.forward(ids)
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out[1], out[2])              # same id, same prediction


def test_a_training_step_through_embedding_and_lstm_lowers_the_loss():
    rng = np.random.default_rng(3)
    net = Network(InputLayer(6, num_classes=2),
                  [Embedding(8, 4, seed=0), LSTM(4, 5, return_sequences=False, seed=0),
                   FullyConnected(5, 2, seed=0)], SoftmaxCrossEntropy())
    ids = rng.integers(0, 6, (10, 6))                      # rows 6 and 7 never used
    labels = (ids[:, 0] < 3).astype(int)
    before = net.forward_loss(ids, labels).loss
    table = net.layers[0].weights.view().copy()
    for _ in range(3):
        net.zero_deltas()
        net.backprop(ids, labels, input_deltas=False)
        for p in net.params:
            p.elements[...] -= 0.5 * p.deltas
    after = net.forward_loss(ids, labels).loss
    assert after < before
    moved = np.any(net.layers[0].weights.view() != table, axis=1)
    used = np.isin(np.arange(8), ids)
    assert np.array_equal(moved, used)                     # only the rows used were trained
