"""Week 3 checks: one LSTM step, the forward over a sequence, backpropagation through time, delta weights, training.

The framework's :class:`framework.layers.lstm.LSTM` is the reference. The
per-step quantities it does not expose (gates, δh_t, δc_t, δa_t of every
step) come from :func:`run`, a plain-NumPy LSTM that is first checked
against the framework's layer on the same case (outputs, states, δX and
every parameter delta), so the per-step values are the framework's. With
``bugs`` :func:`run` also computes the known wrong formulas of the mistake
catalog; when a student's first wrong quantity equals one, the report says
which. See ``exercises/CONTRIBUTING.md``.
"""
from __future__ import annotations

import numpy as np

import framework
from framework.data import load_digits_images, train_test_split
from framework.grading import (Exercise, LayerCase, Submission, call, check_layer_against,
                               compare_values, fail)
from framework.layers.lstm import LSTM as RefLSTM

F64 = np.float64
GATE_NAMES = {"i": "input gate", "f": "forget gate", "o": "output gate", "g": "candidate"}

# Known wrong formulas, by the name the report shows (the catalog matches substrings).
BUG_NAMES = {
    "order_ifgo": "gates sliced in PyTorch's order i, f, g, o instead of i, f, o, g",
    "h_no_tanh": "h_t = o_t ⊙ c_t (the tanh of c_t is missing)",
    "no_bias": "a_t = x_t·U + h_{t−1}·W without the bias",
    "c_not_carried": "c_{t−1} = 0 at every step (c_t is not passed on to the next step)",
    "state_kept": "the state of the previous forward as h_{−1}, c_{−1} (not reset to 0)",
    "no_recurrent": "δh_t = δy_t only: the recurrent delta δa_{t+1}·Wᵀ from step t+1 is missing",
    "dc_no_forget": "δc_t + δc_{t+1} carried back without ⊙ f_{t+1} (not through the forget gate)",
    "dc_not_carried": "δc_t = δh_t ⊙ o_t ⊙ tanh′(c_t) only: δc_{t+1}·f_{t+1} is not carried back",
    "tanh_prime_of_c": "tanh′ as 1 − c_t² instead of 1 − tanh²(c_t)",
    "g_prime_sigmoid": "g′ as g(1 − g) (σ′ used for the tanh of the candidate)",
    "forget_grad_c_t": "δa_f = δc_t ⊙ c_t ⊙ f(1 − f): c_t instead of c_{t−1}",
    "wrap_c_prev": "c_{t−1} at t = 0 read as c[:, −1] = c_{T−1} (Python's negative index wraps)",
    "dW_h_t": "∂W = Σ_t h_tᵀ·δa_t: h_t instead of h_{t−1}",
    "dW_wrap": "h_{t−1} at t = 0 read as h[:, −1] = h_{T−1} (Python's negative index wraps)",
    "last_step_only": "only the last step's term (= instead of += in the sum over t)",
}


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def run(U, W, b, X, dy=None, bugs=(), h0=None, c0=None) -> dict:
    """A plain-NumPy LSTM with every per-step quantity; ``bugs`` switches on known wrong formulas.

    Args:
        U, W, b: ``[F, 4H]``, ``[H, 4H]``, ``[4H]`` (gate order i, f, o, g).
        X: ``[N, T, F]``.
        dy: ``[N, T, H]`` output deltas (zeros at steps without an output), or None.
        bugs: names from :data:`BUG_NAMES`.
        h0, c0: initial state ``[N, H]`` (default zeros).

    Returns:
        ``gates`` [N, T, 4H], ``c``, ``h`` [N, T, H]; with ``dy`` also ``delta_h``,
        ``delta_c`` [N, T, H], ``delta_a`` [N, T, 4H], ``dX`` [N, T, F], ``dU``, ``dW``, ``db``.
    """
    U, W, b, X = (np.asarray(v, dtype=F64) for v in (U, W, b, X))
    N, T, F = X.shape
    H = W.shape[0]
    order = (0, 1, 3, 2) if "order_ifgo" in bugs else (0, 1, 2, 3)
    gates, c, h = np.zeros((N, T, 4 * H)), np.zeros((N, T, H)), np.zeros((N, T, H))
    hp = np.zeros((N, H)) if h0 is None else np.asarray(h0, dtype=F64)
    cp = np.zeros((N, H)) if c0 is None else np.asarray(c0, dtype=F64)
    for t in range(T):
        a = X[:, t] @ U + hp @ W + (0 if "no_bias" in bugs else b)
        blk = [a[:, q * H:(q + 1) * H] for q in order]
        i, f, o, g = _sig(blk[0]), _sig(blk[1]), _sig(blk[2]), np.tanh(blk[3])
        ct = f * (0 if "c_not_carried" in bugs else cp) + i * g
        ht = o * (ct if "h_no_tanh" in bugs else np.tanh(ct))
        gates[:, t], c[:, t], h[:, t] = np.concatenate([i, f, o, g], axis=1), ct, ht
        hp, cp = ht, ct
    out = {"gates": gates, "c": c, "h": h}
    if dy is None:
        return out
    dy = np.asarray(dy, dtype=F64)
    dh_all, dc_all, da = np.zeros((N, T, H)), np.zeros((N, T, H)), np.zeros((N, T, 4 * H))
    c_init = np.zeros((N, H)) if c0 is None else np.asarray(c0, dtype=F64)
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, o, g = (gates[:, t, q * H:(q + 1) * H] for q in range(4))
        if "wrap_c_prev" in bugs:
            c_prev = c[:, t - 1]
        else:
            c_prev = c[:, t - 1] if t > 0 else c_init
        tc = np.tanh(c[:, t])
        dh = dy[:, t].copy()
        if t + 1 < T and "no_recurrent" not in bugs:
            dh += da[:, t + 1] @ W.T
        tprime = 1 - c[:, t] ** 2 if "tanh_prime_of_c" in bugs else 1 - tc ** 2
        dc = (0 if "dc_not_carried" in bugs else dc_next) + dh * o * tprime
        dh_all[:, t], dc_all[:, t] = dh, dc
        da[:, t, 0:H] = dc * g * i * (1 - i)
        da[:, t, H:2 * H] = dc * (c[:, t] if "forget_grad_c_t" in bugs else c_prev) * f * (1 - f)
        da[:, t, 2 * H:3 * H] = dh * tc * o * (1 - o)
        da[:, t, 3 * H:] = dc * i * (g * (1 - g) if "g_prime_sigmoid" in bugs else 1 - g ** 2)
        dc_next = dc if "dc_no_forget" in bugs else dc * f
    h_init = np.zeros((N, H)) if h0 is None else np.asarray(h0, dtype=F64)
    dU, dW = np.zeros_like(U), np.zeros_like(W)
    for t in range(T):
        if "dW_h_t" in bugs:
            h_prev = h[:, t]
        elif "dW_wrap" in bugs:
            h_prev = h[:, t - 1]
        else:
            h_prev = h[:, t - 1] if t > 0 else h_init
        if "last_step_only" in bugs:
            dU, dW = X[:, t].T @ da[:, t], h_prev.T @ da[:, t]
        else:
            dU, dW = dU + X[:, t].T @ da[:, t], dW + h_prev.T @ da[:, t]
    out.update(delta_h=dh_all, delta_c=dc_all, delta_a=da, dX=da @ U.T, dU=dU, dW=dW,
               db=da.sum(axis=(0, 1)))
    return out


