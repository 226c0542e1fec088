"""The backend contract: every operation a backend provides, its arguments and what it writes.

Layers never compute their inner loops themselves; they call these
operations on the backend chosen for them (``framework.backend``). A backend
is a table ``{operation name: function}`` that covers every entry of
:data:`OPERATIONS`, either with its own function or with a *declared*
fallback to the NumPy reference (``c_backend.NUMPY_FALLBACK``);
``tests/test_backend_contract.py`` checks both backends against this list.

Conventions for every operation (details in each NumPy docstring):

* arrays are NumPy views of tensor buffers; 2-D matrices are column-major
  (``order="F"``), ``a[i, j]`` at ``i + rows*j``; images are flat
  ``[N, H, W, C]`` buffers (``geometry.ConvGeom``/``PoolGeom`` give their dims);
  the LSTM caches are row-major (``numpy_lstm``);
* results are written into the output arguments and nothing is returned;
  :attr:`Operation.writes` says for each output whether it is
  **overwritten** or **accumulated into** (``+=``), the rule the layer
  protocol depends on (forward and backward overwrite, weight deltas
  accumulate);
* C takes float32 only; float64 work always runs on NumPy.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["Operation", "OPERATIONS", "NAMES", "OVERWRITE", "ACCUMULATE", "UPDATE"]

OVERWRITE = "overwrite"
ACCUMULATE = "accumulate"
UPDATE = "update"  # read and rewritten in place (an LSTM state carried through time)


class Operation(NamedTuple):
    """One operation of the contract.

    Attributes:
        name: the function name every backend registers.
        args: positional argument names, in order (defaults in brackets).
        writes: ``{output argument: OVERWRITE | ACCUMULATE | UPDATE}``;
            every other argument is only read.
        formula: what it computes, in one line.
    """

    name: str
    args: tuple[str, ...]
    writes: dict[str, str]
    formula: str


_O, _A, _U = OVERWRITE, ACCUMULATE, UPDATE
# BatchNorm's statistics: recomputed from x (no state kept between forward and backward)
_STATS = "overwrite with x's batch statistics if training, else read (the running averages)"

OPERATIONS: tuple[Operation, ...] = (
    # -- dense (numpy_backend.py, c_backend.py)
    Operation("matmul", ("a", "b", "out", "[trans_a]", "[trans_b]", "[beta]"),
              {"out": "overwrite if beta == 0, accumulate if beta == 1"},
              "out = op(a)·op(b) + beta·out"),
    Operation("add_bias", ("y", "bias"), {"y": _A}, "y[r, o] += bias[o]"),
    Operation("bias_grad", ("dy", "dbias"), {"dbias": _A}, "dbias[o] += Σ_r dy[r, o]"),
    Operation("sigmoid_forward", ("x", "y"), {"y": _O}, "y = 1/(1 + e^(−x))"),
    Operation("sigmoid_backward", ("y", "dy", "dx"), {"dx": _O}, "dx = dy·y·(1 − y)"),
    Operation("relu_forward", ("x", "y"), {"y": _O}, "y = max(x, 0)"),
    Operation("relu_backward", ("x", "dy", "dx"), {"dx": _O}, "dx = dy·[x > 0]"),
    Operation("tanh_forward", ("x", "y"), {"y": _O}, "y = tanh(x)"),
    Operation("tanh_backward", ("y", "dy", "dx"), {"dx": _O}, "dx = dy·(1 − y²)"),
    Operation("softmax_forward", ("x", "y"), {"y": _O}, "y[r, i] = e^x[r, i] / Σ_j e^x[r, j]"),
    Operation("softmax_backward", ("y", "dy", "dx"), {"dx": _O},
              "dx[r, j] = y[r, j]·(dy[r, j] − Σ_i dy[r, i]·y[r, i])"),
    # -- images (numpy_conv.py, c_conv.py)
    Operation("im2col", ("x", "g", "p"), {"p": _O}, "p[r, k] = x at tap k of position r"),
    Operation("col2im", ("p", "g", "x"), {"x": _O}, "x = Σ of the p entries read from each pixel"),
    Operation("conv2d_forward", ("x", "w", "b", "y", "g"), {"y": _O}, "Y = im2col(X)·W + b"),
    Operation("conv2d_backward", ("dy", "w", "dx", "g"), {"dx": _O}, "δX = col2im(δY·Wᵀ)"),
    Operation("conv2d_delta_weights", ("x", "dy", "dw", "db", "g"), {"dw": _A, "db": _A},
              "δW += im2col(X)ᵀ·δY, δb += Σ_rows δY"),
    Operation("maxpool2d_forward", ("x", "y", "g"), {"y": _O}, "y = max over each window"),
    Operation("maxpool2d_backward", ("x", "dy", "dx", "g"), {"dx": _O},
              "dx = dy at each window's first maximum, 0 elsewhere"),
    Operation("avgpool2d_forward", ("x", "y", "g"), {"y": _O}, "y = mean over each window"),
    Operation("avgpool2d_backward", ("dy", "dx", "g"), {"dx": _O},
              "dx = Σ dy/(ph·pw) over the windows containing each input"),
    # -- sequences (numpy_lstm.py, c_lstm.py)
    Operation("lstm_cell_forward", ("gates", "bias", "c_prev", "c", "tanh_c", "h"),
              {"gates": _U, "c": _O, "tanh_c": _O, "h": _O},
              "one step: c = f⊙c_prev + i⊙g, h = o⊙tanh(c)"),
    Operation("lstm_cell_backward", ("gates", "c_prev", "tanh_c", "dh", "dc", "dgates"),
              {"dc": _U, "dgates": _O}, "one step's gate deltas"),
    Operation("lstm_sequence_forward", ("gates", "w", "bias", "hs", "cs", "tanh_cs", "[y]"),
              {"gates": _U, "hs": _U, "cs": _U, "tanh_cs": _O, "y": _O},
              "for t: gates_t += h_{t−1}·W, then the cell"),
    Operation("lstm_sequence_backward",
              ("gates", "w", "cs", "tanh_cs", "dhs", "dc", "dgates", "[dh0]", "[dy]"),
              {"dhs": _U, "dc": _U, "dgates": _O, "dh0": _O},
              "backpropagation through time"),
    Operation("lstm_bias_grad", ("dgates", "dbias"), {"dbias": _A}, "dbias[k] += Σ_r dgates[r, k]"),
    # -- normalisation (numpy_batchnorm.py, c_batchnorm.py); x̂ = (x − μ)/√(σ² + ε)
    Operation("batchnorm_forward", ("x", "scale", "shift", "mean", "var", "y", "eps", "training"),
              {"y": _O, "mean": _STATS, "var": _STATS}, "y = γ·x̂ + β"),
    Operation("batchnorm_backward", ("x", "dy", "scale", "mean", "var", "dx", "eps", "training"),
              {"dx": _O, "mean": _STATS, "var": _STATS},
              "δx = γ/(R·√(σ² + ε))·(R·δy − Σ_r δy − x̂·Σ_r δy·x̂); in evaluation γ·δy/√(σ² + ε)"),
    Operation("batchnorm_delta_weights",
              ("x", "dy", "mean", "var", "dscale", "dshift", "eps", "training"),
              {"dscale": _A, "dshift": _A, "mean": _STATS, "var": _STATS},
              "δγ += Σ_r δy·x̂, δβ += Σ_r δy"),
)

#: The operation names, in contract order.
NAMES: tuple[str, ...] = tuple(op.name for op in OPERATIONS)
