"""Build script: the package is pure Python plus an optional cffi kernel (see build_ext.py)."""
from setuptools import setup

setup()
