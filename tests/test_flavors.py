"""Tests for the optimizer flavors: two steps of every update rule against hand-derived numbers.

Common setup (float64 so the hand arithmetic is not blurred by float32):
    θ0 = [1, 1, 1], η = 0.1, g1 = [1, -2, 0.5], g2 = [0.5, 0.5, -1]
"""
from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from framework.optim import (FLAVORS, SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Flavor,
                             Momentum, Nesterov, RMSprop, get_flavor)
from framework.tensor import Tensor

LR = 0.1
G1 = [1.0, -2.0, 0.5]
G2 = [0.5, 0.5, -1.0]


def _param(values=(1.0, 1.0, 1.0)):
    return Tensor([len(values)], list(values), dtype=np.float64)


def _two_steps(flavor):
    p = _param()
    p.deltas = G1
    flavor.step([p], LR)
    after1 = p.elements.copy()
    p.deltas = G2
    flavor.step([p], LR)
    return after1, p.elements.copy()


def test_sgd():
    # θ1 = θ0 − η·g1 = [1 − 0.1, 1 + 0.2, 1 − 0.05]            = [0.9, 1.2, 0.95]
    # θ2 = θ1 − η·g2 = [0.9 − 0.05, 1.2 − 0.05, 0.95 + 0.1]      = [0.85, 1.15, 1.05]
    a1, a2 = _two_steps(SGD())
    np.testing.assert_allclose(a1, [0.9, 1.2, 0.95], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.85, 1.15, 1.05], rtol=1e-12)


def test_momentum_default_09():
    # v1 = −η·g1 = [−0.1, 0.2, −0.05];  θ1 = θ0 + v1 = [0.9, 1.2, 0.95]
    # v2 = 0.9·v1 − η·g2 = [−0.09 − 0.05, 0.18 − 0.05, −0.045 + 0.1] = [−0.14, 0.13, 0.055]
    # θ2 = θ1 + v2 = [0.76, 1.33, 1.005]
    a1, a2 = _two_steps(Momentum())
    np.testing.assert_allclose(a1, [0.9, 1.2, 0.95], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.76, 1.33, 1.005], rtol=1e-12)


def test_momentum_custom_05_is_used():
    # v2 = 0.5·v1 − η·g2 = [−0.05 − 0.05, 0.1 − 0.05, −0.025 + 0.1] = [−0.1, 0.05, 0.075]
    # θ2 = θ1 + v2 = [0.8, 1.25, 1.025]   (0.9 gave [0.76, 1.33, 1.005])
    a1, a2 = _two_steps(Momentum(momentum=0.5))
    np.testing.assert_allclose(a1, [0.9, 1.2, 0.95], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.8, 1.25, 1.025], rtol=1e-12)


def test_nesterov():
    # v1 = −η·g1 = [−0.1, 0.2, −0.05]
    # θ1 = θ0 + 0.9·v1 − η·g1 = θ0 + [−0.09, 0.18, −0.045] + [−0.1, 0.2, −0.05] = [0.81, 1.38, 0.905]
    # v2 = 0.9·v1 − η·g2 = [−0.14, 0.13, 0.055]
    # θ2 = θ1 + 0.9·v2 − η·g2 = θ1 + [−0.126, 0.117, 0.0495] + [−0.05, −0.05, 0.1]
    #    = [0.81 − 0.176, 1.38 + 0.067, 0.905 + 0.1495] = [0.634, 1.447, 1.0545]
    a1, a2 = _two_steps(Nesterov())
    np.testing.assert_allclose(a1, [0.81, 1.38, 0.905], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.634, 1.447, 1.0545], rtol=1e-12)


def test_adagrad():
    # G1 = g1² = [1, 4, 0.25];  θ1 = θ0 − η·g1/sqrt(G1) = θ0 − 0.1·sign(g1) = [0.9, 1.1, 0.9]
    # G2 = G1 + g2² = [1.25, 4.25, 1.25], sqrt = [1.1180340, 2.0615528, 1.1180340]
    # θ2 = θ1 − η·g2/sqrt(G2) = [0.9 − 0.05/1.1180340, 1.1 − 0.05/2.0615528, 0.9 + 0.1/1.1180340]
    #    = [0.9 − 0.0447214, 1.1 − 0.0242536, 0.9 + 0.0894427] = [0.8552786, 1.0757464, 0.9894427]
    # (ε = 1e-8 changes these by < 1e-8)
    a1, a2 = _two_steps(Adagrad())
    np.testing.assert_allclose(a1, [0.9, 1.1, 0.9], rtol=1e-7)
    np.testing.assert_allclose(a2, [0.8552786, 1.0757464, 0.9894427], rtol=1e-7)


