"""Small helpers for layer tests: run one forward/backward on NumPy data."""
import numpy as np

from framework import Tensor


def run(layer, x, dy=None, dtype=np.float32):
    """Forward ``x`` (logical array) through ``layer``; if ``dy`` is given, backward and delta weights too.

    Returns:
        (output array, input-delta array or None)
    """
    xt = Tensor.from_numpy(np.asarray(x), dtype=dtype)
    yt = Tensor(layer.output_shape(xt.shape), dtype=dtype)
    layer.forward([xt], [yt])
    if dy is None:
        return yt.to_numpy(), None
    yt.delta_view()[...] = dy
    layer.backward([yt], [xt])
    layer.calculate_delta_weights([yt], [xt])
    return yt.to_numpy(), xt.delta_view().copy()
