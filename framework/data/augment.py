"""Data augmentation for small images: shifted copies."""
from __future__ import annotations

import numpy as np


def shift_images(images: np.ndarray, labels: np.ndarray,
                 shifts: tuple[tuple[int, int], ...] = ((0, 1), (0, -1), (1, 0), (-1, 0)),
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Add copies of each image shifted by whole pixels, filling the border with zeros.

    A digit moved by one pixel is still the same digit; the extra copies
    teach a fully connected network, which has no notion of neighbouring
    pixels, that position does not matter.

    Args:
        images: ``[N, H, W]`` or ``[N, H, W, C]`` images.
        labels: ``[N]`` labels.
        shifts: ``(rows, cols)`` offsets; positive moves down / right.

    Returns:
        ``(images, labels)`` with the originals first, then one shifted copy
        of the whole set per offset: ``(1 + len(shifts))·N`` samples.
    """
    out = [images]
    h, w = images.shape[1], images.shape[2]
    for dr, dc in shifts:
        if abs(dr) >= h or abs(dc) >= w:
            raise ValueError(f"shift ({dr}, {dc}) is larger than the image ({h}x{w})")
        s = np.zeros_like(images)
        # seek to the overlapping window of source and destination
        src_r, dst_r = slice(max(0, -dr), h - max(0, dr)), slice(max(0, dr), h - max(0, -dr))
        src_c, dst_c = slice(max(0, -dc), w - max(0, dc)), slice(max(0, dc), w - max(0, -dc))
        s[:, dst_r, dst_c] = images[:, src_r, src_c]
        out.append(s)
    return np.concatenate(out), np.tile(labels, len(out))
