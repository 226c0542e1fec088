"""framework: a small deep-learning framework for teaching.

The lecture's design: column-major Tensors with lazy deltas, layers with
``forward`` / ``backward`` / ``calculate_delta_weights``, a Network and an
SGDTrainer. See README.md and docs/.
"""
from . import backend
from .compare import assert_close, compare
from .early_stopping import EarlyStopping
from .evaluation import Evaluation, evaluate, evaluate_detailed
from .export import to_torch, to_torch_loss
from .gradcheck import check_layer, check_loss
from .history import History
from .layers import (ELU, GRU, LSTM, RNN, AvgPool2D, BatchNorm, Conv2D, Dropout, ElementwiseLayer,
                     Elliot, Embedding, Flatten, FullyConnected, InputLayer, Layer, LeakyReLU,
                     Linear, Maxout, MaxPool2D, ReLU, Sigmoid, Softmax, Softplus, Softsign,
                     SymmetricElliot, Tanh)
from .losses import (MSE, BinaryCrossEntropy, CrossEntropy, HellingerDistance, Loss,
                     MaskedSequenceCrossEntropy, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy)
from .network import Network, StepResult
from .serialize import load_network, save_network
from .shape import Shape
from .tensor import Tensor
from .trainer import SGDTrainer

__version__ = "0.1.0"

__all__ = [
    # tensors
    "Shape", "Tensor",
    # layers
    "Layer", "ElementwiseLayer", "InputLayer", "FullyConnected", "Conv2D", "MaxPool2D",
    "AvgPool2D", "Flatten", "LSTM", "RNN", "GRU", "Embedding", "Dropout", "BatchNorm",
    "Sigmoid", "ReLU", "Tanh", "Softmax", "Linear", "LeakyReLU", "ELU", "Softplus", "Softsign",
    "Elliot", "SymmetricElliot", "Maxout",
    # losses
    "Loss", "CrossEntropy", "MSE", "SoftmaxCrossEntropy", "BinaryCrossEntropy",
    "SigmoidBinaryCrossEntropy", "HellingerDistance", "MaskedSequenceCrossEntropy",
    # networks and training
    "Network", "StepResult", "SGDTrainer", "History", "EarlyStopping", "evaluate",
    "evaluate_detailed", "Evaluation", "save_network", "load_network",
    # checking, backends, export
    "check_layer", "check_loss", "compare", "assert_close", "backend", "to_torch", "to_torch_loss",
]
