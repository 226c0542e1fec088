"""to_torch: exported networks compute what the framework computes (PyTorch optional: skipped without it).

``python -m pytest tests/test_export_torch.py -s`` (or ``python
tests/test_export_torch.py``) prints the max absolute difference per
exported network after the run.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

if __name__ == "__main__":  # run as a script from anywhere: this worktree's framework
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framework import (ELU, GRU, LSTM, MSE, RNN, AvgPool2D, BatchNorm, Conv2D, Dropout, Elliot, Embedding,
                       Flatten, FullyConnected, InputLayer, Layer, LeakyReLU, Linear, Maxout,
                       MaxPool2D, Network, ReLU, Sigmoid, Softmax, SoftmaxCrossEntropy, Softplus,
                       Softsign, SymmetricElliot, Tanh)
from framework.export import to_torch, to_torch_loss

TOL = 1e-5
DIFFS: dict[str, float] = {}   # network -> max |framework − torch| over this run
RNG = np.random.default_rng(12)


def outputs(net, x):
    """The framework's last layer output and the exported module's, on the same input."""
    torch = pytest.importorskip("torch")
    net.forward(x)
    ours = net.tensors()[-1].to_numpy()
    model = to_torch(net)
    with torch.no_grad():
        theirs = model(torch.from_numpy(np.asarray(x, dtype=net.input_layer.dtype))).numpy()
    return ours, theirs, model


def check(name, net, x, tol=TOL):
    ours, theirs, model = outputs(net, x)
    assert theirs.shape == ours.shape
    diff = float(np.max(np.abs(ours - theirs)))
    DIFFS[name] = max(DIFFS.get(name, 0.0), diff)
    assert diff <= tol, f"{name}: max |framework − torch| = {diff:.2e}"
    return model


def mlp():
    return Network(InputLayer(6, num_classes=3),
                   [FullyConnected(6, 16, seed=0), ReLU(), FullyConnected(16, 8, seed=1), Sigmoid(),
                    FullyConnected(8, 3, seed=2), Softmax()], MSE())


def every_activation():
    acts = [LeakyReLU(0.1), ELU(0.5), Softplus(), Softsign(), Tanh(), Elliot(2.0),
            SymmetricElliot(0.5), Linear()]
    layers = []
    for i, act in enumerate(acts):
        layers += [FullyConnected(5, 5, seed=i, init=("normal", 1.0)), act]
    return Network(InputLayer(5, num_classes=3),
                   layers + [FullyConnected(5, 6, seed=9), Maxout(2)], SoftmaxCrossEntropy())


def cnn():
    # 12x10x3 -conv s(2,1) p(1,2)-> 6x12x4 -maxpool 2-> 3x6x4 -conv 2x3 dil(1,2) p1-> 4x4x5
    # -avgpool 2x1 s(1,2)-> 3x2x5 -maxpool 3x1 s(1,1) overlapping-> 1x2x5 = 10 -> FC 4
    return Network(InputLayer((12, 10, 3), num_classes=4),
                   [Conv2D(3, 4, 3, stride=(2, 1), padding=(1, 2), seed=0), ReLU(), MaxPool2D(2),
                    Conv2D(4, 5, (2, 3), padding=1, dilation=(1, 2), seed=1), Tanh(),
                    AvgPool2D((2, 1), stride=(1, 2)), MaxPool2D((3, 1), stride=1), Flatten(),
                    FullyConnected(10, 4, seed=2)], SoftmaxCrossEntropy())


def cnn_flatten_first():
    # Flatten straight after a conv: its column-major feature order meets FC's weights
    return Network(InputLayer((5, 4, 3), num_classes=3),
                   [Conv2D(3, 2, 2, seed=0), Flatten(), FullyConnected(24, 3, seed=1)],
                   SoftmaxCrossEntropy())


def lstm_net(return_sequences):
    last = [LSTM(3, 4, seed=0), LSTM(4, 6, return_sequences=return_sequences, seed=1),
            FullyConnected(6, 2, seed=2)]
    return Network(InputLayer((7, 3), num_classes=2), last, SoftmaxCrossEntropy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp(dtype):
    net = mlp()
    if dtype == np.float64:
        net = Network(InputLayer(6, dtype=dtype),
                      [FullyConnected(6, 16, seed=0, dtype=dtype), ReLU(),
                       FullyConnected(16, 3, seed=1, dtype=dtype)], MSE())
    model = check(f"MLP ({np.dtype(dtype).name})", net, RNG.standard_normal((9, 6)),
                  tol=TOL if dtype == np.float32 else 1e-12)
    torch = pytest.importorskip("torch")
    expected = torch.float32 if dtype == np.float32 else torch.float64
    assert all(p.dtype == expected for p in model.parameters())


def test_every_activation():
    check("MLP, every activation and Maxout", every_activation(), RNG.standard_normal((8, 5)) * 2)


def test_cnn():
    check("CNN (conv stride/padding/dilation, max/avg pool, flatten)", cnn(),
          RNG.standard_normal((4, 12, 10, 3)))


def test_flatten_order_after_a_convolution():
    check("CNN (conv -> flatten -> FC)", cnn_flatten_first(), RNG.standard_normal((3, 5, 4, 3)))


@pytest.mark.parametrize("return_sequences", [True, False])
def test_lstm(return_sequences):
    net = lstm_net(return_sequences)
    model = check(f"LSTM (return_sequences={return_sequences})", net,
                  RNG.standard_normal((5, 7, 3)))
    assert model(pytest.importorskip("torch").zeros(5, 7, 3)).shape == \
        ((5, 7, 2) if return_sequences else (5, 2))


def recurrent_net(return_sequences):
    net = Network(InputLayer((6, 3), num_classes=4),
                  [RNN(3, 5, activation="relu", seed=0), RNN(5, 5, seed=1),
                   GRU(5, 4, return_sequences=return_sequences, seed=2)], SoftmaxCrossEntropy())
    for layer in net.layers:   # nonzero biases, so a bias copied to the wrong place shows
        for name in ("bias", "recurrent_bias"):
            if hasattr(layer, name):
                getattr(layer, name).view()[...] = RNG.uniform(-0.5, 0.5, getattr(layer, name).size)
    return net


@pytest.mark.parametrize("return_sequences", [True, False])
def test_rnn_and_gru(return_sequences):
    check(f"RNN (relu, tanh) + GRU (return_sequences={return_sequences})",
          recurrent_net(return_sequences), RNG.standard_normal((5, 6, 3)))


def test_embedding_nets():
    seq = Network(InputLayer(6, num_classes=2),
                  [Embedding(20, 5, seed=0), LSTM(5, 4, return_sequences=False, seed=1),
                   FullyConnected(4, 2, seed=2)], SoftmaxCrossEntropy())
    check("Embedding -> LSTM -> FC", seq, RNG.integers(0, 20, (4, 6)))
    flat = Network(InputLayer((), num_classes=3),
                   [Embedding(9, 4, seed=0), FullyConnected(4, 3, seed=1)], SoftmaxCrossEntropy())
    check("Embedding [N] -> FC", flat, RNG.integers(0, 9, 7))


def norm_net():
    return Network(InputLayer((6, 5, 3), num_classes=3),
                   [Conv2D(3, 4, 3, padding=1, seed=0), BatchNorm(4, momentum=0.8), ReLU(),
                    Flatten(), FullyConnected(120, 8, seed=1), BatchNorm(8), Dropout(0.3, seed=0),
                    FullyConnected(8, 3, seed=2)], SoftmaxCrossEntropy())


def seq_norm_net():
    return Network(InputLayer((4, 3), num_classes=2),
                   [LSTM(3, 5, seed=0), BatchNorm(5, momentum=0.7), LSTM(5, 2, seed=1)], MSE())


@pytest.mark.parametrize("make,shape", [(norm_net, (6, 6, 5, 3)), (seq_norm_net, (5, 4, 3))])
def test_batch_norm_and_dropout_in_evaluation_mode(make, shape):
    net = make()
    for _ in range(3):  # running averages away from their initial 0 and 1
        net.forward(RNG.standard_normal(shape) * 2 + 1)
    bn = next(layer for layer in net.layers if isinstance(layer, BatchNorm))
    assert not np.allclose(bn.running_mean, 0)
    net.eval()
    model = check(f"{make.__name__} (eval)", net, RNG.standard_normal(shape))
    assert not model.training


def test_batch_norm_in_training_mode_uses_batch_statistics_and_converts_momentum():
    torch = pytest.importorskip("torch")
    net = seq_norm_net()
    net.forward(RNG.standard_normal((5, 4, 3)))
    bn = net.layers[1]
    old_mean, old_var = bn.running_mean.copy(), bn.running_var.copy()
    x = RNG.standard_normal((5, 4, 3))
    ours, theirs, model = outputs(net, x)       # both in training mode: batch statistics
    assert model.training
    diff = float(np.max(np.abs(ours - theirs)))
    DIFFS["seq_norm_net (train)"] = diff
    assert diff <= TOL
    torch_bn = model[1].inner
    m, rows = bn.momentum, 5 * 4
    assert torch_bn.momentum == pytest.approx(1 - m)
    with torch.no_grad():   # the export copied the averages from before this forward: run it again
        model[1].inner.running_mean.copy_(torch.from_numpy(old_mean))
        model[1].inner.running_var.copy_(torch.from_numpy(old_var))
        model(torch.from_numpy(x.astype(np.float32)))
    np.testing.assert_allclose(torch_bn.running_mean.numpy(), bn.running_mean, atol=1e-6)
    # torch adds the unbiased batch variance, the framework the biased one (documented)
    added_torch = torch_bn.running_var.numpy() - m * old_var
    added_ours = bn.running_var - m * old_var
    np.testing.assert_allclose(added_torch, added_ours * rows / (rows - 1), rtol=1e-5)


def test_dropout_in_training_mode_is_torch_dropout_with_the_same_p():
    torch = pytest.importorskip("torch")
    net = norm_net()
    model = to_torch(net)
    dropout = model[6]
    assert isinstance(dropout, torch.nn.Dropout) and dropout.p == 0.3 and model.training
    y = dropout(torch.ones(20000))
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.02
    assert torch.allclose(y[kept], torch.tensor(1 / 0.7))


def test_exported_weights_are_copies():
    torch = pytest.importorskip("torch")
    net = mlp()
    model = to_torch(net)
    with torch.no_grad():
        model[0].weight.zero_()
    assert np.any(net.layers[0].weights.view() != 0)


def test_losses_match():
    torch = pytest.importorskip("torch")
    scores, labels = RNG.standard_normal((6, 2, 4)), RNG.integers(0, 4, (6, 2))
    net = Network(InputLayer((2, 4), num_classes=4), [Linear()], SoftmaxCrossEntropy())
    ours = net.forward_loss(scores, labels).loss
    loss = to_torch_loss(net.loss)
    onehot = torch.from_numpy(np.eye(4)[labels])
    assert loss(torch.from_numpy(scores), onehot).item() == pytest.approx(ours, rel=1e-6)
    assert loss(torch.from_numpy(scores), torch.from_numpy(labels)).item() == pytest.approx(ours, rel=1e-6)
    target = RNG.standard_normal((6, 2, 4))
    ours = Network(InputLayer((2, 4)), [Linear()], MSE()).forward_loss(scores, target).loss
    theirs = to_torch_loss(MSE())(torch.from_numpy(scores), torch.from_numpy(target)).item()
    assert theirs == pytest.approx(ours, rel=1e-6)
    with pytest.raises(ValueError, match="has no PyTorch counterpart here; supported: MSE"):
        from framework import HellingerDistance
        to_torch_loss(HellingerDistance())


class Doubler(Layer):
    """A user's layer: no PyTorch counterpart."""

    def output_shape(self, input_shape):
        return input_shape

    def forward(self, in_tensors, out_tensors):
        x, y = self.check_io(in_tensors, out_tensors)
        y.elements[...] = 2 * x.elements

    def __repr__(self):
        return "Doubler()"


