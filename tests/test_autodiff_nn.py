"""The engine's layers compute what the framework's layers compute, from the same seed."""
import numpy as np
import pytest

from framework import LSTM, AvgPool2D, Conv2D, Flatten, MaxPool2D, Tensor
from framework.autodiff import Value, nn

RNG = np.random.default_rng(5)


def layer_output(layer, x):
    xt = Tensor.from_numpy(x, np.float64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=np.float64)
    layer.forward([xt], [yt])
    return yt.view()


@pytest.mark.parametrize("make_layer,make_module,shape", [
    (lambda: Conv2D(2, 3, (3, 2), stride=2, padding=1, seed=4, dtype=np.float64),
     lambda: nn.Conv2D(2, 3, (3, 2), stride=2, padding=1, seed=4, dtype=np.float64), (2, 6, 5, 2)),
    (lambda: MaxPool2D(2), lambda: nn.MaxPool2D(2), (2, 4, 4, 3)),
    (lambda: AvgPool2D(3, 1), lambda: nn.AvgPool2D(3, 1), (1, 5, 4, 2)),
    (lambda: Flatten(), lambda: nn.Flatten(), (2, 3, 4, 2)),
    (lambda: LSTM(3, 4, seed=9, dtype=np.float64), lambda: nn.LSTM(3, 4, seed=9, dtype=np.float64),
     (2, 5, 3)),
    (lambda: LSTM(3, 4, return_sequences=False, seed=9, dtype=np.float64),
     lambda: nn.LSTM(3, 4, return_sequences=False, seed=9, dtype=np.float64), (2, 5, 3)),
])
def test_engine_module_matches_the_layer(make_layer, make_module, shape):
    x = RNG.standard_normal(shape)
    layer, module = make_layer(), make_module()
    for p, (name, v) in zip(layer.params, module.named_parameters()):
        np.testing.assert_array_equal(v.data, p.view(), err_msg=name)   # same seed, same values
    out = module(Value(x))
    np.testing.assert_allclose(out.data, layer_output(layer, x), rtol=1e-12, atol=1e-14)


def test_a_small_cnn_trains_on_the_engine():
    from framework.autodiff.model import Model
    x = RNG.standard_normal((40, 6, 6, 1))
    y = (x[:, :3].sum(axis=(1, 2, 3)) > x[:, 3:].sum(axis=(1, 2, 3))).astype(int)
    net = nn.Sequential(nn.Conv2D(1, 4, 3, padding=1, seed=0, dtype=np.float64), nn.ReLU(),
                        nn.MaxPool2D(2), nn.Flatten(), nn.Linear(36, 2, seed=1, dtype=np.float64))
    model = Model(net, flavor="adam", learning_rate=0.01)
    before, _ = model.evaluate(x, y)
    model.fit(x, y, epochs=15, batch_size=10, verbose=False)
    after, acc = model.evaluate(x, y)
    assert after < before / 2 and acc > 0.9