def _reference(U, W, b, X, dy, return_sequences, h0=None, c0=None) -> dict:
    """:func:`run` without bugs, verified against the framework's LSTM on the same case."""
    N, T, F = X.shape
    H = W.shape[0]
    ref = RefLSTM(F, H, return_sequences=return_sequences, weights=(U, W, b), dtype=F64)
    if h0 is not None:
        ref.set_initial_state(h0, c0)
    x = framework.Tensor.from_numpy(X, dtype=F64)
    y = framework.Tensor(ref.output_shape(x.shape), dtype=F64)
    ref.forward([x], [y])
    dyseq = np.asarray(dy, dtype=F64)
    y.delta_view()[...] = dyseq if return_sequences else dyseq[:, -1]
    ref.backward([y], [x])
    ref.calculate_delta_weights([y], [x])
    mine = run(U, W, b, X, dyseq, h0=h0, c0=c0)
    hs, cs = ref.states()
    framework_values = {"h": hs, "c": cs, "dX": x.delta_view(), "dU": ref.U.delta_view(),
                        "dW": ref.W.delta_view(), "db": ref.bias.deltas}
    for k, v in framework_values.items():
        if not np.allclose(mine[k], v, rtol=1e-9, atol=1e-12):
            raise RuntimeError(f"week 3 checks: the per-step reference disagrees with "
                               f"framework.LSTM on {k}; the checker is broken, not your code")
    mine["Y"] = y.view().copy()
    return mine


