"""Optimizer flavors, gradient transforms and learning-rate schedules for the SGDTrainer."""
from .flavors import (FLAVORS, SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Flavor, Momentum,
                      Nesterov, RMSprop, get_flavor)
from .schedules import (Cosine, ExponentialDecay, InverseTimeDecay, ReduceOnPlateau, Schedule,
                        StepDecay)

__all__ = ["Flavor", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam",
           "Adamax", "AdamW", "FLAVORS", "get_flavor",
           "Schedule", "StepDecay", "ExponentialDecay", "InverseTimeDecay", "Cosine",
           "ReduceOnPlateau"]
