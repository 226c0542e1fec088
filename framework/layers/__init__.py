"""Layers: one per file, the contract written once in ``base.Layer``."""
from .avg_pool2d import AvgPool2D
from .base import ElementwiseLayer, Layer
from .batch_norm import BatchNorm
from .conv2d import Conv2D
from .dropout import Dropout
from .flatten import Flatten
from .fully_connected import FullyConnected
from .input import InputLayer
from .lstm import LSTM
from .max_pool2d import MaxPool2D
from .relu import ReLU
from .sigmoid import Sigmoid
from .softmax import Softmax
from .tanh import Tanh

__all__ = ["Layer", "ElementwiseLayer", "InputLayer", "FullyConnected",
           "Sigmoid", "ReLU", "Tanh", "Softmax", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten",
           "LSTM"]
__all__ += ["Dropout", "BatchNorm"]
