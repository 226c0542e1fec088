"""Week 4 checks: the backward rules of the gates, the topological order, the backward pass.

The engine's own rules (``framework.autodiff.rules.RULES``) and its own
``topological_order`` / ``run_backward`` are the reference. A student's
rule is called directly, on a context its own (given) forward rule filled,
and compared input by input with the engine's rule on the same numbers,
then with finite differences of the student's forward. The sort and the
pass run on small graphs built with the engine; see ``exercises/CONTRIBUTING.md``.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from framework.autodiff import Value, ops
from framework.autodiff import engine as ad_engine
from framework.autodiff import graph as ad_graph
from framework.autodiff.rules import RULES, unbroadcast as ref_unbroadcast
from framework.grading import Exercise, Submission, call, compare_values, fail

F64 = np.float64


def _shape_text(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]" if shape else "scalar"


# -- 4.1 unbroadcast -------------------------------------------------------------------------------
def _shape_mismatch(method, quantity, got, shape, g_shape, case, names_summed=True):
    """Fail for a gradient of the wrong shape, naming the typical cause."""
    alt = None
    lead_shape = tuple(g_shape)[len(g_shape) - len(shape):]
    if names_summed and got.shape == lead_shape:
        alt = "only the leading dims summed; the dims where the input has size 1 were not"
    elif got.shape == tuple(g_shape):
        alt = "the gradient of the broadcast output, not summed back to the input's shape"
    elif got.size == int(np.prod(shape)) and \
            np.squeeze(got).shape == np.squeeze(np.zeros(shape)).shape:
        alt = "the right numbers with the size-1 dims dropped (keepdims missing)"
    fail(method, quantity, f"has shape {got.shape}, expected {tuple(shape)} (the input's shape: "
         f"the engine adds this gradient into the input's accumulator)", case=case,
         alternative=alt)


UNBROADCAST_CASES = [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)),
                     ((2, 3), ()), ((3, 2), (3, 2)), ((2, 4, 3), (2, 1, 3))]


def check_unbroadcast(sub: Submission) -> None:
    """``unbroadcast(g, shape)`` against the engine's on leading dims, size-1 dims, scalars, no-ops."""
    fn = sub.get("gates", "unbroadcast")
    rng = np.random.default_rng(41)
    for g_shape, shape in UNBROADCAST_CASES:
        g = rng.standard_normal(g_shape)
        case = f"g of shape {_shape_text(g_shape)}, input shape {_shape_text(shape)}"
        got = call("unbroadcast", "the summed gradient", fn, g.copy(), shape, case=case)
        got = np.asarray(got, dtype=F64)
        quantity = f"gradient summed back to {_shape_text(shape)}"
        if got.shape != tuple(shape):
            _shape_mismatch("unbroadcast", quantity, got, shape, g_shape, case)
        expected = ref_unbroadcast(g, tuple(shape))
        lead = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
        alts = {"the mean over the broadcast dims instead of the sum":
                _mean_back(g, tuple(shape)),
                "only the leading dims summed": lead if lead.shape == tuple(shape) else None}
        compare_values("unbroadcast", quantity, got, expected, case=case,
                       alternatives={k: v for k, v in alts.items() if v is not None},
                       batch=g.size // max(int(np.prod(shape)), 1))  # copies summed per element


def _mean_back(g, shape):
    out = ref_unbroadcast(g, shape)
    count = g.size // max(int(np.prod(shape)), 1)
    return out / count


# -- 4.2-4.5 backward rules ------------------------------------------------------------------------
def _ctx(n: int) -> SimpleNamespace:
    return SimpleNamespace(needs=(True,) * n)


def _numeric_grads(forward, arrays, attrs, g, eps=1e-6):
    """∂(Σ g ⊙ forward(...))/∂input for every input, by central differences."""
    grads = []
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            vals = []
            for step in (eps, -eps):
                moved = [x.copy() for x in arrays]
                moved[i][idx] += step
                vals.append(float(np.sum(g * forward(_ctx(len(arrays)), *moved, **attrs))))
            num[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(num)
    return grads


def check_rule(sub: Submission, op: str, names: tuple[str, ...], cases, alternatives=None) -> None:
    """The student's ``<op>_backward`` against the engine's rule, then finite differences.

    Args:
        sub: the submission (``gates.py``).
        op: the operation's name in the engine's RULES (``mul``).
        names: the inputs' names as the README writes them (``("a", "b")``).
        cases: ``(arrays, attrs)`` pairs.
        alternatives: ``{input name: {formula name: fn(arrays, attrs, g) -> array}}``.
    """
    forward = sub.get("gates", f"{op}_forward")
    backward = sub.get("gates", f"{op}_backward")
    ref_forward, ref_backward = RULES[op]
    method = f"{op}_backward"
    rng = np.random.default_rng(43)
    alternatives = alternatives or {}
    for arrays, attrs in cases:
        arrays = [np.asarray(a, dtype=F64) for a in arrays]
        shapes = ", ".join(f"{n} {_shape_text(a.shape)}" for n, a in zip(names, arrays))
        extra = ", ".join(f"{k}={v}" for k, v in attrs.items())
        case = f"{op}({shapes}{', ' + extra if extra else ''}), float64"
        rctx = ad_engine.Context()
        rctx.needs = (True,) * len(arrays)
        out = ref_forward(rctx, *[a.copy() for a in arrays], **attrs)
        g = rng.standard_normal(np.shape(out))
        expected = ref_backward(rctx, g.copy())
        sctx = _ctx(len(arrays))
        call(f"{op}_forward", "output", forward, sctx, *[a.copy() for a in arrays], **attrs,
             case=case)
        got = call(method, "the returned gradients", backward, sctx, g.copy(), case=case)
        if isinstance(got, np.ndarray) or not isinstance(got, (tuple, list)):
            fail(method, "the returned gradients",
                 f"returns {type(got).__name__}, expected a tuple with one gradient per input "
                 f"({', '.join('δ' + n for n in names)}{',' if len(names) == 1 else ''}): "
                 f"note the comma in (delta,)", case=case)
        if len(got) != len(arrays):
            fail(method, "the returned gradients", f"returns {len(got)} gradients, expected "
                 f"{len(arrays)} (one per input: {', '.join('δ' + n for n in names)})", case=case)
        for name, a, gi, ei in zip(names, arrays, got, expected):
            quantity = f"gradient of input {name} (δ{name})"
            gi = np.asarray(gi, dtype=F64)
            if gi.shape != a.shape:
                _shape_mismatch(method, quantity, gi, a.shape, g.shape, case,
                                names_summed=False)
            alts = {}
            for alt_name, fn in alternatives.get(name, {}).items():
                try:
                    v = np.asarray(fn(arrays, attrs, g), dtype=F64)
                except (ValueError, IndexError, TypeError):
                    continue
                alts[alt_name] = v
            compare_values(method, quantity, gi, ei, case=case, alternatives=alts)
    # finite differences of the student's own forward, on the smallest case
    arrays, attrs = cases[-1]
    arrays = [np.asarray(a, dtype=F64) for a in arrays]
    sctx = _ctx(len(arrays))
    out = forward(sctx, *[a.copy() for a in arrays], **attrs)
    g = rng.standard_normal(np.shape(out))
    got = backward(sctx, g.copy())
    numeric = _numeric_grads(forward, arrays, attrs, g)
    for name, gi, ni in zip(names, got, numeric):
        compare_values(method, f"gradient of input {name} (δ{name})", gi, ni, atol=1e-6,
                       rtol=1e-5, case=f"{op}, finite differences of your {op}_forward",
                       message="disagrees with finite differences of your forward rule")


def _r(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def check_mul(sub: Submission) -> None:
    """mul: same shapes first (so the swapped formula is recognisable), then broadcasting."""
    cases = [((_r(3, 3), _r(3, 3, seed=1)), {}),
             ((_r(4, 3), _r(3, seed=2)), {}),
             ((_r(4, 1), _r(1, 3, seed=3)), {}),
             ((_r(2, 3, 2), np.array(1.7)), {}),
             ((_r(2, 3), _r(2, 1, seed=4)), {})]
    alts = {"a": {"g·a (its own value instead of the other input's)":
                  lambda x, at, g: ref_unbroadcast(g * x[0], x[0].shape)},
            "b": {"g·b (its own value instead of the other input's)":
                  lambda x, at, g: ref_unbroadcast(g * x[1], x[1].shape)}}
    check_rule(sub, "mul", ("a", "b"), cases, alts)


def check_matmul(sub: Submission) -> None:
    """matmul: a square case first (so B and Bᵀ both fit), then rectangular ones."""
    cases = [((_r(3, 3), _r(3, 3, seed=1)), {}),
             ((_r(4, 3), _r(3, 2, seed=2)), {}),
             ((_r(1, 5), _r(5, 4, seed=3)), {}),
             ((_r(2, 3), _r(3, 2, seed=4)), {})]
    alts = {"A": {"δZ·B (B not transposed)": lambda x, at, g: g @ x[1],
                  "Bᵀ·δZ (factors in the wrong order)": lambda x, at, g: x[1].T @ g},
            "B": {"A·δZ (A not transposed)": lambda x, at, g: x[0] @ g,
                  "δZᵀ·A = (δB)ᵀ (transposed)": lambda x, at, g: g.T @ x[0],
                  "δZ·Aᵀ (factors in the wrong order)": lambda x, at, g: g @ x[0].T}}
    check_rule(sub, "matmul", ("A", "B"), cases, alts)


def _sum_wrong_axis(x, at, g):
    return np.broadcast_to(g, x[0].shape)


def check_sum(sub: Submission) -> None:
    """sum over axes: a square case summed over axis 1 first (so the axis matters), keepdims, all axes."""
    cases = [((_r(3, 3),), {"axes": (1,), "keepdims": False}),
             ((_r(4, 3),), {"axes": (0,), "keepdims": False}),
             ((_r(2, 3, 4),), {"axes": (0, 2), "keepdims": True}),
             ((_r(3, 2),), {"axes": (0, 1), "keepdims": False}),
             ((_r(2, 3),), {"axes": (1,), "keepdims": True})]
    alts = {"a": {"g broadcast without putting the summed axes back (expand_dims missing): "
                  "it lands along the wrong axis": _sum_wrong_axis,
                  "g divided by the number of summed elements (the mean's rule)":
                  lambda x, at, g: RULES["mean"][1](_mean_ctx(x[0], at), g)[0]}}
    check_rule(sub, "sum", ("a",), cases, alts)


def _mean_ctx(a, at):
    ctx = _ctx(1)
    RULES["mean"][0](ctx, a, at["axes"], at["keepdims"])
    return ctx


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def check_sigmoid(sub: Submission) -> None:
    """sigmoid on three shapes."""
    cases = [((_r(4, 3),), {}), ((_r(3, 5),), {}), ((_r(2, 2, 3),), {})]
    alts = {"a": {"g·a·(1 − a) (σ′ taken of the input a instead of σ(a))":
                  lambda x, at, g: g * x[0] * (1 - x[0]),
                  "g·σ(σ(a))·(1 − σ(σ(a))) (σ applied twice)":
                  lambda x, at, g: g * _sig(_sig(x[0])) * (1 - _sig(_sig(x[0]))),
                  "g·σ(a) (the 1 − σ(a) is missing)": lambda x, at, g: g * _sig(x[0])}}
    check_rule(sub, "sigmoid", ("a",), cases, alts)


# -- graphs for 4.6 and 4.7 ------------------------------------------------------------------------
def _leaf(name, shape, seed):
    return Value(np.random.default_rng(seed).standard_normal(shape), requires_grad=True, name=name)


def _named(v, name):
    v.name = name
    return v


def graph_fork():
    """``L = Σ (x·x + 3·x)``: x used three times."""
    x = _leaf("x", (3,), 1)
    xx = _named(x * x, "x·x")
    x3 = _named(3 * x, "3·x")
    y = _named(xx + x3, "y")
    return _named(y.sum(), "L"), [x]


def graph_diamond():
    """``L = Σ (c ⊙ a)`` with ``a = x ⊙ w``, ``c = exp(σ(a))``: a reaches L directly and through b, c."""
    x, w = _leaf("x", (2, 3), 2), _leaf("w", (3,), 3)
    a = _named(x * w, "a")
    b = _named(ops.sigmoid(a), "b")
    c = _named(ops.exp(b), "c")
    z = _named(c * a, "z")
    return _named(z.sum(), "L"), [x, w]


def graph_add_fork():
    """``L = Σ ((p + q + p) ⊙ r)``: add hands the same array to both inputs."""
    p, q, r = _leaf("p", (2, 2), 4), _leaf("q", (2, 2), 5), _leaf("r", (2, 2), 6)
    t1 = _named(p + q, "t1")
    t2 = _named(t1 + p, "t2")
    z = _named(t2 * r, "z")
    return _named(z.sum(), "L"), [p, q, r]


def graph_running():
    """The lecture's running example: a → FC → sigmoid → FC → softmax → cross-entropy."""
    a = Value([[0.5, -1.0], [1.0, 2.0]], name="a")
    W1 = Value([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=True, name="W1")
    bias1 = Value([0.0, 0.1, -0.1], requires_grad=True, name="bias1")
    W2 = Value([[0.7, -0.3], [0.2, 0.8], [-0.5, 0.1]], requires_grad=True, name="W2")
    bias2 = Value([0.05, -0.05], requires_grad=True, name="bias2")
    ab = _named(a @ W1, "a·W1")
    b = _named(ab + bias1, "b")
    c = _named(ops.sigmoid(b), "c")
    cw = _named(c @ W2, "c·W2")
    d = _named(cw + bias2, "d")
    e = _named(ops.softmax(d), "e")
    return _named(ops.cross_entropy(e, np.array([[1.0, 0.0], [0.0, 1.0]])), "L"), \
        [W1, bias1, W2, bias2]


def graph_layer_output():
    """A non-scalar root ``Y = σ(X·W) ⊙ X·W`` (the seed is a whole array)."""
    x, w = _leaf("X", (3, 2), 7), _leaf("W", (2, 2), 8)
    h = _named(x @ w, "X·W")
    s = _named(ops.sigmoid(h), "σ(X·W)")
    return _named(s * h, "Y"), [x, w]


def graph_chain(n=3000):
    """A chain of n operations (deeper than Python's recursion limit)."""
    x = _leaf("x", (2,), 9)
    v = x
    for k in range(n):
        v = _named(v * 1.0001, f"v{k + 1}")
    return _named(v.sum(), "L"), [x]


GRAPHS = [("L = Σ(x·x + 3·x): a fork, x used three times", graph_fork),
          ("L = Σ(exp(σ(a)) ⊙ a), a = x ⊙ w: a diamond", graph_diamond),
          ("L = Σ((p + q + p) ⊙ r): forks through add", graph_add_fork),
          ("the running example (batch 2)", graph_running),
          ("Y = σ(X·W) ⊙ X·W, a non-scalar root", graph_layer_output)]


def _label(v) -> str:
    return f"'{v.name}'" if v.name else f"the {v.op or 'leaf'} node of shape {v.shape}"


# -- 4.6 topological order -------------------------------------------------------------------------
def _preorder(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(c for c in node.inputs if c.requires_grad)
    return order


def _check_order(fn, build, desc):
    root, _ = build()
    expected = ad_graph.topological_order(root)
    got = call("topological_order", "the order", fn, root, case=desc)
    try:
        got = list(got)
    except TypeError:
        fail("topological_order", "the order", f"returns {type(got).__name__}, expected a list "
             f"of Values", case=desc)
    wanted = {id(v) for v in expected}
    got = [v for v in got if isinstance(v, Value) and (id(v) in wanted or v.requires_grad)]
    ids = [id(v) for v in got]
    if len(set(ids)) != len(ids):
        dup = next(v for k, v in enumerate(got) if id(v) in ids[:k])
        fail("topological_order", f"visiting order: position of {_label(dup)}", f"lists {_label(dup)} twice: the "
             f"backward pass must visit every node once", case=desc)
    missing = [v for v in expected if id(v) not in set(ids)]
    if missing:
        fail("topological_order", f"visiting order: position of {_label(missing[0])}",
             f"{_label(missing[0])} is missing: {len(got)} of {len(expected)} nodes listed "
             f"(every value the root depends on that requires a gradient)", case=desc)
    extra = [v for v in got if id(v) not in wanted]
    if extra:
        fail("topological_order", f"visiting order: position of {_label(extra[0])}",
             f"{_label(extra[0])} is listed, but the root does not depend on it", case=desc)
    pos = {id(v): k for k, v in enumerate(got)}
    alternative = None
    if got[-1] is root:
        alternative = "leaves first, root last (the post-order not reversed)"
    elif [id(v) for v in _preorder(root)] == ids:
        alternative = "each node listed when first reached (pre-order), not after all its users"
    if got[0] is not root:
        fail("topological_order", f"visiting order: position of {_label(root)}",
             f"the root {_label(root)} is at position {pos[id(root)]}, expected 0: reverse mode "
             f"starts at the root", case=desc, index=(pos[id(root)],), got=float(pos[id(root)]),
             expected=0.0, alternative=alternative)
    for k, v in enumerate(got):
        for inp in v.inputs:
            if id(inp) in pos and pos[id(inp)] < k:
                j = pos[id(inp)]
                fail("topological_order", f"visiting order: position of {_label(inp)}",
                     f"{_label(inp)} is at position {j}, before its user {_label(v)} at position "
                     f"{k}: its gradient would be passed on before {_label(v)} added its share",
                     case=desc, index=(j,), got=float(j), expected=float(k + 1),
                     alternative=alternative)


def check_topological_order(sub: Submission) -> None:
    """Every node once, the root first, each node after all its users; then a 3000-step chain."""
    fn = sub.get("backprop", "topological_order")
    for desc, build in GRAPHS:
        _check_order(fn, build, desc)
    _check_order(fn, graph_chain, "a chain of 3000 multiplications (deeper than Python's "
                                  "recursion limit)")


# -- 4.7 the backward pass -------------------------------------------------------------------------
def _seed(root):
    if root.data.size == 1:
        return np.ones_like(root.data)
    return np.random.default_rng(11).standard_normal(root.shape)


def _variant_pass(root, seed, order, how):
    """A wrong backward pass, for naming a student's result: shares overwritten, or added in place."""
    pending = {id(root): seed}
    for node in order:
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node.op is None:
            node.grad = np.array(g, copy=True) if node.grad is None else node.grad + g
            continue
        for inp, gi in zip(node.inputs, RULES[node.op][1](node.ctx, g)):
            if gi is None or not inp.requires_grad:
                continue
            if how == "overwrite" or id(inp) not in pending:
                pending[id(inp)] = gi
            else:
                pending[id(inp)] += gi


def _grads(build, runner):
    root, leaves = build()
    try:
        runner(root, _seed(root), ad_graph.topological_order(root))
    except ValueError:  # a wrong variant adding in place into a read-only broadcast view
        return [None for _ in leaves]
    return [np.array(v.grad, dtype=F64, copy=True) if v.grad is not None else None
            for v in leaves]


def check_backward_pass(sub: Submission) -> None:
    """Every leaf's gradient on graphs with forks, against the engine; then a second call adds."""
    fn = sub.get("backprop", "backward_pass")
    for desc, build in GRAPHS + [("a chain of 3000 multiplications", graph_chain)]:
        expected = _grads(build, ad_engine.run_backward)
        alts = {"only the last share at a fork (= instead of +=: overwritten, not added)":
                _grads(build, lambda r, s, o: _variant_pass(r, s, o, "overwrite")),
                "shares added in place (+=) into an array another node still holds":
                _grads(build, lambda r, s, o: _variant_pass(r, s, o, "inplace"))}
        root, leaves = build()
        order = ad_graph.topological_order(root)
        seed = _seed(root)
        call("backward_pass", "the gradients", fn, root, seed.copy(), order, case=desc)
        for k, (leaf, e) in enumerate(zip(leaves, expected)):
            quantity = f"gradient of {_label(leaf)} (∂L/∂{leaf.name})"
            if leaf.grad is None:
                fail("backward_pass", quantity, f"{_label(leaf)}.grad is None after the pass: "
                     f"a leaf adds its gradient into .grad", case=desc)
            compare_values("backward_pass", quantity, leaf.grad, e, case=desc,
                           alternatives={n: a[k] for n, a in alts.items() if a[k] is not None})
        if build is graph_fork or build is graph_running:
            # a second backward through the same graph adds to the leaves (like += of delta weights)
            call("backward_pass", "the gradients", fn, root, seed.copy(), order,
                 case=desc + ", second call")
            for leaf, e in zip(leaves, expected):
                compare_values("backward_pass", f"gradient of {_label(leaf)} (∂L/∂{leaf.name})",
                               leaf.grad, 2 * e, case=desc + ", after a second backward pass",
                               contract="accumulate",
                               alternatives={"the second pass's gradient alone (.grad of a "
                                             "leaf overwritten)": e},
                               message="a leaf's .grad must accumulate across backward passes "
                                       "(the optimizer zeroes it once per step), but the first "
                                       "pass's gradient was lost")


EXERCISES = [
    Exercise("4.1", "unbroadcast (sum back to a shape)", 1, ("gates.py",),
             check_unbroadcast),
    Exercise("4.2", "mul backward (with broadcasting)", 1, ("gates.py",), check_mul,
             requires=("4.1",)),
    Exercise("4.3", "matmul backward", 1, ("gates.py",), check_matmul),
    Exercise("4.4", "sum over axes backward", 1, ("gates.py",), check_sum),
    Exercise("4.5", "sigmoid backward", 1, ("gates.py",), check_sigmoid),
    Exercise("4.6", "topological order", 2, ("backprop.py",), check_topological_order),
    Exercise("4.7", "the backward pass (forks add up)", 2, ("backprop.py",), check_backward_pass),
]