def test_rmsprop():
    # r1 = 0.1·g1² = [0.1, 0.4, 0.025];  g1/sqrt(r1) = sign(g1)/sqrt(0.1) = sign(g1)·3.1622777
    # θ1 = θ0 − 0.1·3.1622777·sign(g1) = [0.6837723, 1.3162277, 0.6837723]
    # r2 = 0.9·r1 + 0.1·g2² = [0.09 + 0.025, 0.36 + 0.025, 0.0225 + 0.1] = [0.115, 0.385, 0.1225]
    # sqrt(r2) = [0.3391165, 0.6204837, 0.35]
    # η·g2/sqrt(r2) = [0.05/0.3391165, 0.05/0.6204837, −0.1/0.35] = [0.1474420, 0.0805823, −0.2857143]
    # θ2 = [0.5363303, 1.2356455, 0.9694865]
    a1, a2 = _two_steps(RMSprop())
    np.testing.assert_allclose(a1, [0.6837723, 1.3162277, 0.6837723], rtol=1e-7)
    np.testing.assert_allclose(a2, [0.5363303, 1.2356455, 0.9694865], rtol=1e-6)


def test_rmsprop_custom_rho():
    # ρ = 0.5: r1 = 0.5·g1² ; g1/sqrt(r1) = sign(g1)/sqrt(0.5) = sign(g1)·1.4142136
    # θ1 = θ0 − 0.14142136·sign(g1) = [0.8585786, 1.1414214, 0.8585786]
    a1, _ = _two_steps(RMSprop(rho=0.5))
    np.testing.assert_allclose(a1, [0.8585786, 1.1414214, 0.8585786], rtol=1e-7)


def test_adam():
    # step 1: m1 = 0.1·g1, v1 = 0.001·g1²; bias correction m̂ = m1/0.1 = g1, v̂ = v1/0.001 = g1²
    #   update = η·g1/|g1| = η·sign(g1)  ->  θ1 = [0.9, 1.1, 0.9]
    # step 2: m2 = 0.9·m1 + 0.1·g2 = 0.09·g1 + 0.1·g2 = [0.14, −0.13, −0.055]
    #   m̂2 = m2 / (1 − 0.9²) = m2 / 0.19 = [0.7368421, −0.6842105, −0.2894737]
    #   v2 = 0.999·0.001·g1² + 0.001·g2² = [0.000999 + 0.00025, 0.003996 + 0.00025, 0.00024975 + 0.001]
    #      = [0.001249, 0.004246, 0.00124975]
    #   v̂2 = v2 / (1 − 0.999²) = v2 / 0.001999 = [0.6248124, 2.1240620, 0.6251876]
    #   sqrt(v̂2) = [0.7904508, 1.4574162, 0.7906880]
    #   η·m̂2/sqrt(v̂2) = [0.0932180, −0.0469468, −0.0366104]
    #   θ2 = [0.9 − 0.0932180, 1.1 + 0.0469468, 0.9 + 0.0366104] = [0.8067820, 1.1469468, 0.9366104]
    a1, a2 = _two_steps(Adam())
    np.testing.assert_allclose(a1, [0.9, 1.1, 0.9], rtol=1e-7)
    np.testing.assert_allclose(a2, [0.8067820, 1.1469468, 0.9366104], rtol=1e-6)


