"""The engine: every operation's backward rule against finite differences, forks, order, modes, errors."""
import numpy as np
import pytest

from framework.autodiff import Value, no_grad, ops, to_dot, topological_order
from framework.autodiff.rules import RULES

RNG = np.random.default_rng(0)


def numeric_grad(f, arrays, i, eps=1e-6):
    """Central differences of the scalar ``f(*arrays)`` w.r.t. ``arrays[i]``."""
    x = arrays[i]
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        hi = f(*arrays)
        x[idx] = old - eps
        lo = f(*arrays)
        x[idx] = old
        g[idx] = (hi - lo) / (2 * eps)
    return g


def check(fn, *shapes, positive=False, tol=1e-6):
    """Check the gradient of every input of ``fn`` (Values -> Value) with a random linear readout."""
    arrays = [RNG.uniform(0.5, 2.0, s) if positive else RNG.standard_normal(s) for s in shapes]
    values = [Value(a, requires_grad=True) for a in arrays]
    out = fn(*values)
    w = RNG.standard_normal(out.shape)
    (out * w).sum().backward()

    def scalar(*arrs):
        with no_grad():
            return float((fn(*[Value(a) for a in arrs]).data * w).sum())

    for i, v in enumerate(values):
        num = numeric_grad(scalar, arrays, i)
        assert v.grad is not None and v.grad.shape == arrays[i].shape, f"input {i}: no gradient"
        err = np.max(np.abs(v.grad - num)) / max(1.0, np.max(np.abs(num)))
        assert err < tol, f"input {i}: max error {err:.2e}\nanalytic {v.grad}\nnumeric {num}"


BINARY = {"add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "maximum": ops.maximum}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)),
                                    ((1,), (2, 3))])
def test_binary_ops_broadcast_and_sum_gradients_back(name, shapes):
    check(BINARY[name], *shapes, positive=(name == "div"))


