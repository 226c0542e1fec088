"""Week 2 checks: Conv2D (forward, backward, delta weights, stride and padding), pooling, a CNN.

The framework's own layers (``framework.Conv2D``, ``MaxPool2D``,
``AvgPool2D``) are the reference. Exercises 2.1-2.3 each check one method
of Conv2D on stride 1 and no padding (``framework.grading.methods``), so
they can be done (and pass) one after the other; 2.4 runs the whole layer
protocol, with a finite-difference check, on strided and padded cases.
See ``exercises/CONTRIBUTING.md``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import framework
from framework import AvgPool2D, Conv2D, MaxPool2D, Shape, Tensor
from framework.data import load_digits_images, train_test_split
from framework.grading import (Exercise, LayerCase, Submission, call, check_layer_against,
                               fail)
from framework.grading.methods import check_methods

F64 = np.float64
Alternative = Callable[..., np.ndarray]


@dataclass
class Case(LayerCase):
    """A LayerCase whose description shows stride and padding (``Conv2D(2, 3, 3, stride=2, padding=1)``)."""

    def describe(self, cls: Any) -> str:
        """``Conv2D(2, 3, 3, stride=2, padding=1), input [3, 5, 5, 2] (batch 3), float64``."""
        shown = [repr(a) for a in self.args]
        shown += [f"{k}={v!r}" if np.isscalar(v) or isinstance(v, tuple) else f"{k}=…"
                  for k, v in self.kwargs.items() if k != "dtype"]
        return (f"{getattr(cls, '__name__', cls)}({', '.join(shown)}), input "
                f"[{', '.join(map(str, self.input_shape))}] (batch {self.input_shape[0]}), float64")


# -- the reference, and the wrong formulas students typically write -----------------------------
def _conv(weights, bias, stride=1, padding=0) -> Conv2D:
    kh, kw, c_in, c_out = weights.shape
    return Conv2D(c_in, c_out, (kh, kw), stride=stride, padding=padding, weights=weights,
                  bias=bias, dtype=F64)


def _run_forward(layer, x: np.ndarray) -> np.ndarray:
    xt = Tensor.from_numpy(x, dtype=F64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=F64)
    layer.forward([xt], [yt])
    return yt.view().copy()


def _run_backward(layer, x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    xt = Tensor.from_numpy(x, dtype=F64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=F64)
    yt.delta_view()[...] = dy
    layer.backward([yt], [xt])
    return xt.delta_view().copy()


def _run_delta_weights(layer, x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    xt = Tensor.from_numpy(x, dtype=F64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=F64)
    yt.delta_view()[...] = dy
    layer.weights.zero_deltas()
    layer.calculate_delta_weights([yt], [xt])
    return layer.weights.delta_view().copy()


def _rot180(w: np.ndarray) -> np.ndarray:
    return w[::-1, ::-1]


def _pad(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv_alternatives(stride: Any = 1, padding: Any = 0) -> dict[str, dict[str, Alternative]]:
    """Known wrong Conv2D formulas for a case with this stride and padding, by method/parameter."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)

    def flipped_forward(x, y, dy, p):
        return _run_forward(_conv(_rot180(p["weights"]), p["bias"], stride, padding), x)

    def no_bias(x, y, dy, p):
        return y - p["bias"]

    def stride_ignored_forward(x, y, dy, p):
        full = _run_forward(_conv(p["weights"], p["bias"], 1, padding), x)
        return full[:, :y.shape[1], :y.shape[2]]

    def not_rotated(x, y, dy, p):
        # the reference with rot180(W) rotates back to W: the full convolution with W itself
        return _run_backward(_conv(_rot180(p["weights"]), p["bias"], stride, padding), x, dy)

    def flipped_all_axes(x, y, dy, p):
        # np.flip(W) reverses the channel axes too: the reference with W[:, :, ::-1, ::-1]
        return _run_backward(_conv(p["weights"][:, :, ::-1, ::-1], p["bias"], stride, padding),
                             x, dy)

    def _on_stride1_grid(x, dy, p):
        n, h, w, _ = x.shape
        kh, kw, _, c_out = p["weights"].shape
        dy1 = np.zeros((n, h + 2 * ph - kh + 1, w + 2 * pw - kw + 1, c_out))
        dy1[:, :dy.shape[1], :dy.shape[2]] = dy
        return dy1

    def stride_ignored_backward(x, y, dy, p):
        # δY packed side by side on the stride-1 grid instead of every s-th position
        n, h, w, _ = x.shape
        kh, kw, _, c_out = p["weights"].shape
        dy1 = np.zeros((n, h + 2 * ph - kh + 1, w + 2 * pw - kw + 1, c_out))
        dy1[:, :dy.shape[1], :dy.shape[2]] = dy
        return _run_backward(_conv(p["weights"], p["bias"], 1, padding), x, dy1)

    def cropped(shift):
        def fn(x, y, dy, p):
            if ph == 0 and pw == 0:
                raise ValueError("no padding")
            dxp = _run_backward(_conv(p["weights"], p["bias"], stride, 0), _pad(x, ph, pw), dy)
            big = _pad(dxp, 1, 1)  # zeros beyond the padded border
            n, h, w, _ = x.shape
            return big[:, 1 + ph + shift:1 + ph + shift + h, 1 + pw + shift:1 + pw + shift + w]
        return fn

    def weights_rotated(x, y, dy, p):
        return _rot180(_run_delta_weights(_conv(p["weights"], p["bias"], stride, padding), x, dy))

    def stride_ignored_weights(x, y, dy, p):
        if (sh, sw) == (1, 1):
            raise ValueError("stride 1")
        return _run_delta_weights(_conv(p["weights"], p["bias"], 1, padding), x,
                                  _on_stride1_grid(x, dy, p))

    return {
        "forward": {"the kernel rotated by 180° (a true convolution; forward is the "
                    "cross-correlation, the kernel is not flipped)": flipped_forward,
                    "X∗W without the bias": no_bias,
                    "the output with stride 1 (stride ignored in forward)": stride_ignored_forward},
        "backward": {"the full convolution with W not rotated by 180°": not_rotated,
                     "rot180 by np.flip(W) without axis=(0, 1): the channel axes are reversed "
                     "too": flipped_all_axes,
                     "δY placed side by side (stride ignored in backward)":
                         stride_ignored_backward,
                     "the padded δX cropped one pixel too far (padding off by one)": cropped(1),
                     "the padded δX cropped one pixel too early (padding off by one)":
                         cropped(-1)},
        "weights": {"∂L/∂W rotated by 180° (forward does not flip the kernel, so its "
                    "gradient is not flipped either)": weights_rotated,
                    "the windows taken at stride 1 (stride ignored in calculate_delta_weights)":
                        stride_ignored_weights},
        "bias": {"Σ δY over the batch at the last output position only (= instead of += "
                 "in the loop over positions)": lambda x, y, dy, p: dy[:, -1, -1].sum(axis=0),
                 "the mean over the output positions instead of the sum":
                     lambda x, y, dy, p: dy.sum(axis=(0, 1, 2)) / (dy.shape[1] * dy.shape[2])},
    }


