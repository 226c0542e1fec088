"""Layers: one per file, the contract written once in ``base.Layer``."""
from .avg_pool2d import AvgPool2D
from .base import ElementwiseLayer, Layer
from .batch_norm import BatchNorm
from .conv2d import Conv2D
from .dropout import Dropout
from .elliot import Elliot
from .elu import ELU
from .embedding import Embedding
from .flatten import Flatten
from .fully_connected import FullyConnected
from .gru import GRU
from .input import InputLayer
from .leaky_relu import LeakyReLU
from .linear import Linear
from .lstm import LSTM
from .max_pool2d import MaxPool2D
from .maxout import Maxout
from .relu import ReLU
from .rnn import RNN
from .sigmoid import Sigmoid
from .softmax import Softmax
from .softplus import Softplus
from .softsign import Softsign
from .symmetric_elliot import SymmetricElliot
from .tanh import Tanh

__all__ = ["Layer", "ElementwiseLayer", "InputLayer", "FullyConnected",
           "Sigmoid", "ReLU", "Tanh", "Softmax", "Conv2D", "MaxPool2D", "AvgPool2D", "Flatten",
           "LSTM", "Linear", "LeakyReLU", "ELU", "Softplus", "Softsign", "Elliot",
           "SymmetricElliot", "Maxout"]
__all__ += ["Dropout", "BatchNorm"]
__all__ += ["RNN", "GRU"]
__all__ += ["Embedding"]
