"""Week 4's mistake catalog: typical bugs in backward rules, the sort and the pass; signs, hints, mutants.

Each mutant writes the bug into ``solution/``; tests/test_course_mutants.py
grades every mutant and asserts that it fails, that the method and quantity
named are this entry's, and that this entry's hint is the one shown.
"""
from framework.grading import Mistake, Mutant

MISTAKES = [
    Mistake(
        "unbroadcast-size1-not-summed", "broadcast gradient summed over the leading dims only",
        "4.1", "unbroadcast", "gradient summed back", alternative="only the leading dims summed",
        hint="broadcasting also stretches every dim where the input has size 1 (a bias [1, O] "
             "over N rows): sum g over those dims too, with keepdims=True so the 1 stays",
        mutant=Mutant("gates.py",
                      "        if n == 1 and g.shape[axis] != 1:\n"
                      "            g = g.sum(axis=axis, keepdims=True)",
                      "        if False:\n"
                      "            g = g.sum(axis=axis, keepdims=True)")),
    Mistake(
        "unbroadcast-keepdims-missing", "size-1 dims dropped while summing back", "4.1",
        "unbroadcast", "gradient summed back", alternative="keepdims missing",
        hint="the result must have exactly the input's shape (the engine adds it into the "
             "input's accumulator): sum a size-1 dim with keepdims=True, so [4, 3] → [1, 3], "
             "not [3]",
        mutant=Mutant("gates.py", "g = g.sum(axis=axis, keepdims=True)", "g = g.sum(axis=axis)")),
    Mistake(
        "unbroadcast-mean", "broadcast gradient averaged instead of summed", "4.1", "unbroadcast",
        "gradient summed back", alternative="mean over the broadcast dims",
        hint="a broadcast input is USED once per copy (a fork): its gradient is the SUM of the "
             "copies' gradients, never their mean",
        mutant=Mutant("gates.py", "g = g.sum(axis=0)", "g = g.mean(axis=0)")),
    Mistake(
        "mul-not-summed-back", "broadcast gradient not summed back (mul)", "4.2", "mul_backward",
        "gradient of input b", alternative="not summed back",
        hint="b was broadcast (a [3] vector times a [4, 3] matrix): δb = g·a has the output's "
             "shape; sum it back to b's shape with unbroadcast(g * a, b.shape)",
        mutant=Mutant("gates.py", "delta_b = unbroadcast(g * ctx.a, ctx.b.shape)",
                      "delta_b = g * ctx.a")),
    Mistake(
        "mul-swapped", "mul: each input's own value instead of the other's", "4.2",
        "mul_backward", "gradient of input a", alternative="its own value",
        hint="z = a·b, so ∂z/∂a = b: δa = g·b and δb = g·a (Kamper's MultiplyGate: "
             "delta_x = self.y * delta_z)",
        mutant=Mutant("gates.py", "delta_a = unbroadcast(g * ctx.b, ctx.a.shape)",
                      "delta_a = unbroadcast(g * ctx.a, ctx.a.shape)")),
    Mistake(
        "matmul-not-transposed", "matmul gradient not transposed", "4.3", "matmul_backward",
        "gradient of input A", alternative="B not transposed",
        hint="Z = A·B: δA = δZ·Bᵀ. Check the shapes: δZ is [N, O], B is [F, O], so only "
             "δZ·Bᵀ gives A's [N, F] (the FC layer's δX = δY·Wᵀ)",
        mutant=Mutant("gates.py", "delta_a = g @ ctx.b.T", "delta_a = g @ ctx.b")),
    Mistake(
        "matmul-db-transposed", "matmul: δB computed transposed", "4.3", "matmul_backward",
        "gradient of input B", alternative="transposed",
        hint="δB = Aᵀ·δZ has B's shape [F, O]; δZᵀ·A is its transpose [O, F] (the same "
             "numbers only look right on square matrices): a gradient has its input's shape",
        mutant=Mutant("gates.py", "delta_b = ctx.a.T @ g", "delta_b = g.T @ ctx.a")),
    Mistake(
        "sum-wrong-axis", "sum backward: g broadcast along the wrong axis", "4.4", "sum_backward",
        "gradient of input a", alternative="expand_dims missing",
        hint="a sum over axis 1 of [3, 3] gives g of shape [3]; np.broadcast_to(g, (3, 3)) "
             "lines g up with the LAST axis. Put the summed axes back first: "
             "np.expand_dims(g, ctx.axes) (when keepdims is False), then broadcast",
        mutant=Mutant("gates.py", "        g = np.expand_dims(g, ctx.axes)  # put the summed axes "
                                  "back, with size 1\n", "        pass\n")),
    Mistake(
        "sum-divided", "sum backward divided by the count (the mean's rule)", "4.4",
        "sum_backward", "gradient of input a", alternative="mean's rule",
        hint="∂(Σ a)/∂a_i = 1: every summed element gets g unchanged; only the mean divides "
             "by the number of elements",
        mutant=Mutant("gates.py", "return (np.broadcast_to(g, ctx.shape).copy(),)",
                      "return (np.broadcast_to(g, ctx.shape) / (np.prod(ctx.shape) / "
                      "np.size(g)),)")),
    Mistake(
        "sigmoid-derivative-of-x", "sigmoid′ from x instead of σ(x)", "4.5", "sigmoid_backward",
        "gradient of input a", alternative="σ′ taken of the input",
        hint="σ′(a) = σ(a)·(1 − σ(a)): use the OUTPUT σ(a) that forward saved in ctx.out, "
             "not the input a",
        mutant=Mutant("gates.py", "s = ctx.out  # σ(a), computed by forward", "s = ctx.a")),
    Mistake(
        "topo-not-reversed", "topological order not reversed (leaves first)", "4.6",
        "topological_order", "position", alternative="not reversed",
        hint="the depth-first post-order lists every node after its inputs (leaves first); "
             "reverse mode needs the opposite: reverse the list so the root comes first",
        mutant=Mutant("backprop.py", "    post.reverse()  # so users come first\n", "")),
    Mistake(
        "topo-wrong-order", "graph visited in the wrong order (a node before one of its users)",
        "4.6", "topological_order", "position",
        hint="a node may pass its gradient on only after EVERY user added its share (the fork "
             "rule); listing a node when it is first reached (pre-order, or breadth first) "
             "puts it before users reached later. Emit a node after all its inputs (post-order), "
             "then reverse",
        mutant=Mutant("backprop.py",
                      "    post = []\n    seen = {id(root)}\n    stack = [(root, iter(root.inputs))]\n",
                      "    order, seen, todo = [], set(), [root]\n"
                      "    while todo:\n"
                      "        node = todo.pop()\n"
                      "        if id(node) in seen:\n"
                      "            continue\n"
                      "        seen.add(id(node))\n"
                      "        order.append(node)\n"
                      "        todo.extend(c for c in node.inputs if c.requires_grad)\n"
                      "    return order\n"
                      "    post = []\n    seen = {id(root)}\n    stack = [(root, iter(root.inputs))]\n")),
    Mistake(
        "topo-recursive", "topological sort by recursion (fails on a deep graph)", "4.6",
        "topological_order", "the order", exception=r"RecursionError",
        hint="a recursive depth-first search stops at Python's recursion limit (about 1000 "
             "nested calls); a 3000-step chain needs an explicit stack of (node, iterator "
             "over its inputs)",
        mutant=Mutant("backprop.py",
                      "    post = []\n    seen = {id(root)}\n    stack = [(root, iter(root.inputs))]\n",
                      "    post, seen = [], set()\n\n"
                      "    def visit(node):\n"
                      "        seen.add(id(node))\n"
                      "        for child in node.inputs:\n"
                      "            if child.requires_grad and id(child) not in seen:\n"
                      "                visit(child)\n"
                      "        post.append(node)\n\n"
                      "    visit(root)\n"
                      "    return post[::-1]\n"
                      "    post = []\n    seen = {id(root)}\n    stack = [(root, iter(root.inputs))]\n")),
    Mistake(
        "pass-fork-overwritten", "gradient not accumulated at a fork (overwritten)", "4.7",
        "backward_pass", "gradient of", alternative="overwritten, not added",
        hint="a value used twice gets the SUM of both shares (Kamper: δU ← δU + prod(∂Z/∂U, δZ)); "
             "add each share to what the accumulator already holds instead of replacing it",
        mutant=Mutant("backprop.py",
                      "                accumulator[id(inp)] = accumulator[id(inp)] + share",
                      "                accumulator[id(inp)] = share")),
    Mistake(
        "pass-fork-in-place", "shares added in place (+=) at a fork", "4.7", "backward_pass",
        "gradient of", alternative="added in place",
        hint="a rule may hand the SAME array to two inputs (add returns g for both): "
             "acc += share then changes the other input's gradient too. Add into a new "
             "array: acc = acc + share",
        mutant=Mutant("backprop.py",
                      "                accumulator[id(inp)] = accumulator[id(inp)] + share",
                      "                accumulator[id(inp)] += share")),
    Mistake(
        "pass-leaf-overwritten", "a leaf's .grad overwritten by the next backward pass", "4.7",
        "backward_pass", "gradient of", contract="accumulate",
        hint="a leaf (a parameter) accumulates across backward passes, like "
             "calculate_delta_weights (+=): node.grad = node.grad + g; the optimizer zeroes it "
             "once per step",
        mutant=Mutant("backprop.py", "node.grad = node.grad + g", "node.grad = g")),
]