def test_a_layer_without_counterpart_is_named():
    pytest.importorskip("torch")
    net = Network(InputLayer(3), [FullyConnected(3, 3), ReLU(), FullyConnected(3, 3), Doubler()],
                  MSE())
    with pytest.raises(ValueError) as e:
        to_torch(net)
    msg = str(e.value)
    assert msg.startswith("to_torch: layer 3, Doubler(), has no PyTorch counterpart; supported: ")
    assert "Conv2D" in msg and "LSTM" in msg


def test_a_subclass_of_a_framework_layer_is_not_exported_as_its_parent():
    pytest.importorskip("torch")

    class MyReLU(ReLU):
        pass
    with pytest.raises(ValueError, match="layer 0, MyReLU"):
        to_torch(Network(InputLayer(3), [MyReLU()], MSE()))


@pytest.mark.parametrize("make, h0", [
    (lambda: lstm_net(True), (np.ones((2, 4)), None)),
    (lambda: recurrent_net(True), (np.ones((2, 5)),)),
])
def test_a_recurrent_layer_with_an_initial_state_is_refused(make, h0):
    pytest.importorskip("torch")
    net = make()
    net.layers[0].set_initial_state(*h0)
    with pytest.raises(ValueError, match="initial state set"):
        to_torch(net)


def test_without_torch_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)     # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        to_torch(mlp())
    with pytest.raises(ImportError, match=r"to_torch_loss needs PyTorch"):
        to_torch_loss(MSE())


def test_docs_example_runs(capsys):
    pytest.importorskip("torch")
    import re
    text = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text()
    blocks = re.findall(r"```python\n(.+?)```", text, flags=re.S)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/export.md", "exec"), namespace)
    assert "max difference" in capsys.readouterr().out


def test_zz_print_max_differences():
    """Last in the file: the table of this run (shown with ``-s``)."""
    if not DIFFS:
        pytest.skip("no export ran (PyTorch missing?)")
    import torch
    print(f"\nto_torch, torch {torch.__version__}: max |framework − torch| per network")
    for name, diff in DIFFS.items():
        print(f"  {name:60s} {diff:.1e}")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider"]))