def maxpool_alternatives(pool: Any, stride: Any = None) -> dict[str, dict[str, Alternative]]:
    """Known wrong MaxPool2D backward formulas for one pool size and stride."""
    (ph, pw) = _pair(pool)
    (sh, sw) = (ph, pw) if stride is None else _pair(stride)

    def route(x, dy, where, assign=False):
        n_, _, _, c_ = x.shape
        dx = np.zeros_like(x)
        for ho in range(dy.shape[1]):
            for wo in range(dy.shape[2]):
                h0, w0 = ho * sh, wo * sw
                win = x[:, h0:h0 + ph, w0:w0 + pw]
                for n in range(n_):
                    for c in range(c_):
                        i, j = np.unravel_index(np.argmax(win[n, :, :, c]), (ph, pw))
                        for a, b in where(i, j):
                            if assign:
                                dx[n, h0 + a, w0 + b, c] = dy[n, ho, wo, c]
                            else:
                                dx[n, h0 + a, w0 + b, c] += dy[n, ho, wo, c]
        return dx

    def every(x, y, dy, p):
        return route(x, dy, lambda i, j: [(a, b) for a in range(ph) for b in range(pw)])

    def transposed(x, y, dy, p):
        if ph != pw:
            raise ValueError("only for square windows")
        return route(x, dy, lambda i, j: [(j, i)])

    def assigned(x, y, dy, p):
        if (sh, sw) == (ph, pw):
            raise ValueError("windows do not overlap")
        return route(x, dy, lambda i, j: [(i, j)], assign=True)

    return {"forward": {"the window mean (average pooling)":
                        lambda x, y, dy, p: _run_forward(AvgPool2D(pool, stride), x)},
            "backward": {"δY copied to every element of the window (not only to its maximum)":
                         every,
                         "δY routed to the maximum's position with i and j swapped (the window "
                         "index decoded in the wrong order)": transposed,
                         "δY written with = instead of added (+=): an input that wins several "
                         "overlapping windows keeps only the last window's δY": assigned}}


