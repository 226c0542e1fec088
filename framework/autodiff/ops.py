"""Every operation of the engine under one name: ``from framework.autodiff import ops``.

The operations live, each with its forward and backward rule, in
``elementwise.py``, ``shape_ops.py`` and ``nn_ops.py``; :data:`RULES` maps
each name to its two rules.
"""
from .elementwise import (add, div, exp, log, maximum, mul, neg, pow, relu, sigmoid, sqrt, sub,
                          tanh, where)
from .nn_ops import (avg_pool2d, conv2d, cross_entropy, log_softmax, lstm_cell, lstm_step,
                     max_pool2d, mse, softmax, softmax_cross_entropy)
from .rules import RULES, unbroadcast
from .shape_ops import (concatenate, getitem, matmul, max, mean, pad, reshape, stack, sum,
                        transpose)

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "where", "maximum",
           "relu", "sigmoid", "tanh", "matmul", "transpose", "reshape", "sum", "mean", "max",
           "getitem", "concatenate", "stack", "pad", "softmax", "log_softmax",
           "softmax_cross_entropy", "cross_entropy", "mse", "conv2d", "max_pool2d", "avg_pool2d",
           "lstm_cell", "lstm_step", "RULES", "unbroadcast"]
