"""Exams: a random small problem per block, with round numbers, from a seed.

The same seed and blocks always give the same exam, on every machine: each
block draws from its own small generator (:class:`Dice`, SplitMix64 seeded
with the seed and the block's number), which, unlike NumPy's ``Generator``
methods, cannot change its stream with a library version. Choosing fewer
blocks does not change the others. Numbers are drawn from short lists of
round values (multiples of 0.5, small integers) and redrawn until the
intermediate values are comfortable by hand (pre-activations within ±2,
no ReLU exactly at its kink, no ties in max pooling).
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from ..layers import FullyConnected, ReLU, Sigmoid, Softmax
from ..losses import CrossEntropy
from .blocks import conv_worksheet, pool_worksheet
from .chain import network_worksheet
from .lstm import lstm_worksheet
from .model import Worksheet, combine

BLOCKS = ("mlp", "conv", "pool", "lstm")
HALVES = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
F64 = np.float64
ABS_TOL, REL_TOL = 0.01, 0.01
TOLERANCE = (f"a number counts as right when it is within {ABS_TOL} of the key or within "
             f"{REL_TOL:.0%} of it, whichever is larger; keep at least three decimals in "
             "intermediate results")


def parse_blocks(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"mlp,conv"`` -> ``("mlp", "conv")`` in the canonical order.

    Raises:
        ValueError: for an unknown or empty block list.
    """
    names = [b.strip() for b in (text.split(",") if isinstance(text, str) else text) if b.strip()]
    unknown = sorted(set(names) - set(BLOCKS))
    if unknown or not names:
        raise ValueError(f"blocks must be a comma-separated subset of {','.join(BLOCKS)}, got {text!r}")
    return tuple(b for b in BLOCKS if b in names)


_MASK = (1 << 64) - 1


class Dice:
    """SplitMix64 (Steele et al. 2014): a few lines, the same numbers everywhere.

    Args:
        seeds: non-negative integers mixed into the state in order.
    """

    def __init__(self, *seeds: int) -> None:
        self.state = 0x9E3779B97F4A7C15
        for s in seeds:
            self.state = (self.state ^ (int(s) & _MASK)) & _MASK
            self.next()

    def next(self) -> int:
        """The next 64-bit value."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        """Integers in ``[low, high)`` (``[0, low)`` with one argument), like NumPy's."""
        low, high = (0, low) if high is None else (low, high)
        if size is None:
            return low + self.next() % (high - low)
        count = int(np.prod(size))
        return np.array([low + self.next() % (high - low) for _ in range(count)]).reshape(size)

    def choice(self, values: Sequence[float], size: Any = None) -> Any:
        """Values picked uniformly, with repetition."""
        values = np.asarray(values)
        index = self.integers(len(values), size=size)
        return values[index] if size is not None else values[int(index)].item()

    def permutation(self, n: int) -> np.ndarray:
        """``0 … n−1`` shuffled (Fisher–Yates)."""
        out = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.integers(i + 1)
            out[i], out[j] = out[j], out[i]
        return np.array(out)


def _rng(seed: int, block: str) -> Dice:
    return Dice(int(seed), BLOCKS.index(block))


def draw_mlp(rng: Dice) -> Worksheet:
    """2 → FC h → sigmoid or ReLU → FC 2 → softmax → cross-entropy, with round weights.

    Weights are in {−1, −0.5, 0, 0.5, 1} with at most one 0 per matrix,
    biases in {−0.5, 0, 0.5}, inputs in {−2, −1, 1, 2}; redrawn until
    ``|b|, |d| ≤ 2``, and for ReLU until no ``b`` is 0 and one is positive.
    """
    hidden = int(rng.choice([2, 3]))
    relu = bool(rng.integers(2))
    while True:
        a = rng.choice([-2.0, -1.0, 1.0, 2.0], size=2)
        w1, b1 = rng.choice(HALVES, size=(2, hidden)), rng.choice([-0.5, 0.0, 0.5], size=hidden)
        w2, b2 = rng.choice(HALVES, size=(hidden, 2)), rng.choice([-0.5, 0.0, 0.5], size=2)
        b = a @ w1 + b1
        if np.abs(b).max() > 2 or np.count_nonzero(w1 == 0) > 1 or np.count_nonzero(w2 == 0) > 1:
            continue           # too big by hand, or too many zeros to exercise the products
        if relu and (np.any(b == 0) or not np.any(b > 0)):
            continue           # a kink (ReLU′(0) is a convention) or a dead layer
        c = np.maximum(b, 0) if relu else 1 / (1 + np.exp(-b))
        d = c @ w2 + b2
        if np.abs(d).max() <= 2 and abs(d[0] - d[1]) > 1e-9:
            break
    target = np.eye(2)[int(rng.integers(2))]
    layers = [FullyConnected(2, hidden, weights=w1, bias=b1, dtype=F64), ReLU() if relu else Sigmoid(),
              FullyConnected(hidden, 2, weights=w2, bias=b2, dtype=F64), Softmax()]
    act = "ReLU: c = max(0, b)" if relu else "sigmoid: c = σ(b)"
    return network_worksheet(
        layers, a, [target], CrossEntropy(), 0.5, title="A small network",
        description=f"a (2) → FC: b = a·W¹ + bias¹ ({hidden}) → {act} → FC: d = c·W² + bias² (2) "
                    "→ softmax: e → cross-entropy L with target t; then one SGD step with η = 0.5. "
                    "Vectors are rows; W[i, j] connects input i to output j.")


