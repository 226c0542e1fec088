"""Week 1's mistake catalog: typical bugs, the signs the grader knows them by, hints, and mutants.

Each mutant writes the bug into ``solution/``; tests/test_course_mutants.py
grades every mutant and asserts that it fails, that the method and quantity
named are this entry's, and that this entry's hint is the one shown.
"""
from framework.grading import Mistake, Mutant

MISTAKES = [
    Mistake(
        "offset-row-major", "column-major offset computed row-major", "1.1", "offset", "offset",
        alternative="row-major",
        hint="the lecture stores column-major: the FIRST index varies fastest, "
             "offset = i0 + d0·(i1 + d1·i2); you made the last index fastest (row-major, C order)",
        mutant=Mutant("shape.py", "for axis in reversed(range(len(self.dims))):",
                      "for axis in range(len(self.dims)):")),
    Mistake(
        "tensor-deltas-not-kept", "deltas allocated anew on every access", "1.2", "deltas",
        "after writing", hint="allocate the deltas once (on first access), store them in "
                              "self._deltas and return the same array every time",
        mutant=Mutant("tensor.py", "        if self._deltas is None:\n            self._deltas",
                      "        if True:\n            self._deltas")),
    Mistake(
        "fc-forward-without-bias", "forward without the bias", "1.3", "forward", "output Y",
        unused_param="bias",
        hint="Y = X·W + b: the bias is added to every row; your output ignores the bias",
        mutant=Mutant("layers.py", "x.matrix() @ self.weights.view() + self.bias.elements",
                      "x.matrix() @ self.weights.view()")),
    Mistake(
        "fc-w-not-transposed", "W instead of Wᵀ in backward", "1.3", "backward", "input delta",
        alternative="W instead of Wᵀ",
        hint="δX = δY·Wᵀ: δY is [N, out], W is [in, out], so W must be transposed to give [N, in] "
             "(lecture: ∂y/∂x = Wᵀ)",
        mutant=Mutant("layers.py", "y.delta_matrix() @ self.weights.view().T",
                      "y.delta_matrix() @ self.weights.view()")),
    Mistake(
        "fc-backward-accumulates", "+= into the input deltas", "1.3", "backward", "input delta",
        contract="overwrite",
        hint="backward OVERWRITES the input deltas (=): they hold junk from the previous batch; "
             "only parameter deltas accumulate",
        mutant=Mutant("layers.py", "x.delta_matrix()[...] = y.delta_matrix()",
                      "x.delta_matrix()[...] += y.delta_matrix()")),
    Mistake(
        "fc-bias-averaged", "bias gradient averaged over the batch", "1.3",
        "calculate_delta_weights", "bias", factor="1/batch",
        hint="∂L/∂b = Σ_rows δY: sum over the batch, do not average (the loss already divides "
             "by the batch size, so δY carries the 1/N)",
        mutant=Mutant("layers.py", "y.delta_matrix().sum(axis=0)", "y.delta_matrix().mean(axis=0)")),
    Mistake(
        "fc-delta-weights-overwrite", "= instead of += in calculate_delta_weights", "1.3",
        "calculate_delta_weights", "weights", contract="accumulate",
        hint="calculate_delta_weights ADDS (+=) to the parameter deltas: the trainer zeroes them "
             "once per step, and a parameter used twice must sum both gradients",
        mutant=Mutant("layers.py", "self.weights.delta_view()[...] += ",
                      "self.weights.delta_view()[...] = ")),
    Mistake(
        "fc-param-not-declared", "parameter missing from params", "1.3", "params", "bias",
        hint="create parameters with self.add_param(name, shape, ...): a Tensor stored on the "
             "layer any other way is not in params, so the trainer never updates it",
        mutant=Mutant("layers.py",
                      'self.add_param("bias", (out_features,), value=bias, dtype=dtype)',
                      'from framework import Tensor\n'
                      '        self.bias = Tensor.from_numpy(np.zeros(out_features) if bias is None '
                      'else np.asarray(bias, dtype=float), dtype=dtype)')),
    Mistake(
        "sigmoid-derivative-of-x", "σ′ from x instead of σ(x)", "1.4", "backward", "input delta",
        alternative="σ′ taken of x",
        hint="σ′(x) = σ(x)·(1 − σ(x)): use the OUTPUT y = σ(x) of forward, not the input x",
        mutant=Mutant("layers.py", "s = y.elements  # σ(x), computed by forward",
                      "s = x.elements")),
    Mistake(
        "relu-no-mask", "ReLU backward passes δY everywhere", "1.5", "backward", "input delta",
        alternative="mask x > 0 is missing",
        hint="δX = δY where x > 0 and 0 elsewhere: multiply by the mask (x > 0)",
        mutant=Mutant("layers.py", "x.deltas[...] = y.deltas * (x.elements > 0)",
                      "x.deltas[...] = y.deltas")),
    Mistake(
        "leaky-relu-slope-forgotten", "LeakyReLU backward forgets the slope a", "1.5", "backward",
        "input delta", alternative="slope a forgotten",
        hint="y = a·x for x ≤ 0, so there ∂y/∂x = a: δX = a·δY where x ≤ 0, not 0",
        mutant=Mutant("layers.py", "x.deltas[...] = np.where(x.elements > 0, y.deltas, self.a * y.deltas)",
                      "x.deltas[...] = np.where(x.elements > 0, y.deltas, 0.0)")),
    Mistake(
        "softmax-diagonal-only", "softmax Jacobian: diagonal only", "1.6", "backward",
        "input delta", alternative="diagonal only",
        hint="every output depends on every input: ∂y_i/∂x_j = y_i·(δ_ij − y_j) has off-diagonal "
             "entries −y_i·y_j; δX = δY·J with the full matrix J",
        mutant=Mutant("layers.py", "J = np.diag(p) - np.outer(p, p)", "J = np.diag(p * (1 - p))")),
    Mistake(
        "softmax-jacobian-transposed", "softmax Jacobian transposed / mis-indexed", "1.6",
        "backward", "input delta", alternative="mis-indexed",
        hint="J[i, j] = ∂y_i/∂x_j = y_i·(δ_ij − y_j): the second factor takes the COLUMN's "
             "y_j (J itself is symmetric, so a clean transpose changes nothing; swapping one "
             "index does)",
        mutant=Mutant("layers.py", "J = np.diag(p) - np.outer(p, p)",
                      "J = np.diag(p) - np.outer(p * p, np.ones_like(p))")),
    Mistake(
        "ce-missing-minus", "cross-entropy without the minus", "1.7", "forward", "loss value",
        factor="-1",
        hint="L = −Σ t_i·log(x_i): log of a probability is ≤ 0, so without the minus the loss "
             "is negative and gradient descent would make the prediction worse",
        mutant=Mutant("losses.py", "return float(-np.sum(target.elements * np.log(x.elements)) / rows)",
                      "return float(np.sum(target.elements * np.log(x.elements)) / rows)")),
    Mistake(
        "ce-backward-missing-minus", "cross-entropy backward without the minus", "1.7", "backward",
        "prediction delta", factor="-1",
        hint="∂L/∂x_i = −t_i/x_i (the minus of L carries over)",
        mutant=Mutant("losses.py", "x.deltas[...] = -target.elements / x.elements / rows",
                      "x.deltas[...] = target.elements / x.elements / rows")),
    Mistake(
        "mse-factor-2", "MSE derivative with a factor 2", "1.8", "backward", "prediction delta",
        factor="2",
        hint="L = Σ ½(x − t)²: the ½ cancels the 2 of the derivative, so ∂L/∂x = x − t (then /R)",
        mutant=Mutant("losses.py", "x.deltas[...] = (x.elements - target.elements) / rows",
                      "x.deltas[...] = 2 * (x.elements - target.elements) / rows")),
    Mistake(
        "sgd-deltas-not-zeroed", "deltas not zeroed between steps", "1.10", "sgd_step",
        "after step 2", alternative="not zeroed",
        hint="parameter deltas accumulate (+=), so zero them (network.zero_deltas()) before each "
             "backprop; otherwise every step also applies all earlier gradients again",
        mutant=Mutant("train_digits.py", "    network.zero_deltas()\n", "")),
]
