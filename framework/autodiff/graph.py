"""The graph as a whole: the order reverse mode visits it in, and its picture (Graphviz dot text)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from .value import Value


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on that requires a gradient, each listed after all its users.

    Reverse mode must finish collecting a node's gradient (from *every*
    user: the fork rule) before passing it on, so a node comes after every
    node that uses it, root first. Computed as a depth-first post-order with
    an explicit stack, so a chain of 10,000 operations does not hit Python's
    recursion limit.

    Args:
        root: the value backward starts from.

    Returns:
        The nodes, root first (reverse topological order).
    """
    post: list[Value] = []
    seen = {id(root)}
    # each entry: (node, iterator over its inputs); a node is emitted when
    # its iterator is exhausted, i.e. after every input it depends on
    stack = [(root, iter(root.inputs))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child.requires_grad and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.inputs)))
                break
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


def _label(v: Value) -> str:
    shape = "×".join(str(d) for d in v.shape) or "scalar"
    head = f"{v.name} | " if v.name else ""
    if v.data.size <= 4:
        vals = np.array2string(v.data.ravel(), precision=4, separator=", ")
        head += f"{vals} | "
    grad = ""
    if v.grad is not None and v.grad.size <= 4:
        grad = " | grad " + np.array2string(np.asarray(v.grad).ravel(), precision=4, separator=", ")
    return f"{head}{shape}{grad}"


def to_dot(root: Value, max_nodes: int = 500) -> str:
    """Graphviz dot text of the graph that made ``root``: values (boxes) and operations (ellipses).

    Every value shows its name (if any), its numbers when it has at most 4,
    its shape, and its gradient after ``backward()``; every operation its
    name and non-default attributes (axes, stride). Constants and data are
    drawn too (grey), though no gradient flows into them.

    Args:
        root: the output value.
        max_nodes: stop drawing after this many values (a big network's
            graph is unreadable anyway).

    Returns:
        The dot text; render it with :func:`render` or ``dot -Tpng``.
    """
    lines = ["digraph G {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    ids: dict[int, str] = {}
    stack, order = [root], []
    while stack and len(order) < max_nodes:
        v = stack.pop()
        if id(v) in ids:
            continue
        ids[id(v)] = f"v{len(ids)}"
        order.append(v)
        stack.extend(v.inputs)
    for v in order:
        vid = ids[id(v)]
        style = "" if v.requires_grad else ', style=filled, fillcolor="#eeeeee"'
        text = _label(v).replace('"', "'")
        lines.append(f'  {vid} [shape=record, label="{text}"{style}];')  # fields stacked (rankdir=LR)
        if v.op is not None:
            attrs = ", ".join(f"{k}={_short(a)}" for k, a in v.attrs.items()
                              if k not in ("target", "condition", "index", "geom"))
            op_label = v.op + (f"\\n{attrs}" if attrs else "")
            lines.append(f'  {vid}_op [shape=ellipse, label="{op_label}"];')
            lines.append(f"  {vid}_op -> {vid};")
            for inp in v.inputs:
                if id(inp) in ids:
                    lines.append(f"  {ids[id(inp)]} -> {vid}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _short(a: object) -> str:
    s = str(a)
    return s if len(s) <= 24 else s[:21] + "..."


def render(root: Value, path: str | Path, fmt: str = "png") -> Path | None:
    """Draw the graph to ``path`` with Graphviz's ``dot``, when it is installed.

    Args:
        root: the output value.
        path: the image file to write.
        fmt: any output format ``dot`` knows (png, svg, pdf).

    Returns:
        The path written, or None when the ``dot`` program is not installed
        (then save :func:`to_dot`'s text and render it elsewhere).
    """
    exe = shutil.which("dot")
    if exe is None:
        return None
    out = Path(path)
    subprocess.run([exe, f"-T{fmt}", "-o", str(out)], input=to_dot(root), text=True, check=True)
    return out
