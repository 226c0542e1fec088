"""Optimizer flavors for the SGDTrainer."""
from .flavors import (FLAVORS, SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Flavor, Momentum,
                      Nesterov, RMSprop, get_flavor)

__all__ = ["Flavor", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam",
           "Adamax", "AdamW", "FLAVORS", "get_flavor"]
