"""A worksheet for one LSTM unit over a few steps: gates, states, BPTT deltas, gradients.

The framework's :class:`~framework.layers.LSTM` runs the sequence in
float64. Its public API gives the states ``h_t, c_t`` (``states()``), the
input deltas and the parameter deltas; the gate activations and the
per-step deltas it keeps for backward are read from its caches by
:func:`_trace`, which checks them against the public values first, so a
change of those internals raises instead of printing wrong numbers.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..layers import LSTM, FullyConnected
from ..layers.lstm import GATES
from ..tensor import Tensor
from .model import Quantity, Section, Worksheet, as_display
from .notation import SUBSCRIPT
from .render import number

_SUP = {"i": "ⁱ", "f": "ᶠ", "o": "ᵒ", "g": "ᵍ"}


def _matrix(name: str, value: Any, shape: tuple[int, int]) -> np.ndarray:
    a = np.array(value, dtype=np.float64)
    if a.ndim == 1 and shape[0] == 1:
        a = a[np.newaxis]
    if a.shape != shape:
        raise ValueError(f"LSTM worksheet: {name} must have shape {list(shape)}, got {list(a.shape)}")
    return a


def _trace(layer: LSTM, x: Tensor, y: Tensor) -> dict[str, np.ndarray]:
    """Gate activations and BPTT deltas of the last forward/backward of a batch of one.

    Returns:
        ``gates [T, 4H]`` (i | f | o | g), ``h, c [T+1, H]`` (row 0 the
        initial state), ``dgates [T, 4H]`` (pre-activation deltas), ``dh [T, H]``
        (total ``δh_t``).

    Raises:
        RuntimeError: if the layer's caches do not agree with its public
            results (its internals changed).
    """
    caches = getattr(layer, "_caches", None)
    try:
        out = {"gates": np.array(caches.gates), "h": np.array(caches.hs), "c": np.array(caches.cs),
               "dgates": np.array(caches.dgates), "dh": np.array(caches.dhs)}
    except AttributeError:
        out = {}
    hidden = layer.hidden_size
    h_pub, c_pub = (s[0] for s in layer.states())
    ok = bool(out) and out["h"].shape == (len(h_pub) + 1, hidden) \
        and np.allclose(out["h"][1:], h_pub, rtol=0, atol=1e-12) \
        and np.allclose(out["c"][1:], c_pub, rtol=0, atol=1e-12)
    if ok:
        i, f, o, g = (out["gates"][:, q * hidden:(q + 1) * hidden] for q in range(4))
        ok = np.allclose(out["c"][1:], f * out["c"][:-1] + i * g, rtol=0, atol=1e-12) \
            and np.allclose(h_pub, o * np.tanh(c_pub), rtol=0, atol=1e-12) \
            and np.allclose(x.delta_matrix(), out["dgates"] @ layer.U.view().T, rtol=0, atol=1e-12)
    if not ok:
        raise RuntimeError("framework.worksheet: the LSTM layer's caches (gates, hs, cs, dgates, dhs) "
                           "no longer match its public results; update framework/worksheet/lstm.py")
    return out


def lstm_worksheet(x: Any, U: Any, W: Any, bias: Any, delta_h: Any, learning_rate: float = 0.5,
                   title: str = "One LSTM unit over two steps") -> Worksheet:
    """An LSTM over ``T`` steps from ``h₀ = c₀ = 0``, with the output deltas ``δy_t`` given.

    Row-vector convention and gate order i, f, o, g as in the framework
    (``docs/lstm.md``): ``a_t = x_t·U + h_{t−1}·W + bias``.

    Args:
        x: the inputs ``[T, F]`` (one row per step).
        U: input weights ``[F, 4H]``.
        W: recurrent weights ``[H, 4H]``.
        bias: ``[4H]``.
        delta_h: ``δy_t = ∂L/∂h_t`` from the layer above, ``[T, H]``.
        learning_rate: η of the SGD step.
        title: the heading.

    Returns:
        The worksheet: per step ``a<t>``, ``i<t>``, ``f<t>``, ``o<t>``,
        ``g<t>``, ``c<t>``, ``h<t>``; backwards ``delta_h<t>``,
        ``delta_c<t>``, ``delta_a<gate><t>``, ``delta_x<t>``; ``dL_dU``,
        ``dL_dW``, ``dL_dbias`` and the new parameters (t counts from 1).
    """
    xs = np.array(x, dtype=np.float64)
    xs = xs[:, np.newaxis] if xs.ndim == 1 else xs
    steps, features = xs.shape
    b = np.array(bias, dtype=np.float64).reshape(-1)
    hidden = b.size // 4
    u, w = _matrix("U", U, (features, 4 * hidden)), _matrix("W", W, (hidden, 4 * hidden))
    dy = _matrix("delta_h", np.reshape(delta_h, (steps, -1)), (steps, hidden))
    layer = LSTM(features, hidden, weights=(u, w, b), dtype=np.float64)
    layer.set_initial_state(np.zeros((1, hidden)), np.zeros((1, hidden)))
    xt = Tensor.from_numpy(xs[np.newaxis], dtype=np.float64)
    yt = Tensor(layer.output_shape(xt.shape), dtype=np.float64)
    layer.forward([xt], [yt])
    yt.delta_view()[0] = dy
    layer.backward([yt], [xt])
    layer.zero_deltas()
    layer.calculate_delta_weights([yt], [xt])
    tr = _trace(layer, xt, yt)
    # a_t = [x_t, h_{t−1}]·[U; W] + bias: the pre-activations, by the framework's FC layer
    fc = FullyConnected(features + hidden, 4 * hidden, weights=np.vstack([u, w]), bias=b,
                        dtype=np.float64)
    stacked = Tensor.from_numpy(np.hstack([xs, tr["h"][:-1]]), dtype=np.float64)
    pre = Tensor(fc.output_shape(stacked.shape), dtype=np.float64)
    fc.forward([stacked], [pre])

    sub = lambda t: str(t).translate(SUBSCRIPT)  # noqa: E731
    gate = lambda arr, t, q: as_display(arr[t - 1, q * hidden:(q + 1) * hidden])  # noqa: E731
    given = Section("Given", [Quantity(f"x{t}", f"x{sub(t)}", f"x_{{{t}}}", as_display(xs[t - 1]),
                                       given=True) for t in range(1, steps + 1)])
    given.quantities += [Quantity("U", "U", "U", u, given=True), Quantity("W", "W", "W", w, given=True),
                         Quantity("bias", "bias", r"\vec{bias}", b, given=True)]
    given.quantities += [Quantity(f"dy{t}", f"δy{sub(t)}", rf"\delta y_{{{t}}}", as_display(dy[t - 1]),
                                  given=True) for t in range(1, steps + 1)]
    forward = Section("Forward pass (h₀ = c₀ = 0)")
    for t in range(1, steps + 1):
        prev = (f"h{t - 1}",) if t > 1 else ()
        forward.quantities.append(Quantity(
            f"a{t}", f"a{sub(t)}", f"a_{{{t}}}", as_display(pre.view()[t - 1]),
            f"x{sub(t)}·U + h{sub(t - 1)}·W + bias  (columns i | f | o | g)",
            rf"x_{{{t}}} U + h_{{{t - 1}}} W + \vec{{bias}}", (f"x{t}", "U", "bias") + prev + ("W",) * (t > 1),
            hint=f"the product x{sub(t)}·U plus h{sub(t - 1)}·W plus bias, all four gate columns"))
        for q, name in enumerate(GATES):
            fn, fn_tex = ("tanh", r"\tanh") if name == "g" else ("σ", r"\sigma")
            forward.quantities.append(Quantity(
                f"{name}{t}", f"{name}{sub(t)}", f"{name}_{{{t}}}", gate(tr["gates"], t, q),
                f"{fn}(a{sub(t)}{_SUP[name]})", rf"{fn_tex}(a^{{{name}}}_{{{t}}})", (f"a{t}",),
                hint=f"{fn} of the {name} column of a{sub(t)}"))
        forward.quantities.append(Quantity(
            f"c{t}", f"c{sub(t)}", f"c_{{{t}}}", as_display(tr["c"][t]),
            f"f{sub(t)} ⊙ c{sub(t - 1)} + i{sub(t)} ⊙ g{sub(t)}",
            rf"f_{{{t}}} \odot c_{{{t - 1}}} + i_{{{t}}} \odot g_{{{t}}}",
            (f"f{t}", f"i{t}", f"g{t}") + ((f"c{t - 1}",) if t > 1 else ()),
            hint="the cell update: forget part of the old cell, add the gated candidate"))
        forward.quantities.append(Quantity(
            f"h{t}", f"h{sub(t)}", f"h_{{{t}}}", as_display(tr["h"][t]), f"o{sub(t)} ⊙ tanh(c{sub(t)})",
            rf"o_{{{t}}} \odot \tanh(c_{{{t}}})", (f"o{t}", f"c{t}"), hint="o times tanh of the new cell"))

    backward = Section("Backpropagation through time (from the last step)")
    dc_next = np.zeros(hidden)
    for t in range(steps, 0, -1):
        i, f, o, g = (tr["gates"][t - 1, q * hidden:(q + 1) * hidden] for q in range(4))
        c, dh = tr["c"][t], tr["dh"][t - 1]
        # δc_t is not stored by the layer; its formula, checked against the layer's δa below.
        dc = dc_next + dh * o * (1 - np.tanh(c) ** 2)
        if not (np.allclose(dc * g * i * (1 - i), tr["dgates"][t - 1, :hidden], rtol=1e-9, atol=1e-12)
                and np.allclose(dc * i * (1 - g * g), tr["dgates"][t - 1, 3 * hidden:],
                                rtol=1e-9, atol=1e-12)):
            raise RuntimeError("framework.worksheet: δc_t does not reproduce the LSTM layer's δa_i, δa_g")
        later = t < steps
        s, n = sub(t), sub(t + 1)
        backward.quantities.append(Quantity(
            f"delta_h{t}", f"δh{s}", rf"\delta h_{{{t}}}", as_display(dh),
            f"δy{s} + δa{n}·Wᵀ" if later else f"δy{s}",
            rf"\delta y_{{{t}}} + \delta a_{{{t + 1}}} W^T" if later else rf"\delta y_{{{t}}}",
            (f"dy{t}",) + ((*(f"delta_a{q}{t + 1}" for q in GATES), "W") if later else ()),
            hint=f"δh{s} collects δy{s} and what step {t + 1} sends back through W" if later else
            f"δh{s} of the last step is δy{s}"))
        backward.quantities.append(Quantity(
            f"delta_c{t}", f"δc{s}", rf"\delta c_{{{t}}}", as_display(dc),
            f"δh{s} ⊙ o{s} ⊙ (1 − tanh²(c{s}))" + (f" + δc{n} ⊙ f{n}" if later else ""),
            rf"\delta h_{{{t}}} \odot o_{{{t}}} \odot (1 - \tanh^2 c_{{{t}}})"
            + (rf" + \delta c_{{{t + 1}}} \odot f_{{{t + 1}}}" if later else ""),
            (f"delta_h{t}", f"o{t}", f"c{t}") + ((f"delta_c{t + 1}", f"f{t + 1}") if later else ()),
            hint="the path through h (o and tanh′) plus the path through the next cell (f)"))
        p = t - 1
        rules = {
            "i": (f"δc{s} ⊙ g{s} ⊙ i{s}(1 − i{s})",
                  rf"\delta c_{{{t}}} \odot g_{{{t}}} \odot i_{{{t}}}(1 - i_{{{t}}})",
                  (f"delta_c{t}", f"g{t}", f"i{t}")),
            "f": (f"δc{s} ⊙ c{sub(p)} ⊙ f{s}(1 − f{s})",
                  rf"\delta c_{{{t}}} \odot c_{{{p}}} \odot f_{{{t}}}(1 - f_{{{t}}})",
                  (f"delta_c{t}", f"f{t}") + ((f"c{p}",) if p else ())),
            "o": (f"δh{s} ⊙ tanh(c{s}) ⊙ o{s}(1 − o{s})",
                  rf"\delta h_{{{t}}} \odot \tanh(c_{{{t}}}) \odot o_{{{t}}}(1 - o_{{{t}}})",
                  (f"delta_h{t}", f"c{t}", f"o{t}")),
            "g": (f"δc{s} ⊙ i{s} ⊙ (1 − g{s}²)", rf"\delta c_{{{t}}} \odot i_{{{t}}} \odot (1 - g_{{{t}}}^2)",
                  (f"delta_c{t}", f"i{t}", f"g{t}"))}
        for q, name in enumerate(GATES):
            text, text_tex, deps = rules[name]
            backward.quantities.append(Quantity(
                f"delta_a{name}{t}", f"δa{s}{_SUP[name]}", rf"\delta a^{{{name}}}_{{{t}}}",
                gate(tr["dgates"], t, q), text, text_tex, deps,
                hint=f"the {name} gate: the delta that reaches it times its derivative"))
        backward.quantities.append(Quantity(
            f"delta_x{t}", f"δx{s}", rf"\delta x_{{{t}}}", as_display(xt.delta_view()[0, t - 1]),
            f"δa{s}·Uᵀ", rf"\delta a_{{{t}}} U^T", (*(f"delta_a{q}{t}" for q in GATES), "U"),
            hint="the product of all four gate deltas with Uᵀ"))
        dc_next = dc * f
    all_da = tuple(f"delta_a{q}{t}" for t in range(1, steps + 1) for q in GATES)
    eta = number(learning_rate)
    grads, update = Section("Gradients of the parameters"), Section(f"One SGD step, η = {eta}")
    for key, sym, tex, value, text, deps in [
            ("U", "U", "U", layer.U.view(), ("Σ_t x_tᵀ·δa_t", r"\sum_t x_t^T \delta a_t"),
             tuple(f"x{t}" for t in range(1, steps + 1))),
            ("W", "W", "W", layer.W.view(), ("Σ_t h_{t−1}ᵀ·δa_t (h₀ = 0)", r"\sum_t h_{t-1}^T \delta a_t"),
             tuple(f"h{t}" for t in range(1, steps))),
            ("bias", "bias", r"\vec{bias}", layer.bias.view(), ("Σ_t δa_t", r"\sum_t \delta a_t"), ())]:
        grad = getattr(layer, key).delta_view().copy()
        grads.quantities.append(Quantity(
            f"dL_d{key}", f"∂L/∂{sym}", rf"\frac{{\partial L}}{{\partial {tex}}}", grad, text[0],
            text[1], deps + all_da,
            hint="the sum over the steps of the outer products"))
        update.quantities.append(Quantity(
            f"{key}_new", f"{sym} (new)", rf"{tex}_{{\text{{new}}}}", value - learning_rate * grad,
            f"{sym} − {eta}·∂L/∂{sym}", rf"{tex} - {eta} \frac{{\partial L}}{{\partial {tex}}}",
            (key, f"dL_d{key}"), hint=f"the step {sym} − η·∂L/∂{sym}"))
    description = (f"An LSTM with F = {features} input(s) and H = {hidden} unit(s) over T = {steps} "
                   "steps, in the framework's row-vector convention: a_t = x_t·U + h_{t−1}·W + bias "
                   "holds the four gate columns in the order i, f, o, g; i, f, o = σ(·), g = tanh(·), "
                   "c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t). δy_t is what the layer above sends "
                   "back to h_t; δa_t are the deltas of the pre-activations.")
    return Worksheet(title, description, [given, forward, backward, grads, update], key_prefix="lstm")
