"""Conv2D: Y = P·W + b by im2col, δX = col2im(δY·Wᵀ) (the rot180 full convolution), ∂W += Pᵀ·δY."""
import numpy as np
import pytest

from framework import Tensor, check_layer
from framework.compare import assert_close
from framework.layers.conv2d import Conv2D

from helpers import run

# One channel in and out: a 3x3 image and a 2x2 kernel, no padding, stride 1 -> 2x2 output.
X_IMG = [[1.0, 2.0, 3.0],
         [4.0, 5.0, 6.0],
         [7.0, 8.0, 9.0]]
K_IMG = [[1.0, 0.0],
         [-1.0, 2.0]]


def _nhwc(img):
    """[H, W] -> [1, H, W, 1]."""
    return np.asarray(img, dtype=np.float64)[np.newaxis, :, :, np.newaxis]


def _kernel(img):
    """[kh, kw] -> [kh, kw, 1, 1]."""
    return np.asarray(img, dtype=np.float64)[:, :, np.newaxis, np.newaxis]


def test_forward_by_hand():
    # Y[ho, wo] = Σ_ij X[ho+i, wo+j]·K[i, j] + b, with K = [[1, 0], [-1, 2]], b = 0.5
    #   (0,0): 1·1 + 2·0 − 4·1 + 5·2 = 7     -> 7.5
    #   (0,1): 2·1 + 3·0 − 5·1 + 6·2 = 9     -> 9.5
    #   (1,0): 4·1 + 5·0 − 7·1 + 8·2 = 13    -> 13.5
    #   (1,1): 5·1 + 6·0 − 8·1 + 9·2 = 15    -> 15.5
    conv = Conv2D(1, 1, 2, weights=_kernel(K_IMG), bias=[0.5])
    y, _ = run(conv, _nhwc(X_IMG))
    assert y.shape == (1, 2, 2, 1)
    assert_close([[7.5, 9.5], [13.5, 15.5]], y[0, :, :, 0], "Y")


def test_forward_stride_and_padding_by_hand():
    # Padding 1 makes a 5x5 image with a zero border; stride 2 picks the
    # windows starting at padded rows/cols 0 and 2 -> 2x2 output. Kernel
    # K = [[1, 0], [-1, 2]] on the windows (rows of the padded image):
    #   (0,0): [[0, 0], [0, 1]]  -> 0 − 0 + 2·1      = 2
    #   (0,1): [[0, 0], [2, 3]]  -> 0 − 2 + 2·3      = 4
    #   (1,0): [[0, 4], [0, 7]]  -> 0 − 0 + 2·7      = 14
    #   (1,1): [[5, 6], [8, 9]]  -> 5 − 8 + 2·9      = 15
    conv = Conv2D(1, 1, 2, stride=2, padding=1, weights=_kernel(K_IMG))
    y, _ = run(conv, _nhwc(X_IMG))
    assert_close([[2.0, 4.0], [14.0, 15.0]], y[0, :, :, 0], "Y")


def test_backward_by_hand_is_full_convolution_with_rot180():
    # δY = [[1, 2], [3, 4]]. δX = full convolution of δY with rot180(K):
    # δX[h, w] = Σ_{i,j} δY[h−i, w−j]·K[i, j] (terms with δY outside dropped).
    #   K = [[1, 0], [-1, 2]]
    #   δX[0,0] = δY00·K00                                   = 1
    #   δX[0,1] = δY01·K00 + δY00·K01                        = 2 + 0      = 2
    #   δX[0,2] = δY01·K01                                   = 0
    #   δX[1,0] = δY10·K00 + δY00·K10                        = 3 − 1      = 2
    #   δX[1,1] = δY11·K00 + δY10·K01 + δY01·K10 + δY00·K11  = 4 + 0 − 2 + 2 = 4
    #   δX[1,2] = δY11·K01 + δY01·K11                        = 0 + 4      = 4
    #   δX[2,0] = δY10·K10                                   = −3
    #   δX[2,1] = δY11·K10 + δY10·K11                        = −4 + 6     = 2
    #   δX[2,2] = δY11·K11                                   = 8
    # ∂K[i, j] = Σ δY[ho, wo]·X[ho+i, wo+j]:
    #   ∂K00 = 1·1 + 2·2 + 3·4 + 4·5 = 37     ∂K01 = 1·2 + 2·3 + 3·5 + 4·6 = 47
    #   ∂K10 = 1·4 + 2·5 + 3·7 + 4·8 = 67     ∂K11 = 1·5 + 2·6 + 3·8 + 4·9 = 77
    # ∂b = 1 + 2 + 3 + 4 = 10
    conv = Conv2D(1, 1, 2, weights=_kernel(K_IMG))
    conv.zero_deltas()
    dy = _nhwc([[1.0, 2.0], [3.0, 4.0]])
    _, dx = run(conv, _nhwc(X_IMG), dy)
    assert_close([[1, 2, 0], [2, 4, 4], [-3, 2, 8]], dx[0, :, :, 0], "δX")
    assert_close([[37, 47], [67, 77]], conv.weights.delta_view()[:, :, 0, 0], "∂K")
    assert_close([10.0], conv.bias.deltas, "∂b")
    # and the delta weights accumulate
    run(conv, _nhwc(X_IMG), dy)
    assert_close([[74, 94], [134, 154]], conv.weights.delta_view()[:, :, 0, 0], "∂K twice")


