"""The one place the engine imports the framework's convolution geometry and im2col.

The engine's conv2d and pooling use exactly the layers' patch matrix
(``framework/backend/numpy_conv.py``, ``docs/conv.md``); should these names
move to another module, this import is the only line to change.
"""
from ..backend.numpy_conv import ConvGeom, col2im, im2col  # noqa: F401

__all__ = ["ConvGeom", "im2col", "col2im"]