def test_adam_first_step_is_lr_sign_for_any_gradient_scale():
    # with bias correction the first step is ≈ η·sign(g) whatever |g| is
    p = Tensor([4], [0, 0, 0, 0], dtype=np.float64)
    p.deltas = [1e-3, -1e3, 7.0, -0.25]
    Adam().step([p], 0.01)
    np.testing.assert_allclose(p.elements, [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


def test_one_element_param_float32():
    # SGD on a 1-element float32 parameter: 2 − 0.5·4 = 0, then 0 − 0.5·(−1) = 0.5
    p = Tensor([1], [2.0])
    f = get_flavor("sgd")
    p.deltas = [4.0]
    f.step([p], 0.5)
    assert p.elements.dtype == np.float32 and p[0] == 0.0
    p.deltas = [-1.0]
    f.step([p], 0.5)
    assert p[0] == 0.5


def test_step_reads_deltas_and_leaves_them():
    p = _param()
    p.deltas = G1
    SGD().step([p], LR)
    np.testing.assert_array_equal(p.deltas, G1)  # the trainer zeroes deltas, not the flavor


# -- state per parameter ------------------------------------------------------------------

def test_state_is_per_parameter():
    f = Momentum()
    a, b = _param(), _param()
    # a sees g1 then g2 (as in test_momentum_default_09); b sees 0 then g2
    a.deltas, b.deltas = G1, [0.0, 0.0, 0.0]
    f.step([a, b], LR)
    a.deltas, b.deltas = G2, G2
    f.step([a, b], LR)
    np.testing.assert_allclose(a.elements, [0.76, 1.33, 1.005], rtol=1e-12)
    # b: v1 = 0, θ1 = θ0; v2 = −η·g2 = [−0.05, −0.05, 0.1]; θ2 = [0.95, 0.95, 1.1]
    np.testing.assert_allclose(b.elements, [0.95, 0.95, 1.1], rtol=1e-12)
    assert len(f.state) == 2


def test_adam_bias_correction_is_per_parameter():
    f = Adam()
    a = _param()
    for _ in range(3):
        a.deltas = G1
        f.step([a], LR)
    b = _param()               # a new parameter (e.g. the trainer reused on a new network)
    b.deltas = G1
    f.step([b], LR)
    # fresh state: first update η·sign(g1) -> [0.9, 1.1, 0.9]
    np.testing.assert_allclose(b.elements, [0.9, 1.1, 0.9], rtol=1e-6)


def test_fresh_parameter_never_inherits_state_of_a_dead_one():
    f = Momentum()
    for _attempt in range(5):
        old = [_param() for _ in range(200)]
        for p in old:
            p.deltas = G1
        f.step(old, LR)
        old_ids = {id(p) for p in old}
        del old, p
        gc.collect()
        new = [_param() for _ in range(200)]
        if any(id(q) in old_ids for q in new):
            break
    # The flavor keeps its parameters alive, so ids are normally not reused at
    # all; either way every new parameter must start from a fresh velocity.
    for q in new:
        q.deltas = G1
    f.step(new, LR)
    # fresh velocity: θ1 = θ0 − η·g1 = [0.9, 1.2, 0.95] for every new parameter
    for q in new:
        np.testing.assert_allclose(q.elements, [0.9, 1.2, 0.95], rtol=1e-12)


# -- get_flavor ------------------------------------------------------------------------

@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("SGD", SGD), ("Momentum", Momentum),
                                       ("nesterov", Nesterov), ("ADAGRAD", Adagrad),
                                       ("RMSprop", RMSprop), ("adam", Adam), ("Adam", Adam),
                                       ("adadelta", Adadelta), ("Adamax", Adamax),
                                       ("AdamW", AdamW)])
def test_get_flavor_by_name_case_insensitive(name, cls):
    f = get_flavor(name)
    assert type(f) is cls
    assert f.state == {}


def test_get_flavor_returns_new_objects():
    assert get_flavor("adam") is not get_flavor("adam")


def test_unknown_flavor_lists_choices():
    with pytest.raises(ValueError) as e:
        get_flavor("adamz")
    msg = str(e.value)
    assert "'adamz'" in msg
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert name in msg
    assert "adamw" in msg
    assert set(FLAVORS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                            "adam", "adamax", "adamw"}


def test_flavor_object_passed_through_with_hyperparameters():
    m = Momentum(momentum=0.5)
    assert get_flavor(m) is m
    _, a2 = _two_steps(get_flavor(m))
    np.testing.assert_allclose(a2, [0.8, 1.25, 1.025], rtol=1e-12)  # not 0.9's [0.76, 1.33, 1.005]
    assert repr(Adam(beta1=0.8)) == "Adam(beta1=0.8, beta2=0.999, eps=1e-08)"


def test_base_flavor_update_not_implemented():
    p = _param()
    p.deltas = G1
    with pytest.raises(NotImplementedError):
        Flavor().step([p], LR)


# -- three steps of every rule against plain scalar arithmetic ----------------------------
# Each reference below walks one element through three steps with floats and math only;
# the flavor's NumPy code is never called, so an error in either shows as a mismatch.

G3 = [-1.0, 0.25, 2.0]


def _ref_sgd(th, gs):
    for g in gs:
        th = th - LR * g
        yield th


def _ref_momentum(th, gs, mu=0.9, nesterov=False):
    v = 0.0
    for g in gs:
        v = mu * v - LR * g
        th = th + (mu * v - LR * g if nesterov else v)
        yield th


def _ref_adagrad(th, gs, eps=1e-8):
    G = 0.0
    for g in gs:
        G += g * g
        th = th - LR * g / math.sqrt(G + eps)
        yield th


def _ref_rmsprop(th, gs, rho=0.9, eps=1e-8):
    r = 0.0
    for g in gs:
        r = rho * r + (1 - rho) * g * g
        th = th - LR * g / math.sqrt(r + eps)
        yield th


def _ref_adadelta(th, gs, rho=0.9, eps=1e-6):
    r = acc = 0.0
    for g in gs:
        r = rho * r + (1 - rho) * g * g
        d = LR * math.sqrt(acc + eps) / math.sqrt(r + eps) * g
        acc = rho * acc + (1 - rho) * d * d
        th = th - d
        yield th


