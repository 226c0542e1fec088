"""The layer contract, written once for every layer (as in Caffe's ``Layer``).

A layer maps ``in_tensors`` to ``out_tensors`` (lists; in this lecture they
hold one tensor each). Three methods, three rules:

==========================  =======================================  ==============
method                      reads                                    writes
==========================  =======================================  ==============
``forward``                 in elements (and parameters)             out elements: **overwrite**
``backward``                out deltas, in/out elements, parameters  in deltas: **overwrite**
``calculate_delta_weights`` in elements, out deltas                  parameter deltas: **accumulate** (``+=``)
==========================  =======================================  ==============

Parameter deltas accumulate so that a parameter used in several places (or
several micro-batches) sums its gradients, as at a fork in the lecture notes;
the trainer zeroes them once per step. Layers keep no hidden state between
forward and backward unless they must (the recurrent layers do): what backward needs is
in the tensors it is given.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import backend as backends
from ..init import Initializer, get_initializer
from ..shape import Shape
from ..tensor import _NOT_REAL_HINTS, Tensor


def _describe_io(arg: Any) -> str:
    """Say what was passed where a list of Tensors belongs, and what to do instead."""
    if isinstance(arg, Tensor):
        return "a bare Tensor (wrap it in a list: [t])"
    if isinstance(arg, np.ndarray):
        return (f"a NumPy array of shape {arg.shape} (wrap it: [Tensor.from_numpy(a)]; "
                f"network.forward takes arrays)")
    if isinstance(arg, (list, tuple)):
        for i, t in enumerate(arg):
            if not isinstance(t, Tensor):
                kind = (f"a NumPy array of shape {t.shape}, use Tensor.from_numpy(a)"
                        if isinstance(t, np.ndarray) else repr(t)[:40])
                return f"a {type(arg).__name__} whose item {i} is not a Tensor ({kind})"
        return f"a {type(arg).__name__} of {len(arg)} Tensors"
    return "None" if arg is None else f"{type(arg).__name__} {repr(arg)[:40]}"


def _io_type_error(layer: Any, in_tensors: Any, out_tensors: Any) -> TypeError:
    return TypeError(f"{layer}: expected lists of Tensors, as in layer.forward([x], [y]) and "
                     f"layer.backward([y], [x]); got {_describe_io(in_tensors)} and "
                     f"{_describe_io(out_tensors)}")


class Layer:
    """Base class of every layer: the protocol and its shape checks.

    Subclasses implement :meth:`forward`, :meth:`backward`,
    :meth:`output_shape` and, when they have parameters,
    :meth:`calculate_delta_weights` and :attr:`params`.

    Attributes:
        training: True in training mode (the default), False in evaluation
            mode; set for every layer by ``Network.train()`` / ``Network.eval()``.
            Only layers that behave differently read it (Dropout, BatchNorm).
    """

    training: bool = True

    def forward(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> None:
        """Fill the elements of ``out_tensors`` from the elements of ``in_tensors``.

        Args:
            in_tensors: inputs; read only.
            out_tensors: outputs, preallocated with :meth:`output_shape`;
                their elements are overwritten.
        """
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, out_tensors: Sequence[Tensor], in_tensors: Sequence[Tensor]) -> None:
        """Fill the deltas of ``in_tensors`` from the deltas of ``out_tensors``.

        Args:
            out_tensors: outputs of the last forward, with their deltas set.
            in_tensors: inputs of the last forward; their deltas are overwritten.
        """
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def calculate_delta_weights(self, out_tensors: Sequence[Tensor],
                                in_tensors: Sequence[Tensor]) -> None:
        """Add this batch's gradient to the deltas of every parameter (``+=``).

        Layers without parameters do nothing.

        Args:
            out_tensors: outputs of the last forward, with their deltas set.
            in_tensors: inputs of the last forward.
        """

    # -- where the arithmetic runs ------------------------------------------------------
    @property
    def backend(self) -> str | None:
        """This layer's own backend choice: ``"numpy"``, ``"c"`` or None (follow the thread).

        Setting ``layer.backend = "numpy"`` runs this layer's operations on
        the NumPy reference (for example a function a student edited in
        ``numpy_backend``) while the other layers keep the thread's choice.
        float64 work runs on NumPy whatever the choice.

        Raises:
            ValueError: (on assignment) an unknown name.
            RuntimeError: (on assignment) ``"c"`` when the kernel is not built.
        """
        return self.__dict__.get("_backend_choice")

    @backend.setter
    def backend(self, name: str | None) -> None:
        self.__dict__["_backend_choice"] = backends.check_layer_choice(name)

    def ops(self, dtype: Any) -> backends.Ops:
        """The backend operations this layer runs on arrays of ``dtype``.

        Args:
            dtype: the dtype of the tensors at hand (float32 follows the
                choice; float64 always NumPy).

        Returns:
            An object with one function per operation of
            ``framework.backend.contract`` (``ops.matmul(...)``, ...).
        """
        return backends.resolve(dtype, self.__dict__.get("_backend_choice"))

    # -- parameters: declared once, by name ------------------------------------------
    def add_param(self, name: str, shape: Sequence[int], *, init: str | Initializer = "zeros",
                  value: Any = None, rng: int | np.random.Generator | None = None,
                  dtype: Any = np.float32) -> Tensor:
        """Declare a parameter: validate, initialise, convert and name it in one place.

        The new Tensor becomes the attribute ``self.<name>`` and joins
        :attr:`params` (in declaration order) under that name, which is also
        its key in saved files and gradient-check reports.

        Args:
            name: attribute name, e.g. ``"weights"``; declared once per layer.
            shape: logical shape, e.g. ``(in_features, out_features)``.
            init: initialiser name (see ``framework.init``) or callable
                ``init(shape, rng) -> array``, used when ``value`` is None.
            value: given initial values (array-like of ``shape``, logical
                indexing), e.g. the lecture's fixed example weights.
            rng: seed or Generator for the initialiser.
            dtype: float32 (default) or float64 (gradient checks).

        Returns:
            The parameter Tensor (its deltas hold the gradient).

        Raises:
            ValueError: for a name declared twice, a bad shape, or a given
                value of the wrong shape or with NaN/inf, naming the layer.
            TypeError: for a given value that is not real numbers.
        """
        declared = self.__dict__.setdefault("_declared", {})
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{self}: parameter name must be an identifier, got {name!r}")
        if name in declared:
            raise ValueError(f"{self}: parameter {name!r} is declared twice")
        dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if not dims or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                               and d > 0 for d in dims):
            raise ValueError(f"{self}: parameter {name!r} needs a shape of positive ints, got {shape!r}")
        dims = tuple(int(d) for d in dims)
        if value is None:
            generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            try:
                array = np.asarray(get_initializer(init)(dims, generator), dtype=np.float64)
            except (TypeError, ValueError) as error:  # name the layer and parameter it was for
                raise type(error)(f"{self}: {name} {list(dims)}: {error}") from error
        else:
            raw = np.asarray(value)
            if raw.dtype.kind not in "biuf":
                hint = _NOT_REAL_HINTS.get(raw.dtype.kind, "pass real numbers")
                raise TypeError(f"{self}: {name} must be real numbers, got dtype {raw.dtype}; {hint}")
            array = raw.astype(np.float64)
            if array.ndim == 0 and dims == (1,):
                array = array.reshape(1)
        if array.shape != dims:
            raise ValueError(f"{self}: {name} given with shape {array.shape}, expected {dims}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{self}: {name} contains NaN or inf")
        tensor = Tensor.from_numpy(array, dtype=dtype)
        declared[name] = tensor
        setattr(self, name, tensor)
        self.__dict__.pop("_checked_same", None)
        return tensor

    @property
    def params(self) -> list[Tensor]:
        """Parameter tensors, as declared with :meth:`add_param`; their ``deltas`` hold the gradients."""
        return list(self.__dict__.get("_declared", {}).values())

    def param_names(self) -> list[str]:
        """Names of :attr:`params`, in order (``weights``, ``bias``): keys in saved files and reports.

        Declared parameters carry their name; a layer that overrides
        :attr:`params` instead gets the attribute holding each tensor, or
        ``param i`` when none does.
        """
        params = self.params
        declared = self.__dict__.get("_declared", {})
        if [id(p) for p in params] == [id(p) for p in declared.values()]:
            return list(declared)
        by_id = {id(v): k for k, v in vars(self).items() if isinstance(v, Tensor)}
        return [by_id.get(id(p), f"param {i}") for i, p in enumerate(params)]

    def undeclared_tensors(self) -> list[str]:
        """Attributes holding a Tensor that is not among :attr:`params`.

        Such a tensor is never updated by the trainer nor saved: usually a
        parameter created with ``Tensor(...)`` instead of :meth:`add_param`.

        Returns:
            The attribute names, sorted.
        """
        ids = {id(p) for p in self.params}
        return sorted(k for k, v in vars(self).items() if isinstance(v, Tensor) and id(v) not in ids)

    # -- state that is not a parameter ----------------------------------------------
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Arrays other than parameters that change this layer's predictions (none by default).

        BatchNorm's running averages are the example: the trainer never
        updates them, yet evaluation uses them. ``save_network``, checkpoints
        and early stopping's restore-best save and restore them with the
        parameters.

        Returns:
            name -> a copy of the array.
        """
        return {}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the arrays :meth:`state_arrays` returns (checked first, copied in).

        Args:
            arrays: name -> array, as :meth:`state_arrays` gave them.

        Raises:
            ValueError: names or shapes that do not fit this layer; nothing
                is changed then.
        """
        if arrays:
            raise ValueError(f"{self}: has no state arrays, got {sorted(arrays)}")

    def output_shape(self, input_shape: Shape) -> Shape:
        """Shape of the output for an input of ``input_shape`` (batch dim included).

        Raises:
            ValueError: naming the layer, expected and actual shape, when the
                input does not fit.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement output_shape(input_shape), "
                                  f"returning the output's Shape (batch dim included)")

    # -- helpers shared by every layer -------------------------------------------
    def last_dim_input(self, input_shape: Shape, features: int, what: str = "features") -> tuple[int, ...]:
        """The dims of an input ``[batch, ..., features]`` (any leading dims), or a ValueError.

        Args:
            input_shape: the input's shape.
            features: the size the last dim must have.
            what: its name in the message (``"features (channels)"``).

        Returns:
            The input's dims.

        Raises:
            ValueError: fewer than 2 dims, or another last dim, naming the layer.
        """
        dims = Shape(input_shape).dims
        if len(dims) < 2:
            raise ValueError(f"{self}: input must be [batch, ..., {features}], got Shape{list(dims)}")
        if dims[-1] != features:
            raise ValueError(f"{self}: input has {dims[-1]} {what}, expected {features} "
                             f"(input shape {Shape(dims)})")
        return dims

    def check_io(self, in_tensors: Sequence[Tensor], out_tensors: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Check a one-in/one-out call and return ``(x, y)``.

        Raises:
            TypeError: when the arguments are not lists (or tuples) of Tensors:
                a bare Tensor, NumPy arrays, None.
            ValueError: when the lists do not hold one tensor each, or ``y``
                does not have the shape ``output_shape(x.shape)``.
        """
        try:  # a bare Tensor has no len(), an array no .shape.dims: explain, don't pass on
            if len(in_tensors) != 1 or len(out_tensors) != 1:
                if not all(isinstance(t, Tensor) for t in (*in_tensors, *out_tensors)):
                    raise _io_type_error(self, in_tensors, out_tensors)
                raise ValueError(f"{self}: expected 1 input and 1 output tensor, "
                                 f"got {len(in_tensors)} and {len(out_tensors)}")
            x, y = in_tensors[0], out_tensors[0]
            # The very tensors that passed last time (same buffers, same shapes)
            # pass again: forward, backward and delta weights see them every step.
            # (astype_ and add_param forget them: the parameters' dtype may change.)
            same = self.__dict__.get("_checked_same")
            if (same is not None and same[0] is x and same[1] is y and same[2] is x.elements
                    and same[3] is y.elements and same[4] is x.shape and same[5] is y.shape):
                return x, y
            # Forward, backward and delta weights all check the same pair every
            # step: remember the last pair that passed instead of rebuilding shapes.
            key = (x.shape.dims, y.shape.dims, x.dtype, y.dtype,
                   tuple(p.elements.dtype for p in self.params))
        except (TypeError, AttributeError, KeyError, IndexError):
            raise _io_type_error(self, in_tensors, out_tensors) from None
        if key == getattr(self, "_checked_io", None):
            self._checked_same = (x, y, x.elements, y.elements, x.shape, y.shape)
            return x, y
        if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
            raise _io_type_error(self, in_tensors, out_tensors)
        expected = self.output_shape(x.shape)
        if y.shape != expected:
            raise ValueError(f"{self}: output tensor has {y.shape}, expected {expected} "
                             f"for input {x.shape}")
        if x.dtype != y.dtype:
            raise TypeError(f"{self}: input is {x.dtype} but output is {y.dtype}")
        for p in self.params:
            if p.dtype != x.dtype:
                raise TypeError(f"{self}: input is {x.dtype} but the parameters are {p.dtype}; "
                                f"build the InputLayer and every layer with the same dtype")
        self._checked_io = key
        self._checked_same = (x, y, x.elements, y.elements, x.shape, y.shape)
        return x, y

    def astype_(self, dtype: np.dtype | type) -> None:
        """Convert every parameter to ``dtype`` in place (float64 for gradient checks)."""
        self.__dict__.pop("_checked_same", None)
        for p in self.params:
            p.astype_(dtype)

    def zero_deltas(self) -> None:
        """Set every parameter delta to zero."""
        for p in self.params:
            p.zero_deltas()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ElementwiseLayer(Layer):
    """A layer applying one function to every element; output shape = input shape.

    Subclasses (``ReLU``, ``Sigmoid``, ``Tanh``) write :meth:`forward` and
    :meth:`backward` themselves, each calling its backend operations by name
    (``ops.relu_forward``, ...), with the formula and its derivative beside
    the call.
    """

    def output_shape(self, input_shape: Shape) -> Shape:
        """Elementwise layers keep the shape."""
        return Shape(input_shape)
