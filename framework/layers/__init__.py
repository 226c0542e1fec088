"""Layers: one per file, the contract written once in ``base.Layer``."""
from .base import ElementwiseLayer, Layer
from .fully_connected import FullyConnected
from .input import InputLayer
from .relu import ReLU
from .sigmoid import Sigmoid
from .softmax import Softmax
from .tanh import Tanh

__all__ = ["Layer", "ElementwiseLayer", "InputLayer", "FullyConnected",
           "Sigmoid", "ReLU", "Tanh", "Softmax"]
