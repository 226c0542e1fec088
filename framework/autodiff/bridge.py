"""The bridge between the engine and the framework's layer protocol, both ways.

* **Engine -> Layer.** :class:`AutodiffLayer`: write only the forward of a
  layer, with engine operations, in :meth:`~AutodiffLayer.expression`;
  ``forward``, ``backward`` and ``calculate_delta_weights`` (and
  ``output_shape``) are derived. Parameters are declared as in every layer,
  with ``self.add_param``. :func:`function_layer` turns a plain function
  into such a layer. The result drops into a ``Network``.
* **Layer -> engine.** :class:`LayerModule`: any framework ``Layer`` (C
  kernels included) as one operation of an engine graph, with its
  parameters as Values that share the layer's memory.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..layers.base import Layer
from ..shape import Shape
from ..tensor import Tensor
from .nn import Module
from .rules import register
from .engine import apply, no_grad
from .value import Value


class AutodiffLayer(Layer):
    """A layer whose backward is derived by the engine from its forward.

    Subclasses declare parameters with ``self.add_param`` and implement
    :meth:`expression`. The derived methods keep the protocol: ``forward``
    overwrites the output, ``backward`` overwrites the input deltas,
    ``calculate_delta_weights`` adds (``+=``) to the parameter deltas. Like
    the LSTM, the layer keeps the graph of its last forward for the two
    backward methods, so they must follow the forward of the same batch.
    """

    def expression(self, x: Value, **params: Value) -> Value:
        """The layer's output from its input, with engine operations.

        Args:
            x: the input as a Value with the logical shape (batch first).
            **params: every declared parameter as a Value, by name.

        Returns:
            The output Value.
        """
        raise NotImplementedError(f"{type(self).__name__}.expression: write the forward here")

    def _param_values(self, requires_grad: bool) -> dict[str, Value]:
        declared: dict[str, Tensor] = self.__dict__.get("_declared", {})
        return {name: Value(t.view(), requires_grad=requires_grad, name=name)
                for name, t in declared.items()}

    def output_shape(self, input_shape: Shape) -> Shape:
        """The shape :meth:`expression` gives on zeros of ``input_shape`` (computed once per shape).

        Raises:
            ValueError: when the expression rejects the shape, naming the layer.
        """
        dims = Shape(input_shape).dims
        cache = self.__dict__.setdefault("_shapes", {})
        if dims not in cache:
            dtype = self.params[0].dtype if self.params else np.float64
            try:
                with no_grad():
                    out = self.expression(Value(np.zeros(dims, dtype)), **self._param_values(False))
            except (ValueError, IndexError) as e:
                raise ValueError(f"{self}: input {Shape(dims)} does not fit: {e}") from None
            cache[dims] = Shape(out.shape)
        return cache[dims]

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Run :meth:`expression`, record its graph, overwrite Y."""
        x, y = self.check_io(in_tensors, out_tensors)
        xv = Value(x.view(), requires_grad=True, name="x")
        params = self._param_values(True)
        out = self.expression(xv, **params)
        y.view()[...] = out.data
        self._graph = {"tensors": (x.elements, y.elements), "x": xv, "params": params,
                       "out": out, "seed": None}

    def _backprop(self, x: Tensor, y: Tensor, method: str) -> dict:
        g = self.__dict__.get("_graph")
        if g is None or g["tensors"][0] is not x.elements or g["tensors"][1] is not y.elements:
            raise RuntimeError(f"{self}.{method}: no forward of these tensors to go back through; "
                               f"call forward on this batch first (the graph of the last "
                               f"forward is used)")
        seed = y.delta_view()
        if g["seed"] is None or not np.array_equal(g["seed"], seed):
            for v in (g["x"], *g["params"].values()):
                v.grad = None
            if g["out"].requires_grad:
                g["out"].backward(seed)
            g["seed"] = seed.copy()
        return g

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Reverse mode from Y with seed δY; overwrite δX with the input's gradient."""
        x, y = self.check_io(in_tensors, out_tensors)
        grad = self._backprop(x, y, "backward")["x"].grad
        x.delta_view()[...] = 0.0 if grad is None else grad

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """Add each parameter's gradient (from the same reverse pass as backward) to its deltas."""
        x, y = self.check_io(in_tensors, out_tensors)
        g = self._backprop(x, y, "calculate_delta_weights")
        for name, t in self.__dict__.get("_declared", {}).items():
            grad = g["params"][name].grad
            if grad is not None:
                t.delta_view()[...] += grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FunctionLayer(AutodiffLayer):
    """A plain function of engine operations as a layer; see :func:`function_layer`."""

    def __init__(self, fn: Callable[..., Value], params: dict[str, Any] | None = None,
                 dtype: Any = np.float32, name: str | None = None) -> None:
        self.fn, self.name = fn, name or getattr(fn, "__name__", "function")
        for key, value in (params or {}).items():
            self.add_param(key, np.shape(value), value=value, dtype=dtype)

    def expression(self, x: Value, **params: Value) -> Value:
        """``fn(x, **params)``."""
        return self.fn(x, **params)

    def __repr__(self) -> str:
        return f"FunctionLayer({self.name})"


def function_layer(fn: Callable[..., Value], dtype: Any = np.float32, **params: Any) -> FunctionLayer:
    """Any function written with engine operations as a framework Layer.

    Args:
        fn: ``fn(x, **params) -> Value``.
        dtype: float32 (default) or float64 for the parameters.
        **params: initial values of the parameters, by name (array-likes).

    Returns:
        A Layer with those parameters declared (``add_param``), whose
        backward and parameter deltas the engine derives.

    Example::

        scale = function_layer(lambda x, s: x * s, s=np.ones(4))
    """
    return FunctionLayer(fn, params, dtype)


# ---------------------------------------------------------------- Layer -> engine
def layer_forward(ctx, x, *params, layer):
    xt = Tensor.from_numpy(x, dtype=x.dtype)
    yt = Tensor(layer.output_shape(xt.shape), dtype=x.dtype)
    layer.forward([xt], [yt])
    ctx.layer, ctx.xt, ctx.yt = layer, xt, yt
    return yt.view().copy()


def layer_backward(ctx, g):
    # the layer's own backward and calculate_delta_weights are the rule; the
    # parameter deltas are zeroed first so they hold this operation's share only
    layer, xt, yt = ctx.layer, ctx.xt, ctx.yt
    yt.delta_view()[...] = g
    gx = None
    if ctx.needs[0]:
        layer.backward([yt], [xt])
        gx = xt.delta_view().copy()
    for p in layer.params:
        p.zero_deltas()
    layer.calculate_delta_weights([yt], [xt])
    return (gx, *[p.delta_view().copy() for p in layer.params])


register("layer", layer_forward, layer_backward)


class LayerModule(Module):
    """A framework Layer as an operation of engine graphs (the bridge the other way).

    Its parameters are Values that *share memory* with the layer's tensors,
    so an engine optimizer updating them updates the layer. Backward uses
    the layer's own ``backward`` and ``calculate_delta_weights``.

    Args:
        layer: any Layer (its parameters' dtype must be the input's).
    """

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.params = [Value(p.view(), requires_grad=True, name=n)
                       for p, n in zip(layer.params, layer.param_names())]

    def named_parameters(self, prefix: str = ""):
        """The layer's parameters, by their names."""
        for p in self.params:
            yield prefix + p.name, p

    def forward(self, x: Value) -> Value:
        """The layer's forward as one node ``layer``."""
        return apply("layer", (x, *self.params), layer=self.layer)

    def __repr__(self) -> str:
        return f"LayerModule({self.layer!r})"
