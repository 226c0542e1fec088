"""Optimizer flavors for the SGDTrainer."""
from .flavors import FLAVORS, SGD, Adagrad, Adam, Flavor, Momentum, Nesterov, RMSprop, get_flavor

__all__ = ["Flavor", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam",
           "FLAVORS", "get_flavor"]