def direct_conv(x, w, b, stride, padding, dilation):
    """The definition, as nested loops in float64 (independent of im2col)."""
    n_, h_, w_, _ = x.shape
    kh, kw, _, o_ = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho_ = (h_ + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo_ = (w_ + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n_, ho_, wo_, o_))
    for ho in range(ho_):
        for wo in range(wo_):
            for i in range(kh):
                for j in range(kw):
                    h, v = ho * sh - ph + i * dh, wo * sw - pw + j * dw
                    if 0 <= h < h_ and 0 <= v < w_:
                        y[:, ho, wo, :] += x[:, h, v, :] @ w[i, j]
    return y + b


CASES = [  # (N, H, W, C_in, C_out, kernel, stride, padding, dilation)
    (1, 5, 5, 1, 1, 3, 1, 0, 1),
    (3, 7, 6, 2, 3, (3, 2), 1, 1, 1),
    (2, 9, 8, 3, 2, 3, 2, 1, 1),
    (3, 8, 9, 2, 4, (2, 3), (2, 3), (1, 0), (2, 1)),
    (2, 7, 7, 3, 2, 1, 1, 0, 1),
    (1, 6, 5, 2, 2, 2, 1, 3, 1),
    (2, 11, 10, 2, 3, 3, 1, 2, 2),
]


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_direct_loops(case):
    n, h, w, c, o, k, s, p, d = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, h, w, c))
    conv = Conv2D(c, o, k, stride=s, padding=p, dilation=d, bias=rng.standard_normal(o),
                  seed=2, dtype=np.float64)
    y, _ = run(conv, x, dtype=np.float64)
    ref = direct_conv(x, conv.weights.to_numpy(), conv.bias.to_numpy(), conv.stride,
                      conv.padding, conv.dilation)
    assert y.shape == ref.shape
    assert_close(ref, y, "Y", atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_float32_matches_float64(case):
    """The float32 path (the selected backend: numpy or C) against the float64 reference."""
    n, h, w, c, o, k, s, p, d = case
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, h, w, c))
    wts, b = rng.standard_normal(Conv2D(c, o, k).weights.shape.dims), rng.standard_normal(o)
    layers = [Conv2D(c, o, k, stride=s, padding=p, dilation=d, weights=wts, bias=b, dtype=dt)
              for dt in (np.float32, np.float64)]
    y64 = run(layers[1], x, dtype=np.float64)[0]
    dy = rng.standard_normal(y64.shape)
    for layer in layers:
        layer.zero_deltas()
    y32, dx32 = run(layers[0], x, dy)
    y64, dx64 = run(layers[1], x, dy, dtype=np.float64)
    assert_close(y64, y32, "Y", atol=1e-4)
    assert_close(dx64, dx32, "δX", atol=1e-4)
    assert_close(layers[1].weights.delta_view(), layers[0].weights.delta_view(), "∂W", atol=1e-4)
    assert_close(layers[1].bias.deltas, layers[0].bias.deltas, "∂b", atol=1e-4)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(in_channels=1, out_channels=1, kernel_size=2), (1, 3, 3, 1)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=1), (3, 4, 5, 2)),
    (dict(in_channels=2, out_channels=2, kernel_size=(3, 2), stride=2), (1, 7, 6, 2)),
    (dict(in_channels=2, out_channels=2, kernel_size=(2, 3), stride=(1, 2), padding=(2, 1)), (3, 5, 6, 2)),
    (dict(in_channels=1, out_channels=2, kernel_size=2, dilation=2, padding=1), (2, 6, 5, 1)),
    (dict(in_channels=3, out_channels=2, kernel_size=1), (3, 3, 2, 3)),
])
def test_gradient_check(kwargs, shape):
    check_layer(Conv2D(**kwargs, seed=4, bias=np.linspace(-0.5, 0.5, kwargs["out_channels"])), shape)


