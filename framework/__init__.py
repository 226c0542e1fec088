"""framework: a small deep-learning framework for teaching.

The lecture's design: column-major Tensors with lazy deltas, layers with
``forward`` / ``backward`` / ``calculate_delta_weights``, a Network and an
SGDTrainer. See README.md and docs/.
"""
from . import backend
from .compare import assert_close, compare
from .gradcheck import check_layer, check_loss
from .layers import (ELU, LSTM, AvgPool2D, Conv2D, ElementwiseLayer, Elliot, Flatten,
                     FullyConnected, InputLayer, Layer, LeakyReLU, Linear, Maxout, MaxPool2D,
                     ReLU, Sigmoid, Softmax, Softplus, Softsign, SymmetricElliot, Tanh)
from .layers import BatchNorm, Dropout
from .layers import GRU, RNN
from .layers import Embedding
from .losses import MSE, CrossEntropy, Loss, SoftmaxCrossEntropy
from .losses import (BinaryCrossEntropy, HellingerDistance, MaskedSequenceCrossEntropy,
                     SigmoidBinaryCrossEntropy)
from .network import Network, StepResult
from .export import to_torch, to_torch_loss
from .serialize import load_network, save_network
from .shape import Shape
from .tensor import Tensor
from .trainer import History, SGDTrainer, evaluate
from .early_stopping import EarlyStopping
from .trainer import Evaluation, evaluate_detailed

__version__ = "0.1.0"

__all__ = ["backend", "Shape", "Tensor", "Layer", "ElementwiseLayer", "InputLayer",
           "FullyConnected", "Sigmoid", "ReLU", "Tanh", "Softmax", "Conv2D", "MaxPool2D",
           "AvgPool2D", "Flatten", "LSTM", "Linear", "LeakyReLU", "ELU", "Softplus", "Softsign",
           "Elliot", "SymmetricElliot", "Maxout", "Loss", "CrossEntropy",
           "MSE", "SoftmaxCrossEntropy", "Network", "StepResult", "SGDTrainer", "History", "evaluate",
           "check_layer", "check_loss", "compare", "assert_close", "save_network", "load_network"]
__all__ += ["Dropout", "BatchNorm"]
__all__ += ["RNN", "GRU"]
__all__ += ["Embedding"]
__all__ += ["to_torch", "to_torch_loss"]
__all__ += ["EarlyStopping", "Evaluation", "evaluate_detailed"]
__all__ += ["BinaryCrossEntropy", "SigmoidBinaryCrossEntropy", "HellingerDistance",
            "MaskedSequenceCrossEntropy"]