def _weights(F: int, H: int, seed: int):
    rng = np.random.default_rng(seed)
    return (0.6 * rng.standard_normal((F, 4 * H)), 0.6 * rng.standard_normal((H, 4 * H)),
            0.4 * rng.standard_normal(4 * H))


def _alts(U, W, b, X, dy, names, key, pick, h0=None, c0=None) -> dict:
    out = {}
    for name in names:
        v = run(U, W, b, X, dy, bugs=(name,), h0=h0, c0=c0)
        out[BUG_NAMES[name]] = pick(v[key])
    return out


def _attribute(layer, name: str, shape: tuple, method: str, meaning: str, case: str):
    v = getattr(layer, name, None)
    if v is None:
        fail(method, f"attribute self.{name}", f"after {method}, self.{name} must hold {meaning}, "
             f"an array {list(shape)}; it is {'missing' if not hasattr(layer, name) else 'None'}",
             case=case)
    try:
        a = np.asarray(v, dtype=F64)
    except (TypeError, ValueError) as e:
        fail(method, f"attribute self.{name}", f"is not an array of numbers ({e}); store {meaning} as an "
             f"array {list(shape)}", case=case)
    if a.shape != tuple(shape):
        fail(method, f"attribute self.{name}", f"has shape {a.shape}, expected {tuple(shape)} ({meaning}): "
             f"batch first, then the time step (self.{name}[:, t] is step t)", case=case)
    return a


def _blocks(H: int):
    return [(q, name, slice(k * H, (k + 1) * H)) for k, (q, name) in enumerate(GATE_NAMES.items())]


# -- 3.1 one step ------------------------------------------------------------------------------
CELL_BUGS = ("order_ifgo", "h_no_tanh", "no_bias")


def check_cell(sub: Submission) -> None:
    """``cell_forward`` on one step with a nonzero previous state; gates, c_t, h_t against the reference."""
    cls = sub.get("lstm", "LSTM")
    for n, f, h, seed in [(3, 3, 2, 1), (4, 2, 3, 2)]:
        U, W, b = _weights(f, h, seed)
        rng = np.random.default_rng(seed + 10)
        x_t, h_prev, c_prev = (rng.standard_normal(s) for s in [(n, f), (n, h), (n, h)])
        case = f"LSTM({f}, {h}), one step, batch {n}, random h_{{t−1}} and c_{{t−1}}"
        layer = call("__init__", "the layer", cls, f, h, weights=(U, W, b), dtype=F64, case=case)
        got = call("cell_forward", "(h_t, c_t, gates)", layer.cell_forward, x_t, h_prev, c_prev,
                   case=case)
        if not isinstance(got, tuple) or len(got) != 3:
            fail("cell_forward", "(h_t, c_t, gates)", "must return the tuple (h_t, c_t, gates)",
                 case=case)
        X = x_t[:, None, :]
        ref = _reference(U, W, b, X, np.zeros((n, 1, h)), True, h_prev, c_prev)
        gates = np.asarray(got[2], dtype=F64)
        if gates.shape != (n, 4 * h):
            fail("cell_forward", "gates", f"has shape {gates.shape}, expected {(n, 4 * h)}: "
                 f"the activations [i | f | o | g] side by side", case=case)
        for q, name, cols in _blocks(h):
            compare_values("cell_forward", f"gate {q}_t ({name}), gates[:, {cols.start}:{cols.stop}]",
                           gates[:, cols], ref["gates"][:, 0, cols], case=case,
                           alternatives=_alts(U, W, b, X, None, CELL_BUGS, "gates",
                                              lambda v: v[:, 0, cols], h_prev, c_prev))
        for k, idx, q in [("c", 1, "cell state c_t"), ("h", 0, "hidden state h_t")]:
            compare_values("cell_forward", q, got[idx], ref[k][:, 0], case=case,
                           alternatives=_alts(U, W, b, X, None, CELL_BUGS, k,
                                              lambda v: v[:, 0], h_prev, c_prev))


