"""Worksheets for hand computation: every value, delta and gradient of a small example.

A worksheet is a view on the framework: the numbers come from its real
layers run in float64. ``python -m framework.worksheet`` prints the
lecture's running example; see ``docs/worksheets.md``.
"""
from .chain import network_worksheet
from .examples import running_example
from .model import Quantity, Section, Worksheet, combine
from .render import latex, markdown

__all__ = ["Quantity", "Section", "Worksheet", "combine", "network_worksheet", "running_example",
           "markdown", "latex"]