UNARY = {
    "neg": ops.neg, "exp": ops.exp, "tanh": ops.tanh, "sigmoid": ops.sigmoid,
    "pow3": lambda a: ops.pow(a, 3), "relu": ops.relu,
    "transpose": ops.transpose, "transpose_axes": lambda a: ops.transpose(a, (1, 2, 0)),
    "reshape": lambda a: a.reshape(6, 4), "reshape_F": lambda a: a.reshape((2, 12), order="F"),
    "sum_all": ops.sum, "sum_axis": lambda a: a.sum(axis=1), "sum_keep": lambda a: a.sum((0, 2), True),
    "mean": lambda a: a.mean(axis=-1), "max_all": ops.max, "max_axis": lambda a: a.max(axis=1),
    "max_keep": lambda a: a.max(axis=(0, 2), keepdims=True),
    "slice": lambda a: a[1:, ::2, 1], "int_index": lambda a: a[[0, 1, 1], 2],
    "mask": lambda a: a[a.data > 0], "pad": lambda a: ops.pad(a, [(1, 0), (0, 2), (1, 1)]),
    "softmax": ops.softmax, "softmax_axis1": lambda a: ops.softmax(a, axis=1),
    "log_softmax": ops.log_softmax, "where": lambda a: ops.where(a.data > 0.3, a, a * a),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_and_shape_ops(name):
    check(UNARY[name], (2, 3, 4))


@pytest.mark.parametrize("name", ["log", "sqrt", "pow_half"])
def test_ops_on_positive_numbers(name):
    fn = {"log": ops.log, "sqrt": ops.sqrt, "pow_half": lambda a: a ** 0.5}[name]
    check(fn, (3, 4), positive=True)


def test_matmul_plain_and_batched_with_broadcasting():
    check(ops.matmul, (3, 4), (4, 5))
    check(ops.matmul, (2, 3, 4), (4, 5))      # B broadcast over the batch: its gradient is summed
    check(ops.matmul, (2, 3, 4), (2, 4, 2))


def test_concatenate_and_stack():
    check(lambda a, b: ops.concatenate([a, b], axis=1), (2, 3), (2, 5))
    check(lambda a, b, c: ops.stack([a, b, c], axis=1), (2, 3), (2, 3), (2, 3))
    check(lambda a, b: ops.stack([a, b], axis=-1), (2, 3), (2, 3))


def test_losses():
    t = RNG.uniform(0, 1, (4, 5))
    t[1] = 0                                   # a masked row
    check(lambda z: ops.softmax_cross_entropy(z, t), (4, 5))
    check(lambda p: ops.cross_entropy(p, t), (4, 5), positive=True)
    check(lambda x: ops.mse(x, t), (4, 5))


def test_conv_and_pooling():
    check(lambda x, w, b: ops.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
          (2, 5, 6, 3), (2, 3, 3, 4), (4,))
    check(lambda x: ops.max_pool2d(x, 2), (2, 4, 5, 3))
    check(lambda x: ops.max_pool2d(x, (2, 3), stride=1), (1, 4, 5, 2))
    check(lambda x: ops.avg_pool2d(x, (3, 2), stride=(1, 2)), (2, 5, 5, 2))


def test_lstm_step():
    check(lambda x, h, c, u, w, b: ops.lstm_step(x, h, c, u, w, b)[0] * 2
          + ops.lstm_step(x, h, c, u, w, b)[1], (3, 2), (3, 4), (3, 4), (2, 16), (4, 16), (16,))


def test_gradients_add_up_at_a_fork():
    # y = x·x + 3x uses x three times: dy/dx = 2x + 3
    x = Value(2.0, requires_grad=True)
    y = x * x + 3 * x
    y.backward()
    assert x.grad == pytest.approx(7.0)
    # a diamond: b = 2a, c = a², d = b·c = 2a³, dd/da = 6a² and dd/db = c
    a = Value(1.5, requires_grad=True)
    b, c = a * 2, a * a
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(6 * 1.5 ** 2)
    assert b.grad == pytest.approx(1.5 ** 2)


def test_a_fork_is_caught_when_the_engine_forgets_to_add(monkeypatch):
    """Mutant: the accumulator overwritten instead of added; the fork test's number changes."""
    import framework.autodiff.engine as engine

    def forgetful(root, seed, order):
        pending = {id(root): seed}
        for node in order:
            g = pending.pop(id(node), None)
            if g is None:
                continue
            if node.op is None:
                node.grad = g
                continue
            for inp, gi in zip(node.inputs, RULES[node.op][1](node.ctx, g)):
                if gi is not None and inp.requires_grad:
                    pending[id(inp)] = gi          # the bug: no "+="
    monkeypatch.setattr(engine, "run_backward", forgetful)
    x = Value(2.0, requires_grad=True)
    (x * x + 3 * x).backward()
    assert x.grad != pytest.approx(7.0)


def test_a_chain_of_10000_operations_needs_no_recursion():
    x = Value(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)
    assert len(topological_order(y)) == 10_001


def test_topological_order_puts_every_user_before_what_it_uses():
    a = Value(1.0, requires_grad=True)
    b = a * 2
    c = a + b
    d = c * b
    order = topological_order(d)
    pos = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for inp in v.inputs:
            if inp.requires_grad:
                assert pos[id(v)] < pos[id(inp)]


def test_leaves_accumulate_intermediates_are_overwritten():
    x = Value([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h.sum()
    y.backward()
    y.backward()                                   # the graph is kept: a second pass adds again
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])
    x.zero_grad()
    assert x.grad is None


def test_backward_on_a_non_scalar_needs_a_seed():
    x = Value(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match=r"non-scalar .*shape \(2, 3\).*seed gradient"):
        y.backward()
    with pytest.raises(ValueError, match=r"seed gradient has shape \(3,\), expected \(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


def test_no_grad_and_detach_stop_the_graph():
    x = Value(3.0, requires_grad=True)
    with no_grad():
        y = x * x
    assert y.op is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="no value with requires_grad"):
        y.backward()
    z = x * x.detach()                             # only one factor is differentiated
    z.backward()
    assert x.grad == pytest.approx(3.0)


def test_dtype_is_kept_and_mixing_is_an_error():
    a = Value(np.ones(3, np.float32), requires_grad=True)
    y = (2.0 * a + 1).exp().sum() / 3
    assert y.dtype == np.float32
    y.backward()
    assert a.grad.dtype == np.float32
    assert Value([1, 2]).dtype == np.float64
    with pytest.raises(TypeError, match="float32 .* and float64"):
        a + Value(np.ones(3))


def test_matmul_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) · \(4, 5\)"):
        ops.matmul(Value(np.ones((2, 3))), Value(np.ones((4, 5))))
    with pytest.raises(ValueError, match="at least 2-D"):
        ops.matmul(Value(np.ones(3)), Value(np.ones((3, 1))))


def test_every_registered_operation_is_tested_here():
    tested = {"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "where", "maximum",
              "sigmoid", "tanh", "matmul", "transpose", "reshape", "sum", "mean", "max", "getitem",
              "concatenate", "stack", "pad", "softmax", "log_softmax", "softmax_cross_entropy",
              "conv2d", "max_pool2d", "avg_pool2d"}
    import framework.autodiff.bridge  # noqa: F401  registers "layer", tested in test_autodiff_bridge
    assert set(RULES) == tested | {"layer"}


def test_dot_text_shows_values_shapes_and_operations():
    a = Value([[0.5, -1.0]], name="a")
    w = Value(np.ones((2, 3)), requires_grad=True, name="W1")
    loss = ops.sigmoid(a @ w).sum()
    loss.backward()
    dot = to_dot(loss)
    assert dot.startswith("digraph G {") and dot.rstrip().endswith("}")
    for piece in ("matmul", "sigmoid", "sum", "W1", "2×3", "1×2", "grad", "-> "):
        assert piece in dot, piece
    assert dot.count("shape=ellipse") == 3


def test_render_draws_only_when_graphviz_is_installed(tmp_path, monkeypatch):
    import shutil

    from framework.autodiff import graph
    y = (Value([1.0, 2.0], requires_grad=True) * 2).sum()
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    assert graph.render(y, tmp_path / "g.png") is None and not (tmp_path / "g.png").exists()
    monkeypatch.undo()
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    assert graph.render(y, tmp_path / "g.svg", fmt="svg").read_text().lstrip().startswith("<")