# -- 3.2 the sequence ----------------------------------------------------------------------------
SEQ_CASES = [(3, 4, 3, 2, True, 3), (4, 3, 2, 3, False, 4)]  # N, T, F, H, return_sequences, seed
# The README's "by hand" example: one unit over two steps, L = h_1 (δy_0 = 0, δy_1 = 1).
HAND = {"U": [[0.4, -0.2, 0.6, 0.8]], "W": [[0.1, 0.3, -0.5, 0.7]], "bias": [0.0, 1.0, 0.0, 0.0],
        "X": [[[1.0], [2.0]]], "dy": [[[0.0], [1.0]]]}


def _sequence_cases(seed_offset: int):
    """``(U, W, b, X, dy, return_sequences, case)``: the README's hand example first, then random ones."""
    U, W, b, X, dy = (np.asarray(HAND[k], dtype=F64) for k in ("U", "W", "bias", "X", "dy"))
    yield U, W, b, X, dy, True, _describe(1, 2, 1, 1, True) + ": the README's example by hand"
    for n, t, f, h, rs, seed in SEQ_CASES:
        U, W, b = _weights(f, h, seed)
        rng = np.random.default_rng(seed + seed_offset)
        X = rng.standard_normal((n, t, f))
        dy = rng.standard_normal((n, t, h))
        if not rs:
            dy[:, :-1] = 0.0
        yield U, W, b, X, dy, rs, _describe(n, t, f, h, rs)
SEQ_BUGS = ("c_not_carried", "order_ifgo", "h_no_tanh", "no_bias")


def _describe(n, t, f, h, rs) -> str:
    return (f"LSTM({f}, {h}, return_sequences={rs}), input [{n}, {t}, {f}] (batch {n}, "
            f"{t} steps), float64")


def _student_forward(cls, U, W, b, X, rs, case, layer=None):
    n, t, f = X.shape
    h = W.shape[0]
    if layer is None:
        layer = call("__init__", "the layer", cls, f, h, return_sequences=rs, weights=(U, W, b),
                     dtype=F64, case=case)
    x = framework.Tensor.from_numpy(X, dtype=F64)
    y = framework.Tensor((n, t, h) if rs else (n, h), dtype=F64)
    y.elements[...] = 1e3  # junk: forward must overwrite
    call("forward", "output Y", layer.forward, [x], [y], case=case)
    return layer, x, y


def _compare_steps(layer, ref, U, W, b, X, case, bugs, h0=None, c0=None, quantity_suffix=""):
    n, T, _ = X.shape
    H = W.shape[0]
    gates = _attribute(layer, "gates", (n, T, 4 * H), "forward", "the gate activations i|f|o|g "
                       "of every step", case)
    c = _attribute(layer, "c", (n, T, H), "forward", "c_t of every step", case)
    h = _attribute(layer, "h", (n, T, H), "forward", "h_t of every step", case)
    for t in range(T):
        for q, name, cols in _blocks(H):
            compare_values("forward", f"gate {q}_t ({name}) at step {t}{quantity_suffix}",
                           gates[:, t, cols], ref["gates"][:, t, cols], case=case,
                           alternatives=_alts(U, W, b, X, None, bugs, "gates",
                                              lambda v: v[:, t, cols], h0, c0))
        for key, arr, q in [("c", c, "cell state c_t"), ("h", h, "hidden state h_t")]:
            compare_values("forward", f"{q} at step {t}{quantity_suffix}", arr[:, t],
                           ref[key][:, t], case=case,
                           alternatives=_alts(U, W, b, X, None, bugs, key, lambda v: v[:, t],
                                              h0, c0))