def test_repr_and_output_shape():
    assert repr(Conv2D(32, 64, 3, padding=1)) == "Conv2D(32->64, 3x3, stride 1, pad 1)"
    assert repr(Conv2D(1, 6, (5, 3), stride=(2, 1), dilation=2)) == \
        "Conv2D(1->6, 5x3, stride 2x1, pad 0, dilation 2)"
    # Ho = (28 + 2·2 − 1·4 − 1)//1 + 1 = 28; (10 + 0 − 2·2 − 1)//2 + 1 = 3
    assert Conv2D(1, 6, 5, padding=2).output_shape((4, 28, 28, 1)).dims == (4, 28, 28, 6)
    assert Conv2D(1, 2, 3, stride=2, dilation=2).output_shape((1, 10, 10, 1)).dims == (1, 3, 3, 2)


def test_shape_errors_name_the_layer_and_sizes():
    conv = Conv2D(3, 8, 5)
    with pytest.raises(ValueError, match=r"Conv2D\(3->8, 5x5, stride 1, pad 0\): input has 2 channels, expected 3"):
        conv.output_shape((1, 8, 8, 2))
    with pytest.raises(ValueError, match=r"input 4x4 \(padded 4x4\) is smaller than the kernel 5x5"):
        conv.output_shape((1, 4, 4, 3))
    with pytest.raises(ValueError, match=r"dilated extent 5x5"):
        Conv2D(1, 1, 3, dilation=2).output_shape((1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"input must be 4-D images \[N, H, W, C\], got Shape\[2, 64\]"):
        conv.output_shape((2, 64))
    with pytest.raises(ValueError, match="stride must be a positive int or a pair"):
        Conv2D(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be a non-negative int"):
        Conv2D(1, 1, 3, padding=-1)
    with pytest.raises(ValueError, match="kernel_size must be a positive int or a pair"):
        Conv2D(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match="out_channels must be a positive integer"):
        Conv2D(1, 0, 3)
    with pytest.raises(ValueError, match=r"weights given with shape \(3, 3\), expected \(3, 3, 1, 2\)"):
        Conv2D(1, 2, 3, weights=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"output tensor has Shape\[1, 8, 8, 8\], expected Shape\[1, 4, 4, 8\]"):
        conv.forward([Tensor((1, 8, 8, 3))], [Tensor((1, 8, 8, 8))])


def test_in_a_network_with_pooling_and_flatten():
    """Conv -> ReLU -> MaxPool -> Flatten -> FC trains on a toy task (loss falls)."""
    from framework import FullyConnected, InputLayer, Network, ReLU, SoftmaxCrossEntropy
    from framework.layers.flatten import Flatten
    from framework.layers.max_pool2d import MaxPool2D
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 6, 1)).astype(np.float32)
    labels = (x[:, :3].sum(axis=(1, 2, 3)) > x[:, 3:].sum(axis=(1, 2, 3))).astype(np.int64)
    net = Network(InputLayer((6, 6, 1), num_classes=2),
                  [Conv2D(1, 4, 3, padding=1, seed=0), ReLU(), MaxPool2D(2), Flatten(),
                   FullyConnected(36, 2, seed=1)], SoftmaxCrossEntropy())
    losses = []
    for _ in range(30):
        net.zero_deltas()
        losses.append(net.backprop(x, labels).loss)
        for p in net.params:
            p.elements -= 0.1 * p.deltas
    assert losses[-1] < 0.5 * losses[0]
