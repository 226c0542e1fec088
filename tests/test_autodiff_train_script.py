"""examples/train_autodiff_mlp.py reaches 97 % on the digits; the model API's pieces work."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from framework.autodiff import Value
from framework.autodiff.model import Model, Optimizer
from framework.autodiff.nn import Linear, Sequential, Tanh, parameter
from framework.optim import Adam

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("train_autodiff_mlp",
                                                  ROOT / "examples" / "train_autodiff_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_run_reaches_97_percent(capsys):
    result = load_script().run([])
    assert result["test_accuracy"] >= 0.97
    h = result["history"]
    assert len(h["train_loss"]) == 20 and h["train_loss"][-1] < h["train_loss"][0] / 10
    assert all(p.dtype == np.float32 for p in result["model"].network.parameters())
    out = capsys.readouterr().out
    assert "epoch 20/20" in out and "test accuracy" in out


def test_same_seed_gives_the_layers_initial_weights():
    from framework import FullyConnected
    fc = FullyConnected(5, 3, init="he", seed=7)
    lin = Linear(5, 3, init="he", seed=7)
    np.testing.assert_array_equal(lin.weights.data, fc.weights.view())


def test_optimizer_applies_the_frameworks_flavor_rule():
    p = parameter((3,), "ones", dtype=np.float64)
    opt = Optimizer([p], Adam(), learning_rate=0.1)
    theta, g = np.ones(3), np.array([0.5, -1.0, 2.0])
    reference, state = theta.copy(), {"t": 1}
    Adam().update(reference, g, 0.1, state)
    p.grad = g.copy()
    opt.step()
    np.testing.assert_array_equal(p.data, reference)
    opt.zero_grad()
    assert p.grad is None
    opt.step()                                   # no gradient: nothing moves
    np.testing.assert_array_equal(p.data, reference)


def test_model_fits_a_regression_with_mse():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (200, 2))
    y = np.sin(2 * x[:, :1]) * x[:, 1:]
    model = Model(Sequential(Linear(2, 16, seed=0, dtype=np.float64), Tanh(),
                             Linear(16, 1, seed=1, dtype=np.float64)), "mse", "adam", 0.01)
    before, _ = model.evaluate(x, y)
    model.fit(x, y, epochs=30, batch_size=20, verbose=False)
    after, acc = model.evaluate(x, y)
    assert after < before / 5 and np.isnan(acc)
    assert model.predict(x).shape == (200, 1)


def test_linear_names_the_wrong_feature_count():
    with pytest.raises(ValueError, match=r"Linear\(4->2\): input has 3 features, expected 4"):
        Linear(4, 2)(Value(np.ones((1, 3), np.float32)))