def check_sequence_forward(sub: Submission) -> None:
    """forward over whole sequences, both output modes: every step's gates, c_t, h_t, then Y; then a second batch."""
    cls = sub.get("lstm", "LSTM")
    for U, W, b, X, _, rs, case in _sequence_cases(20):
        n, t, f = X.shape
        h = W.shape[0]
        layer, x, y = _student_forward(cls, U, W, b, X, rs, case)
        ref = _reference(U, W, b, X, np.zeros((n, t, h)), rs)
        _compare_steps(layer, ref, U, W, b, X, case, SEQ_BUGS)
        hs = ref["h"]
        alts = {"h_t written in row-major order (y.elements = h.ravel()): write y.view()[...] = h":
                hs.ravel().reshape(hs.shape, order="F")} if rs else \
            {"h_0, the first step, instead of h_{T−1}": hs[:, 0],
             "the output written in row-major order (y.elements = ...ravel())":
             hs[:, -1].ravel().reshape((n, h), order="F")}
        compare_values("forward", "output Y", y.view(), ref["Y"], case=case, alternatives=alts)
        # a second batch through the same layer starts again from h_{−1} = c_{−1} = 0
        X2 = np.random.default_rng(n + 30).standard_normal((n, t, f))
        case2 = case + ", the second forward of the layer (another batch)"
        _student_forward(cls, U, W, b, X2, rs, case2, layer)
        ref2 = _reference(U, W, b, X2, np.zeros((n, t, h)), rs)
        kept = run(U, W, b, X2, h0=ref["h"][:, -1], c0=ref["c"][:, -1])
        c2 = _attribute(layer, "c", (n, t, h), "forward", "c_t of every step", case2)
        compare_values("forward", "cell state c_t at step 0 of a second batch", c2[:, 0],
                       ref2["c"][:, 0], case=case2,
                       alternatives={BUG_NAMES["state_kept"]: kept["c"][:, 0]})
        _compare_steps(layer, ref2, U, W, b, X2, case2, SEQ_BUGS, quantity_suffix=" (2nd batch)")


def _forward_or_reference_state(cls, U, W, b, X, rs, case, ref):
    """The student's forward; when it is not written yet (3.2 open), the reference's states instead.

    So backward (3.3) and the delta weights (3.4) can be checked, and a
    skeleton fails them with their own ``Exercise 3.k`` message. When forward
    runs, its output must be right (else: pass 3.2 first).
    """
    n, t, f = X.shape
    h = W.shape[0]
    layer = call("__init__", "the layer", cls, f, h, return_sequences=rs, weights=(U, W, b),
                 dtype=F64, case=case)
    x = framework.Tensor.from_numpy(X, dtype=F64)
    y = framework.Tensor((n, t, h) if rs else (n, h), dtype=F64)
    try:
        layer.forward([x], [y])
    except NotImplementedError:
        layer.gates, layer.c, layer.h = (ref[k].copy() for k in ("gates", "c", "h"))
        layer.delta_h = layer.delta_c = layer.delta_a = None
        y.view()[...] = ref["Y"]
        return layer, x, y
    except Exception:  # noqa: BLE001 - report it as forward's failure, with the student's line
        call("forward", "output Y", layer.forward, [x], [y], case=case)
    compare_values("forward", "output Y", y.view(), ref["Y"], case=case,
                   message="forward is wrong, so the deltas cannot be checked: pass 3.2 first")
    return layer, x, y


# -- 3.3 backpropagation through time -------------------------------------------------------------
BPTT_BUGS = ("no_recurrent", "dc_no_forget", "dc_not_carried", "tanh_prime_of_c",
             "g_prime_sigmoid", "forget_grad_c_t", "wrap_c_prev")


def check_bptt(sub: Submission) -> None:
    """backward: per step t = T−1 … 0, δh_t, δc_t, δa_t (by gate), then δX and the overwrite contract."""
    cls = sub.get("lstm", "LSTM")
    rng = np.random.default_rng(40)
    for U, W, b, X, dy, rs, case in _sequence_cases(40):
        n, t, f = X.shape
        h = W.shape[0]
        ref = _reference(U, W, b, X, dy, rs)
        layer, x, y = _forward_or_reference_state(cls, U, W, b, X, rs, case, ref)
        y.delta_view()[...] = dy if rs else dy[:, -1]
        x.deltas[...] = 0.0
        call("backward", "input delta δX", layer.backward, [y], [x], case=case)
        shapes = {"delta_h": (n, t, h), "delta_c": (n, t, h), "delta_a": (n, t, 4 * h)}
        got = {k: _attribute(layer, k, s, "backward", m, case) for (k, s), m in
               zip(shapes.items(), ["δh_t of every step (output + recurrent delta)",
                                    "δc_t of every step", "δa_t, the pre-activation deltas"])}
        for step in reversed(range(t)):
            def alts(key, pick):
                return _alts(U, W, b, X, dy, BPTT_BUGS, key, pick)
            compare_values("backward", f"δh_t at step {step} (self.delta_h[:, {step}])",
                           got["delta_h"][:, step], ref["delta_h"][:, step], case=case,
                           alternatives=alts("delta_h", lambda v: v[:, step]), batch=n)
            compare_values("backward", f"δc_t at step {step} (self.delta_c[:, {step}])",
                           got["delta_c"][:, step], ref["delta_c"][:, step], case=case,
                           alternatives=alts("delta_c", lambda v: v[:, step]), batch=n)
            for q, name, cols in _blocks(h):
                compare_values("backward", f"δa_t[{q}] ({name}) at step {step} "
                               f"(self.delta_a[:, {step}, {cols.start}:{cols.stop}])",
                               got["delta_a"][:, step, cols], ref["delta_a"][:, step, cols],
                               case=case, alternatives=alts("delta_a", lambda v: v[:, step, cols]),
                               batch=n)
        compare_values("backward", "input delta δX", x.delta_view(), ref["dX"], case=case, batch=n)
        x.delta_view()[...] = rng.standard_normal(X.shape)
        call("backward", "input delta δX", layer.backward, [y], [x], case=case)
        compare_values("backward", "input delta δX", x.delta_view(), ref["dX"], case=case,
                       contract="overwrite",
                       message="backward must overwrite (=) the input deltas, but the result "
                               "depends on what was in them before")