def draw_conv(rng: Dice) -> Worksheet:
    """A 4×4 image of small integers, a 2×2 kernel, stride/padding (1, 0), (2, 0) or (2, 1)."""
    stride, padding = [(1, 0), (2, 0), (2, 1)][int(rng.integers(3))]
    image = rng.integers(0, 4, size=(4, 4)).astype(F64)
    kernel = np.zeros((2, 2))
    while np.count_nonzero(kernel) < 2:
        kernel = rng.choice([-1.0, 0.0, 1.0, 2.0], size=(2, 2))
    size = (4 + 2 * padding - 2) // stride + 1
    delta = rng.choice([-1.0, 0.0, 1.0, 2.0], size=(size, size))
    return conv_worksheet(image, kernel, float(rng.choice([-1.0, 0.0, 1.0])), stride, padding, delta,
                          learning_rate=0.5)


def draw_pool(rng: Dice) -> Worksheet:
    """A 4×4 image of distinct integers (no ties), 2×2 windows, stride 2."""
    image = rng.permutation(16).reshape(4, 4).astype(F64)
    delta = rng.choice([-2.0, -1.0, 1.0, 2.0, 3.0], size=(2, 2))
    return pool_worksheet(image, delta, pool_size=2, stride=2)


def draw_lstm(rng: Dice) -> Worksheet:
    """One unit (F = H = 1), two steps, weights in ±{0.5, 1}, biases in {−0.5, 0, 0.5}."""
    while True:
        x = rng.choice([-1.0, 1.0, 2.0], size=(2, 1))
        u = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(1, 4))
        w = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(1, 4))
        bias = rng.choice([-0.5, 0.0, 0.5], size=4)
        if np.abs(x[:, 0:1] * u + bias).max() <= 2:
            break
    delta = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(2, 1))
    return lstm_worksheet(x, u, w, bias, delta, learning_rate=0.5)


DRAW = {"mlp": draw_mlp, "conv": draw_conv, "pool": draw_pool, "lstm": draw_lstm}


def draw_exam(seed: int, blocks: str | Sequence[str] = BLOCKS) -> Worksheet:
    """The exam of ``seed``: one problem per block, joined into one worksheet.

    Args:
        seed: any non-negative integer; the same seed gives the same exam.
        blocks: which of ``mlp, conv, pool, lstm`` (in that order).

    Returns:
        The combined worksheet; its keys are ``"<block>.<key>"`` (``"mlp.delta_c"``).
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    chosen = parse_blocks(blocks)
    sheets = [DRAW[b](_rng(seed, b)) for b in chosen]
    return combine(f"Exam, seed {seed}", sheets,
                   description=f"Blocks: {', '.join(chosen)}. Fill in every blank. Tolerance: {TOLERANCE}.")


def answers_template(seed: int, blocks: str | Sequence[str] = BLOCKS) -> str:
    """The JSON answers file a student fills in: every blank as ``null``, in the printed shapes.

    Returns:
        JSON text with ``seed``, ``blocks``, ``tolerance``, ``questions``
        (what each key is) and ``answers`` (key -> nested lists of null).
    """
    sheet = draw_exam(seed, blocks)

    def blank(value: np.ndarray):
        return None if value.ndim == 0 else [blank(v) for v in value]

    computed = sheet.computed()

    def block(name: str, items: list[tuple[str, object]]) -> list[str]:
        # one entry per line, each value compact: a matrix stays on its line
        rows = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                for k, v in items]
        return [f" {json.dumps(name)}: {{", ",\n".join(rows), " }"]

    head = [f" \"seed\": {int(seed)}", f" \"blocks\": {json.dumps(list(parse_blocks(blocks)))}",
            f" \"tolerance\": {json.dumps(TOLERANCE)}"]
    questions = block("questions", [(q.key, f"{q.symbol} = {q.formula}") for q in computed])
    answers = block("answers", [(q.key, blank(q.value)) for q in computed])
    return "{\n" + ",\n".join(head + ["\n".join(questions), "\n".join(answers)]) + "\n}\n"