# -- 2.1-2.4 Conv2D --------------------------------------------------------------------------------
def conv_case(batch: int, h: int, w: int, c_in: int, c_out: int, k: Any, seed: int,
              stride: Any = 1, padding: Any = 0) -> Case:
    """A Conv2D case with random weights and bias (given explicitly, so student and reference agree)."""
    rng = np.random.default_rng(seed)
    kh, kw = _pair(k)
    kwargs: dict[str, Any] = {}
    if stride != 1:
        kwargs["stride"] = stride
    if padding != 0:
        kwargs["padding"] = padding
    kwargs.update(weights=rng.standard_normal((kh, kw, c_in, c_out)),
                  bias=rng.standard_normal(c_out), dtype=F64)
    return Case((batch, h, w, c_in), (c_in, c_out, k), kwargs)


# Stride 1, no padding: a square 3x3 kernel first (every alternative applies), then a
# non-square image and kernel, a single input channel, and a batch of 1.
PLAIN_CASES = [conv_case(3, 5, 5, 2, 3, 3, 1), conv_case(4, 4, 6, 3, 2, (2, 3), 2),
               conv_case(3, 6, 5, 1, 2, 2, 3), conv_case(1, 3, 4, 2, 2, 2, 4)]


def _check_conv_method(sub: Submission, method: str) -> None:
    check_methods(sub.get("conv", "Conv2D"), Conv2D, PLAIN_CASES, (method,),
                  alternatives=conv_alternatives())


def check_conv_forward(sub: Submission) -> None:
    """2.1: Conv2D.forward against framework.Conv2D, stride 1, no padding."""
    _check_conv_method(sub, "forward")


def check_conv_backward(sub: Submission) -> None:
    """2.2: Conv2D.backward (the full convolution with rot180(W)), stride 1, no padding."""
    _check_conv_method(sub, "backward")


def check_conv_delta_weights(sub: Submission) -> None:
    """2.3: Conv2D.calculate_delta_weights, stride 1, no padding."""
    _check_conv_method(sub, "calculate_delta_weights")


# Padding first (so a crop off by one shows as such), then stride, both, non-square ones.
STRIDE_PAD_CASES = [conv_case(3, 5, 5, 2, 3, 3, 5, padding=1),
                    conv_case(3, 7, 7, 2, 2, 3, 6, stride=2),
                    conv_case(4, 6, 7, 1, 2, 3, 7, stride=2, padding=1),
                    conv_case(3, 5, 8, 2, 3, (2, 3), 8, stride=(1, 3), padding=(2, 1)),
                    conv_case(3, 8, 8, 1, 2, 3, 9, stride=3, padding=2)]


def check_conv_stride_padding(sub: Submission) -> None:
    """2.4: output_shape and the whole protocol with stride and padding, then finite differences."""
    cls = sub.get("conv", "Conv2D")
    for case in STRIDE_PAD_CASES:
        desc = case.describe(cls)
        layer = call("__init__", "the student's layer", cls, *case.args, **case.kwargs, case=desc)
        got = call("output_shape", "output shape", layer.output_shape, Shape(case.input_shape),
                   case=desc)
        expected = Conv2D(*case.args, **case.kwargs).output_shape(Shape(case.input_shape))
        if Shape(got) != expected:
            fail("output_shape", "output shape", f"returns {Shape(got)}, expected {expected}; "
                 f"Ho = (H + 2·ph − kh)//sh + 1", case=desc)
    for case in STRIDE_PAD_CASES:
        check_layer_against(cls, Conv2D, [case],
                            alternatives=conv_alternatives(case.kwargs.get("stride", 1),
                                                           case.kwargs.get("padding", 0)))


# -- 2.5-2.6 pooling ---------------------------------------------------------------------------------
def pool_cases() -> list[Case]:
    """Square windows side by side first, then overlapping, a border that is dropped, non-square."""
    specs = [((3, 4, 4, 2), 2, None), ((3, 5, 5, 2), 2, 1), ((3, 7, 8, 1), 3, 2),
             ((3, 4, 7, 2), (2, 3), None)]
    return [Case(shape, (pool,), {} if stride is None else {"stride": stride},
                 window=int(np.prod(_pair(pool)))) for shape, pool, stride in specs]


