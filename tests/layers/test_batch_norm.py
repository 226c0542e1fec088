"""BatchNorm: batch statistics in training, running averages in evaluation, scale and shift learnt."""
import math

import numpy as np
import pytest

from framework import BatchNorm, Tensor, check_layer
from framework.compare import assert_close


def _forward(layer, x, dtype=np.float64):
    xt = Tensor.from_numpy(np.asarray(x, dtype=dtype), dtype=dtype)
    yt = Tensor(layer.output_shape(xt.shape), dtype=dtype)
    layer.forward([xt], [yt])
    return xt, yt


def _layer(f, dtype=np.float64, **kw):
    layer = BatchNorm(f, dtype=dtype, **kw)
    return layer


def test_hand_computed_training_and_running_averages():
    # x = [1, 3]: μ = 2, σ² = 1, x̂ = [−1, 1]/√(1 + ε); γ = 2, β = 0.5 → y = [−1.5, 2.5]
    layer = _layer(1, eps=1e-8)
    layer.scale.elements[:] = 2.0
    layer.shift.elements[:] = 0.5
    _, y = _forward(layer, [[1.0], [3.0]])
    s = 1 / math.sqrt(1 + 1e-8)
    assert_close([[-2 * s + 0.5], [2 * s + 0.5]], y.view(), "y")
    # running averages, momentum 0.9 from (0, 1): μ_run = 0.1·2 = 0.2, σ²_run = 0.9·1 + 0.1·1 = 1
    assert_close([0.2], layer.running_mean, "μ_run")
    assert_close([1.0], layer.running_var, "σ²_run")


def test_eval_uses_the_running_averages():
    layer = _layer(2, eps=1e-8, momentum=0.5)
    _forward(layer, [[1.0, 10.0], [3.0, 30.0]])   # μ = [2, 20], σ² = [1, 100]
    _forward(layer, [[0.0, 0.0], [2.0, 20.0]])    # μ = [1, 10], σ² = [1, 100]
    # μ_run: 0 → 1 → 1; σ²_run: 1 → 1 → 1 and 1 → 50.5 → 75.25
    assert_close([1.0, 10.0], layer.running_mean, "μ_run")
    assert_close([1.0, 75.25], layer.running_var, "σ²_run")
    layer.training = False
    x, y = _forward(layer, [[3.0, 10.0]])          # a batch of one: no batch statistics
    assert_close([[2.0 / math.sqrt(1 + 1e-8), 0.0]], y.view(), "y")
    y.deltas[...] = 1.0
    layer.backward([y], [x])
    assert_close([[1 / math.sqrt(1 + 1e-8), 1 / math.sqrt(75.25 + 1e-8)]], x.delta_view(), "δx")
    # evaluation does not move the running averages
    assert_close([1.0, 10.0], layer.running_mean, "μ_run")


def test_images_are_normalised_per_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5, 2)) * np.array([1.0, 10.0]) + np.array([5.0, -3.0])
    layer = _layer(2)
    _, y = _forward(layer, x)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    assert_close((x - mean) / np.sqrt(var + 1e-5), y.view(), "y")
    assert_close(0.1 * mean, layer.running_mean, "μ_run")


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 3, 2)])
def test_gradient_check_in_training_mode(shape):
    layer = _layer(shape[-1])
    rng = np.random.default_rng(1)
    layer.scale.elements[:] = rng.uniform(0.5, 2.0, shape[-1])
    layer.shift.elements[:] = rng.normal(size=shape[-1])
    check_layer(layer, shape, inputs=rng.normal(size=shape) * 3 + 1)  # raises on a wrong delta


def test_gradient_check_in_evaluation_mode():
    layer = _layer(3)
    layer.running_mean[:] = [0.5, -1.0, 2.0]
    layer.running_var[:] = [2.0, 0.5, 1.0]
    layer.training = False
    check_layer(layer, (4, 3))


def test_the_batch_terms_of_backward_matter():
    # in training, a constant δy gives δx = 0: the mean absorbs it (the eval formula would not)
    layer = _layer(2)
    x, y = _forward(layer, np.random.default_rng(2).normal(size=(4, 2)))
    y.deltas[...] = 1.0
    layer.backward([y], [x])
    assert np.max(np.abs(x.deltas)) < 1e-12


def test_float32_agrees_with_float64():
    x = np.random.default_rng(3).normal(size=(6, 4))
    y64 = _forward(_layer(4), x)[1].view()
    y32 = _forward(_layer(4, dtype=np.float32), x, dtype=np.float32)[1].view()
    assert y32.dtype == np.float32
    assert_close(y64, y32, "y", atol=1e-5)


def test_wrong_feature_count_is_named():
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): input has 4 features \(channels\), expected 3"):
        BatchNorm(3).output_shape((2, 4))


@pytest.mark.parametrize("kw", [{"momentum": 1.0}, {"momentum": -0.1}, {"eps": 0.0}])
def test_bad_arguments_are_refused(kw):
    with pytest.raises(ValueError, match="BatchNorm: "):
        BatchNorm(3, **kw)
