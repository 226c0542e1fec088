"""Week 3's mistake catalog: typical LSTM bugs, the signs the grader knows them by, hints, and mutants.

Each mutant writes the bug into ``solution/``; tests/test_course_mutants.py
grades every mutant and asserts that it fails, that the method and quantity
named are this entry's, and that this entry's hint is the one shown.
"""
from framework.grading import Mistake, Mutant

MISTAKES = [
    # -- 3.1 one step ----------------------------------------------------------------------------
    Mistake(
        "lstm-gate-order", "gate order swapped (i, f, g, o)", "3.1", "cell_forward", "gate o_t",
        alternative="PyTorch's order",
        hint="the four H-column blocks of a_t = x_t·U + h_{t−1}·W + b are in the order i, f, o, g "
             "(input, forget, output gate, candidate): o is a_t[:, 2H:3H], g is a_t[:, 3H:4H]",
        mutant=Mutant("lstm.py", "        o = sigmoid(a[:, 2 * H:3 * H])\n"
                                 "        g = np.tanh(a[:, 3 * H:4 * H])",
                      "        o = sigmoid(a[:, 3 * H:4 * H])\n"
                      "        g = np.tanh(a[:, 2 * H:3 * H])")),
    Mistake(
        "lstm-h-without-tanh", "h_t = o_t ⊙ c_t (tanh missing)", "3.1", "cell_forward",
        "hidden state h_t", alternative="tanh of c_t is missing",
        hint="h_t = o_t ⊙ tanh(c_t): the output gate scales the squashed cell state, not c_t itself",
        mutant=Mutant("lstm.py", "h_t = o * np.tanh(c_t)", "h_t = o * c_t")),
    Mistake(
        "lstm-cell-no-bias", "gates without the bias", "3.1", "cell_forward", "gate i_t",
        alternative="without the bias",
        hint="a_t = x_t·U + h_{t−1}·W + b: add the bias (self.bias.elements, [4H]) to every row",
        mutant=Mutant("lstm.py", "h_prev @ self.W.view() + self.bias.elements",
                      "h_prev @ self.W.view()")),
    # -- 3.2 the sequence --------------------------------------------------------------------------
    Mistake(
        "lstm-c-not-carried", "cell state not passed on to the next step", "3.2", "forward",
        "cell state c_t", alternative="c_t is not passed on",
        hint="step t needs the previous step's cell state: after each step set c_prev = c_t "
             "(as for h), so that c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t remembers",
        mutant=Mutant("lstm.py", "h_prev, c_prev = h_t, c_t", "h_prev = h_t")),
    Mistake(
        "lstm-state-not-reset", "state kept from the previous batch", "3.2", "forward",
        "second batch", alternative="not reset",
        hint="every forward starts a new sequence from h_{−1} = c_{−1} = 0; do not carry the "
             "last state of the previous batch over",
        mutant=Mutant("lstm.py", """        h_prev = np.zeros((N, H))                          # h_{−1} = 0
        c_prev = np.zeros((N, H))                          # c_{−1} = 0
        for t in range(T):
            h_t, c_t, gates_t = self.cell_forward(X[:, t], h_prev, c_prev)
            self.h[:, t], self.c[:, t], self.gates[:, t] = h_t, c_t, gates_t
            h_prev, c_prev = h_t, c_t
""", """        h_prev, c_prev = getattr(self, "last_state", (np.zeros((N, H)), np.zeros((N, H))))
        for t in range(T):
            h_t, c_t, gates_t = self.cell_forward(X[:, t], h_prev, c_prev)
            self.h[:, t], self.c[:, t], self.gates[:, t] = h_t, c_t, gates_t
            h_prev, c_prev = h_t, c_t
        self.last_state = (h_prev, c_prev)  # kept for the next batch
""")),
    Mistake(
        "lstm-output-row-major", "output written row-major", "3.2", "forward", "output Y",
        alternative="row-major",
        hint="tensors are column-major: write through the logical view, y.view()[...] = self.h; "
             "y.elements is the flat column-major buffer, not h.ravel()",
        mutant=Mutant("lstm.py", "y.view()[...] = self.h\n", "y.elements[...] = self.h.ravel()\n")),
    Mistake(
        "lstm-steps-time-major", "per-step arrays stored time-major [T, N, ...]", "3.2", "forward",
        "attribute self.",
        hint="store every step batch first, as the tensors are: self.c = np.zeros((N, T, H)), then "
             "self.c[:, t] = c_t (a list of the steps, or np.zeros((T, N, H)), is [T, N, H])",
        mutant=Mutant("lstm.py", "        if self.return_sequences:\n            y.view()[...] = self.h\n",
                      "        self.gates = self.gates.transpose(1, 0, 2)\n"
                      "        if self.return_sequences:\n            y.view()[...] = self.h\n")),
    # -- 3.3 backpropagation through time ------------------------------------------------------------
    Mistake(
        "lstm-bptt-no-recurrent", "BPTT drops the recurrent delta", "3.3", "backward", "δh_t",
        alternative="recurrent delta δa_{t+1}·Wᵀ from step t+1 is missing",
        hint="h_t feeds the output AND step t+1 (through W): δh_t = δy_t + δa_{t+1}·Wᵀ for "
             "t < T−1; without it no gradient flows back through time",
        mutant=Mutant("lstm.py", "            if t + 1 < T:\n"
                                 "                dh += self.delta_a[:, t + 1] @ W.T"
                                 "         # the recurrent delta from step t+1\n", "")),
    Mistake(
        "lstm-dc-not-through-forget", "δc not carried through the forget gate", "3.3", "backward",
        "δc_t", alternative="not through the forget gate",
        hint="c_{t+1} = f_{t+1} ⊙ c_t + ..., so ∂c_{t+1}/∂c_t = f_{t+1}: carry δc_{t+1} ⊙ f_{t+1} "
             "back to step t (dc_next = δc_t ⊙ f_t after step t)",
        mutant=Mutant("lstm.py", "dc_next = dc * f ", "dc_next = dc ")),
    Mistake(
        "lstm-dc-not-carried", "δc not carried back at all", "3.3", "backward", "δc_t",
        alternative="is not carried back",
        hint="δc_t has two parts: δh_t ⊙ o_t ⊙ (1 − tanh²c_t) through h_t, and δc_{t+1} ⊙ f_{t+1} "
             "through the next cell state: add what step t+1 sent back",
        mutant=Mutant("lstm.py", "dc = dc_next + dh * o", "dc = dh * o")),
    Mistake(
        "lstm-tanh-prime-of-c", "tanh′ computed from c_t instead of tanh(c_t)", "3.3", "backward",
        "δc_t", alternative="1 − c_t²",
        hint="d tanh(c)/dc = 1 − tanh²(c): square tanh(c_t), not c_t",
        mutant=Mutant("lstm.py", "dh * o * (1 - tanh_c ** 2)", "dh * o * (1 - self.c[:, t] ** 2)")),
    Mistake(
        "lstm-forget-grad-c-t", "forget gate using c_t instead of c_{t−1}", "3.3", "backward",
        "δa_t[f]", alternative="c_t instead of c_{t−1}",
        hint="c_t = f_t ⊙ c_{t−1} + ...: the forget gate multiplies the PREVIOUS cell state, so "
             "δa_f = δc_t ⊙ c_{t−1} ⊙ f_t(1 − f_t)",
        mutant=Mutant("lstm.py", "dc * c_prev * f * (1 - f)", "dc * self.c[:, t] * f * (1 - f)")),
    Mistake(
        "lstm-c-prev-wraps", "c_{t−1} at t = 0 read as c[:, −1]", "3.3", "backward", "δa_t[f]",
        alternative="c[:, −1]",
        hint="at t = 0 the previous cell state is c_{−1} = 0, but self.c[:, t − 1] is self.c[:, −1]: "
             "Python wraps to the LAST step; use zeros when t = 0",
        mutant=Mutant("lstm.py", "c_prev = self.c[:, t - 1] if t > 0 else np.zeros((N, H))",
                      "c_prev = self.c[:, t - 1]")),
    Mistake(
        "lstm-g-prime-sigmoid", "σ′ used for the candidate's tanh", "3.3", "backward", "δa_t[g]",
        alternative="σ′ used for the tanh",
        hint="g_t = tanh(a_g), so g′ = 1 − g_t²; g(1 − g) is the sigmoid's derivative (i, f, o)",
        mutant=Mutant("lstm.py", "dc * i * (1 - g ** 2)", "dc * i * g * (1 - g)")),
    Mistake(
        "lstm-backward-accumulates", "+= into the input deltas", "3.3", "backward", "input delta",
        contract="overwrite",
        hint="backward OVERWRITES the input deltas (=): they hold junk from the previous batch; "
             "only parameter deltas accumulate",
        mutant=Mutant("lstm.py", "dX[:, t] = self.delta_a[:, t]", "dX[:, t] += self.delta_a[:, t]")),
    Mistake(
        "lstm-deltas-time-major", "per-step deltas stored as a list / time-major", "3.3",
        "backward", "attribute self.delta",
        hint="store the deltas batch first: self.delta_c = np.zeros((N, T, H)), then "
             "self.delta_c[:, t] = δc_t (a list of the steps is [T, N, H])",
        mutant=Mutant("lstm.py", "y = in_tensors[0], out_tensors[0]\n"
                                 "        self.bptt(self.sequence_deltas(y))\n",
                      "y = in_tensors[0], out_tensors[0]\n"
                      "        self.bptt(self.sequence_deltas(y))\n"
                      "        self.delta_c = list(self.delta_c.transpose(1, 0, 2))\n")),
    # -- 3.4 delta weights ----------------------------------------------------------------------------
    Mistake(
        "lstm-delta-weights-overwrite", "= instead of += in calculate_delta_weights", "3.4",
        "calculate_delta_weights", "delta of 'U'", contract="accumulate",
        hint="calculate_delta_weights ADDS (+=) to the parameter deltas: the trainer zeroes them "
             "once per step",
        mutant=Mutant("lstm.py", "self.U.delta_view()[...] += dU", "self.U.delta_view()[...] = dU")),
    Mistake(
        "lstm-dw-last-step-only", "only the last step's weight gradient", "3.4",
        "calculate_delta_weights", "delta of 'U'", alternative="only the last step",
        hint="U is shared by every step: ∂L/∂U = Σ_t x_tᵀ·δa_t sums the terms of ALL steps "
             "(+= inside the loop over t)",
        mutant=Mutant("lstm.py", "dU += X[:, t].T @ self.delta_a[:, t]",
                      "dU = X[:, t].T @ self.delta_a[:, t]")),
    Mistake(
        "lstm-dw-h-t", "∂W with h_t instead of h_{t−1}", "3.4", "calculate_delta_weights",
        "delta of 'W'", alternative="h_t instead of h_{t−1}",
        hint="a_t = x_t·U + h_{t−1}·W + b: W multiplies the PREVIOUS hidden state, so "
             "∂L/∂W = Σ_t h_{t−1}ᵀ·δa_t (with h_{−1} = 0)",
        mutant=Mutant("lstm.py", "dW += h_prev.T @ self.delta_a[:, t]",
                      "dW += self.h[:, t].T @ self.delta_a[:, t]")),
    Mistake(
        "lstm-h-prev-wraps", "h_{t−1} at t = 0 read as h[:, −1]", "3.4",
        "calculate_delta_weights", "delta of 'W'", alternative="h[:, −1]",
        hint="at t = 0 the previous hidden state is h_{−1} = 0, but self.h[:, t − 1] is "
             "self.h[:, −1]: Python wraps to the LAST step; use zeros when t = 0",
        mutant=Mutant("lstm.py", "h_prev = self.h[:, t - 1] if t > 0 else np.zeros((N, H))",
                      "h_prev = self.h[:, t - 1]")),
    Mistake(
        "lstm-stale-delta-a", "delta weights from the previous batch's δa", "3.4",
        "calculate_delta_weights", "without a backward", alternative="not reset in forward",
        hint="a Network skips the first layer's backward, so calculate_delta_weights must run "
             "self.bptt itself when forward has not been followed by a backward: forward sets "
             "self.delta_a = None (the given first line of forward), keep it",
        mutant=Mutant("lstm.py", "        self.delta_h = self.delta_c = self.delta_a = None  "
                                 "# an earlier batch's deltas are stale now\n", "")),
    # -- 3.5 training -------------------------------------------------------------------------------
    Mistake(
        "seq-columns-as-steps", "digits read column by column", "3.5", "to_sequences",
        "sequences", alternative="columns as time steps",
        hint="x[n, t, f] = image[n, row t, column f, 0]: time step t is the image's ROW t",
        mutant=Mutant("train_sequences.py", "return images[:, :, :, 0]",
                      "return images[:, :, :, 0].transpose(0, 2, 1)")),
]