def check_max_pool(sub: Submission) -> None:
    """2.5: MaxPool2D against framework.MaxPool2D (forward, backward, finite differences)."""
    cls = sub.get("pooling", "MaxPool2D")
    for case in pool_cases():
        check_layer_against(cls, MaxPool2D, [case], alternatives=maxpool_alternatives(case.args[0],
                                                                       case.kwargs.get("stride")))


def check_avg_pool(sub: Submission) -> None:
    """2.6: AvgPool2D against framework.AvgPool2D (forward, backward, finite differences)."""
    cls = sub.get("pooling", "AvgPool2D")
    for case in pool_cases():
        check_layer_against(cls, AvgPool2D, [case])


# -- 2.7 your CNN on the digits -------------------------------------------------------------------------
TARGET_ACCURACY = 0.88
TIME_LIMIT = 60.0


def check_cnn(sub: Submission) -> None:
    """2.7: a network with your Conv2D and pooling trains to 88 % on the held-out digits within 60 s."""
    build, train = sub.get("train_cnn", "build_cnn"), sub.get("train_cnn", "train")
    conv_cls = sub.get("conv", "Conv2D")
    pools = (sub.get("pooling", "MaxPool2D"), sub.get("pooling", "AvgPool2D"))
    network = call("build_cnn", "your network", build, case="seed 0")
    if not isinstance(network, framework.Network):
        fail("build_cnn", "your network", f"returns {type(network).__name__}, expected a "
             f"framework.Network", case="seed 0")
    if not any(isinstance(layer, conv_cls) for layer in network.layers):
        fail("build_cnn", "layers", "the network has no Conv2D from your conv.py", case="seed 0")
    if not any(isinstance(layer, pools) for layer in network.layers):
        fail("build_cnn", "layers", "the network has no MaxPool2D or AvgPool2D from your "
             "pooling.py", case="seed 0")
    x, y = load_digits_images()
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    case = "load_digits_images(), train_test_split(test_fraction=0.2, seed=0)"
    # One step first: code that loops over every sample and channel would take
    # minutes, and the student should hear that now, not after a timeout.
    start = time.perf_counter()
    call("backprop", "one training step (batch 32)", network.backprop, x_train[:32],
         y_train[:32], case=case)
    step = time.perf_counter() - start
    steps = 4 * -(-len(x_train) // 32)
    if step * steps > 1.5 * TIME_LIMIT:
        _too_slow(f"one step of batch 32 took {step:.2f} s, so training ({steps} steps) "
                  f"would take about {step * steps:.0f} s", case, step * steps)
    network.zero_deltas()
    start = time.perf_counter()
    call("train", "the trained network", train, network, x_train, y_train, case="digits")
    seconds = time.perf_counter() - start
    acc = float(np.mean(network.predict(x_test).argmax(axis=1) == y_test))
    if not acc >= TARGET_ACCURACY:
        fail("train", "test accuracy", f"{acc:.3f} on the held-out digits, expected at least "
             f"{TARGET_ACCURACY}", case=case, got=acc, expected=TARGET_ACCURACY)
    if seconds > TIME_LIMIT:
        _too_slow(f"training took {seconds:.0f} s", case, seconds)


def _too_slow(what: str, case: str, seconds: float) -> None:
    # method "speed", not "train": the answers are right, only too slow to train with
    fail("speed", "training time", f"{what}, expected at most {TIME_LIMIT:.0f} s: loop over "
         f"positions or taps only, and compute each step for the whole batch and all channels "
         f"at once (np.tensordot, window.max(axis=(1, 2)))", case=case, got=seconds,
         expected=TIME_LIMIT)


EXERCISES = [
    Exercise("2.1", "Conv2D forward", 2, ("conv.py",), check_conv_forward),
    Exercise("2.2", "Conv2D backward (full conv, rot180)", 3, ("conv.py",), check_conv_backward),
    Exercise("2.3", "Conv2D delta weights", 2, ("conv.py",), check_conv_delta_weights),
    Exercise("2.4", "Conv2D with stride and padding", 3, ("conv.py",), check_conv_stride_padding,
             requires=("2.1", "2.2", "2.3")),
    Exercise("2.5", "MaxPool2D", 2, ("pooling.py",), check_max_pool),
    Exercise("2.6", "AvgPool2D", 1, ("pooling.py",), check_avg_pool),
    Exercise("2.7", "Your CNN on the digits", 2, ("train_cnn.py", "conv.py", "pooling.py"),
             check_cnn, timeout=120, requires=("2.1", "2.3", "2.5")),
]
