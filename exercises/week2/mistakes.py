"""Week 2's mistake catalog: typical convolution and pooling bugs, their signs, hints and mutants.

Each mutant writes the bug into ``solution/``; tests/test_course_mutants.py
grades every mutant and asserts that it fails, that the method and quantity
named are this entry's, and that this entry's hint is the one shown.
"""
from framework.grading import Mistake, Mutant

MISTAKES = [
    Mistake(
        "conv-forward-flipped", "conv forward with the kernel rotated (a true convolution)", "2.1",
        "forward", "output Y", alternative="rotated by 180°",
        hint="forward is the cross-correlation Y[ho, wo] = Σ X[ho + i, wo + j]·W[i, j]: tap (i, j) "
             "of the kernel meets pixel (ho + i, wo + j), nothing is flipped; the rotation by 180° "
             "belongs to backward",
        mutant=Mutant("conv.py", "w, b = self.weights.view(), self.bias.elements",
                      "w, b = self.weights.view()[::-1, ::-1], self.bias.elements")),
    Mistake(
        "conv-no-rot180", "conv backward without the rotated kernel", "2.2", "backward",
        "input delta", alternative="not rotated",
        hint="δX is the full convolution of δY with the kernel rotated by 180°: pixel h received "
             "δY[ho]·W[h − ho], so sliding the kernel over the padded δY needs W[kh−1−i, kw−1−j] "
             "(rot180), with the input and output channels swapped",
        mutant=Mutant("conv.py", "rot = w[::-1, ::-1, :, :]", "rot = w")),
    Mistake(
        "conv-flip-all-axes", "rot180 with np.flip(W): the channels reversed too", "2.2",
        "backward", "input delta", alternative="np.flip(W) without axis",
        hint="rotate only the two spatial axes: W[::-1, ::-1] (or np.flip(W, axis=(0, 1))); "
             "np.flip(W) without an axis also reverses the input and output channels",
        mutant=Mutant("conv.py", "rot = w[::-1, ::-1, :, :]", "rot = np.flip(w)")),
    Mistake(
        "conv-delta-weights-overwrite", "conv delta weights with = instead of +=", "2.3",
        "calculate_delta_weights", "weights", contract="accumulate",
        hint="calculate_delta_weights ADDS (+=) to the parameter deltas: the trainer zeroes them "
             "once per step, and the kernel is shared by every position, sample and batch part",
        mutant=Mutant("conv.py", "self.weights.delta_view()[...] += dW",
                      "self.weights.delta_view()[...] = dW")),
    Mistake(
        "conv-bias-not-summed-over-positions", "conv bias gradient not summed over the positions",
        "2.3", "calculate_delta_weights", "bias", alternative="last output position only",
        hint="the bias b[o] is added at EVERY output position (ho, wo) of every sample, so "
             "∂L/∂b[o] = Σ_n Σ_ho Σ_wo δY[n, ho, wo, o]: add each position's sum (+=) in the loop",
        mutant=Mutant("conv.py", "db += dy[:, ho, wo, :].sum(axis=0)",
                      "db = dy[:, ho, wo, :].sum(axis=0)")),
    Mistake(
        "conv-stride-ignored-backward", "stride ignored in backward", "2.4", "backward",
        "input delta", alternative="stride ignored in backward",
        hint="with stride s, output (ho, wo) read the window at (ho·s, wo·s): put δY[ho, wo] at "
             "position (ho·s, wo·s) of the stride-1 output grid and 0 between (the skipped "
             "positions), then take the full convolution with rot180(W)",
        mutant=Mutant("conv.py", "dy1[:, 0:Ho * sh:sh, 0:Wo * sw:sw, :] = dy",
                      "dy1[:, 0:Ho, 0:Wo, :] = dy")),
    Mistake(
        "conv-stride-ignored-delta-weights", "stride ignored in calculate_delta_weights", "2.4",
        "calculate_delta_weights", "weights", alternative="stride ignored in calculate_delta",
        hint="output (ho, wo) read the window starting at (ho·sh, wo·sw) of the padded input: "
             "take the same window when you multiply it with δY[:, ho, wo, :]",
        mutant=Mutant("conv.py", "                window = xp[:, ho * sh:ho * sh + kh, wo * sw:wo * sw + kw, :]  # [N, kh, kw, C_in]\n                # every",
                      "                window = xp[:, ho:ho + kh, wo:wo + kw, :]  # [N, kh, kw, C_in]\n                # every")),
    Mistake(
        "conv-padding-off-by-one", "padding off by one", "2.4", "backward", "input delta",
        alternative="padding off by one",
        hint="forward padded the input by ph rows on each side, so pixel h of X is row h + ph of "
             "the padded input: δX = δXp[:, ph:ph + H, pw:pw + W] (the first ph and last ph rows "
             "belong to the zero border)",
        mutant=Mutant("conv.py", "dxp[:, ph:ph + H, pw:pw + W, :]",
                      "dxp[:, ph + 1:ph + 1 + H, pw + 1:pw + 1 + W, :]")),
    Mistake(
        "maxpool-route-to-all", "max-pool routing to every element of the window", "2.5",
        "backward", "input delta", alternative="every element of the window",
        hint="only the maximum of a window reached the output, so only it gets δY; every other "
             "input of the window gets 0 (∂max/∂x_k is 1 for the winner, 0 otherwise)",
        mutant=Mutant("pooling.py", "dx[n, h0 + i, w0 + j, c] += dy[:, ho, wo, :]",
                      "dx[:, h0:h0 + ph, w0:w0 + pw, :] += dy[:, ho:ho + 1, wo:wo + 1, :]")),
    Mistake(
        "maxpool-wrong-index", "max-pool routing to the wrong index", "2.5", "backward",
        "input delta", alternative="i and j swapped",
        hint="decode the flat window index in the order you flattened it: reading order "
             "(row i, then column j) gives k = i·pw + j, so i = k // pw, j = k % pw; a "
             "column-major flatten (order='F') gives k = i + ph·j instead",
        mutant=Mutant("pooling.py", "i, j = k // pw, k % pw", "i, j = k % pw, k // pw")),
    Mistake(
        "maxpool-overlap-assigned", "max-pool backward assigns δY (=) instead of adding it",
        "2.5", "backward", "input delta", alternative="written with = instead of added",
        hint="with stride < window the windows overlap, and one input can be the maximum of "
             "several of them: it gets the SUM of their δY, so add (+=) into δX (zeroed first)",
        mutant=Mutant("pooling.py", "dx[n, h0 + i, w0 + j, c] += dy[:, ho, wo, :]",
                      "dx[n, h0 + i, w0 + j, c] = dy[:, ho, wo, :]")),
    Mistake(
        "maxpool-deltas-not-zeroed", "max-pool backward adds into δX without zeroing it", "2.5",
        "backward", "input delta", contract="overwrite",
        hint="backward OVERWRITES δX, but routing adds (+=) per window: set δX to 0 first; the "
             "inputs that won no window must end up 0, not with last batch's values",
        mutant=Mutant("pooling.py", "        dx[...] = 0.0  # the windows below", "        # the windows below")),
    Mistake(
        "avgpool-no-division", "avg-pool without the division", "2.6", "backward",
        "input delta", factor="window",
        hint="y = (1/(ph·pw))·Σ x over the window, so ∂y/∂x = 1/(ph·pw): every input of the window "
             "gets δY/(ph·pw), not δY",
        mutant=Mutant("pooling.py", "dy[:, ho:ho + 1, wo:wo + 1, :] / (ph * pw)",
                      "dy[:, ho:ho + 1, wo:wo + 1, :]")),
    Mistake(
        "cnn-does-not-learn", "the CNN does not learn (learning rate)", "2.7", "train",
        "test accuracy",
        hint="when 2.1, 2.3 and 2.5 pass, the layers are right and the training is the problem: "
             "keep train's learning rate 0.3 (0.003 barely moves in 4 epochs, 3 diverges), end "
             "in 10 raw scores with SoftmaxCrossEntropy (no Softmax layer before it), and put a "
             "ReLU after the conv",
        mutant=Mutant("train_cnn.py", "epochs=4, batch_size=32, learning_rate=0.3",
                      "epochs=4, batch_size=32, learning_rate=0.003")),
]