# -- 3.4 delta weights ----------------------------------------------------------------------------
DW_BUGS = {"U": ("last_step_only",), "W": ("dW_h_t", "dW_wrap", "last_step_only"),
           "bias": ()}


def _dw_alt(param: str, bug: str):
    key = {"U": "dU", "W": "dW", "bias": "db"}[param]

    def fn(x, y, dy, p):
        dyseq = dy if dy.ndim == 3 else np.concatenate(
            [np.zeros((dy.shape[0], x.shape[1] - 1, dy.shape[1])), dy[:, None]], axis=1)
        return run(p["U"], p["W"], p["bias"], x, dyseq, bugs=(bug,))[key]
    return fn


def _probe_delta_weights(cls) -> None:
    """Run calculate_delta_weights once on reference states (forward/backward may still be open).

    A skeleton then fails 3.4 with its own message; the real check follows.
    """
    n, t, f, h, rs, seed = SEQ_CASES[0]
    U, W, b = _weights(f, h, seed)
    rng = np.random.default_rng(seed + 60)
    X, dy = rng.standard_normal((n, t, f)), rng.standard_normal((n, t, h))
    case = _describe(n, t, f, h, rs)
    ref = _reference(U, W, b, X, dy, rs)
    layer, x, y = _forward_or_reference_state(cls, U, W, b, X, rs, case, ref)
    y.delta_view()[...] = dy
    try:
        layer.backward([y], [x])
    except NotImplementedError:
        layer.delta_h, layer.delta_c, layer.delta_a = (ref[k].copy() for k in
                                                       ("delta_h", "delta_c", "delta_a"))
    except Exception:  # noqa: BLE001 - the real check below reports backward's error
        return
    call("calculate_delta_weights", "parameter deltas", layer.calculate_delta_weights, [y], [x],
         case=case)


def check_delta_weights(sub: Submission) -> None:
    """The whole layer protocol against framework.LSTM (incl. finite differences), then delta weights without a backward."""
    cls = sub.get("lstm", "LSTM")
    cases = []
    for n, t, f, h, rs, seed in SEQ_CASES:
        U, W, b = _weights(f, h, seed)
        cases.append(LayerCase((n, t, f), (f, h), {"return_sequences": rs, "weights": (U, W, b),
                                                    "dtype": F64}))
    alternatives = {p: {BUG_NAMES[bug]: _dw_alt(p, bug) for bug in bugs}
                    for p, bugs in DW_BUGS.items()}
    _probe_delta_weights(cls)
    check_layer_against(cls, RefLSTM, cases, alternatives=alternatives)
    # A Network skips the first layer's backward: calculate_delta_weights must then run the BPTT
    # itself, on this batch (not on the deltas of an earlier one).
    n, t, f, h, rs, seed = SEQ_CASES[0]
    U, W, b = _weights(f, h, seed)
    rng = np.random.default_rng(seed + 50)
    X1, X2 = rng.standard_normal((n, t, f)), rng.standard_normal((n, t, f))
    dy1, dy2 = rng.standard_normal((n, t, h)), rng.standard_normal((n, t, h))
    case = _describe(n, t, f, h, rs) + "; forward, backward on batch 1, then forward and " \
                                       "calculate_delta_weights on batch 2 without a backward"
    layer, x1, y1 = _student_forward(cls, U, W, b, X1, rs, case)
    y1.delta_view()[...] = dy1
    call("backward", "input delta δX", layer.backward, [y1], [x1], case=case)
    _, x2, y2 = _student_forward(cls, U, W, b, X2, rs, case, layer)
    y2.delta_view()[...] = dy2
    for p in layer.params:
        p.deltas[...] = 0.0
    call("calculate_delta_weights", "parameter deltas", layer.calculate_delta_weights, [y2], [x2],
         case=case)
    ref = _reference(U, W, b, X2, dy2, rs)
    ps = dict(zip(layer.param_names(), layer.params))
    for name, key in [("U", "dU"), ("W", "dW"), ("bias", "db")]:
        compare_values("calculate_delta_weights", f"delta of '{name}' (∂L/∂{name}) without a "
                       f"backward before", ps[name].delta_view(), ref[key], case=case,
                       alternatives={"the deltas of batch 1 (self.delta_a not reset in forward)":
                                     _stale_dw(U, W, b, X1, X2, dy1, key)},
                       message="calculate_delta_weights without a backward since the last "
                               "forward must run self.bptt on this batch's output deltas")