def _ref_adam(th, gs, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    m = v = 0.0
    for t, g in enumerate(gs, start=1):
        th = th - LR * wd * th
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        th = th - LR * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
        yield th


def _ref_adamax(th, gs, b1=0.9, b2=0.999, eps=1e-8):
    m = u = 0.0
    for t, g in enumerate(gs, start=1):
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, abs(g))
        th = th - LR / (1 - b1 ** t) * m / (u + eps)
        yield th


REFERENCES = [
    (SGD, _ref_sgd), (Momentum, _ref_momentum),
    (Nesterov, lambda th, gs: _ref_momentum(th, gs, nesterov=True)),
    (Adagrad, _ref_adagrad), (RMSprop, _ref_rmsprop), (Adadelta, _ref_adadelta),
    (Adam, _ref_adam), (Adamax, _ref_adamax), (AdamW, lambda th, gs: _ref_adam(th, gs, wd=0.01)),
]


@pytest.mark.parametrize("cls, ref", REFERENCES, ids=[c.__name__ for c, _ in REFERENCES])
def test_three_steps_match_scalar_arithmetic(cls, ref):
    p, flavor = _param((1.0, 2.0, -0.5)), cls()
    got = []
    for g in (G1, G2, G3):
        p.deltas = g
        flavor.step([p], LR)
        got.append(p.elements.copy())
    for i, th0 in enumerate((1.0, 2.0, -0.5)):
        want = list(ref(th0, [G1[i], G2[i], G3[i]]))
        np.testing.assert_allclose([a[i] for a in got], want, rtol=1e-12, atol=1e-15)
    assert flavor.state_of(p)["t"] == 3


def test_adadelta_first_step_by_hand():
    # r1 = 0.1·g1² = [0.1, 0.4, 0.025]; Δ1 = η·sqrt(1e-6)/sqrt(r1 + 1e-6)·g1
    #    = 0.1·0.001·sign(g1)/sqrt(0.1) ... = 1e-4·[3.1622620, −3.1622738, 3.1622145]
    a1, _ = _two_steps(Adadelta())
    np.testing.assert_allclose(a1, [1 - 3.1622620e-4, 1 + 3.1622738e-4, 1 - 3.1622145e-4],
                               rtol=1e-9)


def test_adamax_first_step_by_hand():
    # m1 = 0.1·g1, u1 = |g1|;  θ1 = θ0 − η/(1 − 0.9)·0.1·g1/|g1| = θ0 − 0.1·sign(g1)
    a1, _ = _two_steps(Adamax())
    np.testing.assert_allclose(a1, [0.9, 1.1, 0.9], rtol=1e-7)


def test_adamw_decay_is_decoupled_from_the_moments():
    # zero gradient: Adam does nothing, AdamW still shrinks θ by η·λ = 0.1·0.5 per step
    p = _param((2.0, -4.0, 0.0))
    f = AdamW(weight_decay=0.5)
    for _ in range(3):
        p.deltas = [0.0, 0.0, 0.0]
        f.step([p], LR)
    np.testing.assert_allclose(p.elements, np.array([2.0, -4.0, 0.0]) * 0.95 ** 3, rtol=1e-12)
    np.testing.assert_array_equal(f.state_of(p)["m"], 0.0)


# -- the public state --------------------------------------------------------------------

def test_state_dict_round_trip_continues_exactly():
    pa, pb = _param(), _param()
    fa = Adam()
    pa.deltas = G1
    fa.step([pa], LR)
    saved = fa.state_dict([pa])
    assert saved[0]["t"] == 1 and saved[0]["m"] is not fa.state_of(pa)["m"]
    pb.elements[:] = pa.elements
    fb = Adam()
    fb.load_state_dict([pb], saved)
    for p, f in ((pa, fa), (pb, fb)):
        p.deltas = G2
        f.step([p], LR)
    np.testing.assert_array_equal(pa.elements, pb.elements)  # a fresh Adam would give another θ2
    fresh = _param(tuple(_two_steps(Adam())[0]))
    fresh.deltas = G2
    Adam().step([fresh], LR)
    assert not np.allclose(fresh.elements, pb.elements)


def test_state_of_is_settable():
    p = _param()
    f = Momentum()
    f.state_of(p)["v"] = np.array([1.0, 0.0, 0.0])
    p.deltas = [0.0, 0.0, 0.0]
    f.step([p], LR)
    np.testing.assert_allclose(p.elements, [1.9, 1.0, 1.0], rtol=1e-12)  # θ + 0.9·v


def test_load_state_dict_checks_counts_and_shapes():
    p = _param()
    with pytest.raises(ValueError, match="2 states for 1 parameters"):
        Adam().load_state_dict([p], [{}, {}])
    with pytest.raises(ValueError, match=r"slot 'm' has shape \(2,\), expected \(3,\)"):
        Adam().load_state_dict([p], [{"t": 1, "m": np.zeros(2)}])
