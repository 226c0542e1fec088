"""FullyConnected: Y = X·W + b, δX = δY·Wᵀ, ∂W += Xᵀ·δY, ∂b += Σ_rows δY."""
import numpy as np
import pytest

from framework import FullyConnected, Tensor, check_layer
from framework.compare import assert_close

from helpers import run

W = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]  # [F=3, O=2]
B = [0.5, -1.0]
X = [[1.0, 0.0, -1.0],                    # [N=2, F=3]
     [2.0, 1.0, 0.0]]
DY = [[1.0, -1.0],
      [0.5, 2.0]]


def test_forward_by_hand():
    # row 0: [1·1 + 0·3 − 1·5, 1·2 + 0·4 − 1·6] + b = [−4, −4] + [0.5, −1] = [−3.5, −5]
    # row 1: [2·1 + 1·3 + 0·5, 2·2 + 1·4 + 0·6] + b = [5, 8] + [0.5, −1]   = [5.5, 7]
    y, _ = run(FullyConnected(3, 2, weights=W, bias=B), X)
    assert_close([[-3.5, -5.0], [5.5, 7.0]], y, "Y")


def test_backward_and_delta_weights_by_hand():
    fc = FullyConnected(3, 2, weights=W, bias=B)
    fc.zero_deltas()
    _, dx = run(fc, X, DY)
    # δX = δY·Wᵀ: row 0 = [1·1 − 1·2, 1·3 − 1·4, 1·5 − 1·6] = [−1, −1, −1]
    #             row 1 = [0.5·1 + 2·2, 0.5·3 + 2·4, 0.5·5 + 2·6] = [4.5, 9.5, 14.5]
    assert_close([[-1, -1, -1], [4.5, 9.5, 14.5]], dx, "δX")
    # ∂W = Xᵀ·δY: [f][o] = Σ_n X[n][f]·δY[n][o]
    #   f=0: [1·1 + 2·0.5, 1·(−1) + 2·2] = [2, 3]
    #   f=1: [0·1 + 1·0.5, 0·(−1) + 1·2] = [0.5, 2]
    #   f=2: [−1·1 + 0,    −1·(−1) + 0]  = [−1, 1]
    assert_close([[2, 3], [0.5, 2], [-1, 1]], fc.weights.delta_view(), "∂W")
    # ∂b = column sums of δY = [1.5, 1]
    assert_close([1.5, 1.0], fc.bias.deltas, "∂b")


def test_delta_weights_accumulate():
    fc = FullyConnected(3, 2, weights=W, bias=B)
    fc.zero_deltas()
    run(fc, X, DY)
    run(fc, X, DY)
    assert_close([[4, 6], [1, 4], [-2, 2]], fc.weights.delta_view(), "∂W after two calls")
    assert_close([3.0, 2.0], fc.bias.deltas, "∂b after two calls")


def test_sequence_input_merges_leading_dims():
    """[N, T, F] is the same as [N·T, F] rows: FC applies at every time step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    fc = FullyConnected(4, 5, seed=1, dtype=np.float64)
    y, _ = run(fc, x, dtype=np.float64)
    w, b = fc.weights.to_numpy(), fc.bias.to_numpy()
    assert_close(np.einsum("ntf,fo->nto", x, w) + b, y, "Y[n,t,:]", atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 4), (5, 4), (2, 3, 4)])
def test_gradient_check(shape):
    check_layer(FullyConnected(4, 3, seed=2), shape)


def test_float32_matches_float64_reference():
    rng = np.random.default_rng(3)
    x, dy = rng.standard_normal((7, 13)), rng.standard_normal((7, 5))
    w, b = rng.standard_normal((13, 5)), rng.standard_normal(5)
    f32, f64 = (FullyConnected(13, 5, weights=w, bias=b, dtype=dt) for dt in (np.float32, np.float64))
    for fc in (f32, f64):
        fc.zero_deltas()
    y32, dx32 = run(f32, x, dy)
    y64, dx64 = run(f64, x, dy, dtype=np.float64)
    assert_close(y64, y32, "Y", atol=1e-5)
    assert_close(dx64, dx32, "δX", atol=1e-5)
    assert_close(f64.weights.delta_view(), f32.weights.delta_view(),
                 "∂W", atol=1e-5)


def test_shape_errors_name_the_layer():
    fc = FullyConnected(784, 256)
    with pytest.raises(ValueError, match=r"FullyConnected\(784->256\): input has 783 features, expected 784"):
        fc.output_shape((10, 783))
    with pytest.raises(ValueError, match="weights given with shape"):
        FullyConnected(3, 2, weights=[[1, 2, 3]])
    with pytest.raises(ValueError, match="out_features must be a positive integer"):
        FullyConnected(3, 0)
    x, y = Tensor((2, 3)), Tensor((2, 3))
    with pytest.raises(ValueError, match=r"output tensor has Shape\[2, 3\], expected Shape\[2, 2\]"):
        FullyConnected(3, 2).forward([x], [y])