def _stale_dw(U, W, b, X1, X2, dy1, key):
    """What calculate_delta_weights gives on batch 2 when it reuses batch 1's δa."""
    r1, r2 = run(U, W, b, X1, dy1), run(U, W, b, X2)
    da = r1["delta_a"]
    n, t, h = r2["h"].shape
    if key == "db":
        return da.sum(axis=(0, 1))
    if key == "dU":
        return sum(X2[:, s].T @ da[:, s] for s in range(t))
    hprev = np.concatenate([np.zeros((n, 1, h)), r2["h"][:, :-1]], axis=1)
    return sum(hprev[:, s].T @ da[:, s] for s in range(t))


# -- 3.5 training -----------------------------------------------------------------------------------
TARGET_ACCURACY = 0.85


def check_training(sub: Submission) -> None:
    """to_sequences on the digits, then your LSTM network trained by the given ``train`` to ≥ 85 %."""
    to_seq = sub.get("train_sequences", "to_sequences")
    images, labels = load_digits_images()
    few = images[:5]
    got = call("to_sequences", "sequences [N, T, F]", to_seq, few, case="5 digit images [5, 8, 8, 1]")
    compare_values("to_sequences", "sequences [N, T, F]", got, few[..., 0],
                   case="5 digit images [5, 8, 8, 1]",
                   alternatives={"the columns as time steps (transposed): step t must be ROW t":
                                 few[..., 0].transpose(0, 2, 1)})
    build, train = sub.get("train_sequences", "build_network"), sub.get("train_sequences", "train")
    student_lstm = sub.get("lstm", "LSTM")
    network = call("build_network", "your network", build, case="seed 0")
    if not any(isinstance(layer, student_lstm) for layer in getattr(network, "layers", [])):
        fail("build_network", "your network", "has no layer of your LSTM class (lstm.LSTM): "
             "build the network from your layer", case="seed 0")
    x = call("to_sequences", "sequences", to_seq, images, case="all digits")
    x_train, y_train, x_test, y_test = train_test_split(np.asarray(x), labels, test_fraction=0.2,
                                                        seed=0)
    call("train", "the trained network", train, network, x_train, y_train, case="digits")
    acc = float(np.mean(network.predict(x_test).argmax(axis=1) == y_test))
    if not acc >= TARGET_ACCURACY:
        fail("train", "test accuracy", f"{acc:.3f} on the held-out digits, expected at least "
             f"{TARGET_ACCURACY}", case="train_test_split(test_fraction=0.2, seed=0)", got=acc,
             expected=TARGET_ACCURACY)


EXERCISES = [
    Exercise("3.1", "LSTM cell: one step forward", 2, ("lstm.py",), check_cell),
    Exercise("3.2", "LSTM forward over a sequence", 2, ("lstm.py",), check_sequence_forward,
             requires=("3.1",)),
    Exercise("3.3", "Backpropagation through time", 3, ("lstm.py",), check_bptt,
             requires=("3.1", "3.2")),
    Exercise("3.4", "LSTM delta weights", 2, ("lstm.py",), check_delta_weights,
             requires=("3.1", "3.2", "3.3")),
    Exercise("3.5", "Training your LSTM on digits, row by row", 2,
             ("train_sequences.py", "lstm.py"), check_training, timeout=120,
             requires=("3.1", "3.2", "3.3", "3.4")),
]
